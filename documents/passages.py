"""Sections -> passages of a size multilingual-e5-small reads well (about 200–400 characters),
split at paragraphs, then at sentence ends; each keeps its heading path (ページ名 > 見出し)."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable, List, Optional, Sequence

from documents.extract import Section

TARGET_CHARS = 300
MAX_CHARS = 400
MIN_CHARS = 40  # a shorter tail is merged into the passage before it
HEADING_SEPARATOR = " > "

_SENTENCE_END = re.compile(r"(?<=[。！？!?])|\n")


@dataclass(frozen=True)
class Passage:
    heading: str  # ページ名 > 見出し > 小見出し
    text: str
    page: Optional[int] = None


def heading_path(title: str, headings: Sequence[str], page: Optional[int] = None) -> str:
    parts = [title] + [h for h in headings if h and h != title]
    if page is not None:
        parts.append(f"{page}ページ")
    return HEADING_SEPARATOR.join(p for p in parts if p)


def sentences(text: str) -> List[str]:
    return [s.strip() for s in _SENTENCE_END.split(text) if s and s.strip()]


def _pieces(text: str, max_chars: int) -> Iterable[str]:
    """Paragraphs, and sentences of a paragraph that is too long, and hard cuts of a sentence
    that is still too long."""
    for para in text.split("\n"):
        para = para.strip()
        if not para:
            continue
        if len(para) <= max_chars:
            yield para
            continue
        for sentence in sentences(para):
            while len(sentence) > max_chars:
                yield sentence[:max_chars]
                sentence = sentence[max_chars:]
            if sentence:
                yield sentence


def split_section(text: str, target: int = TARGET_CHARS, max_chars: int = MAX_CHARS) -> List[str]:
    chunks: List[str] = []
    current = ""
    for piece in _pieces(text, max_chars):
        if current and len(current) + 1 + len(piece) > max_chars or len(current) >= target:
            chunks.append(current)
            current = piece
        else:
            current = f"{current}\n{piece}" if current else piece
    if current:
        if chunks and len(current) < MIN_CHARS and len(chunks[-1]) + len(current) + 1 <= max_chars + MIN_CHARS:
            chunks[-1] = f"{chunks[-1]}\n{current}"
        else:
            chunks.append(current)
    return chunks


def make_passages(title: str, sections: Iterable[Section]) -> List[Passage]:
    out: List[Passage] = []
    for section in sections:
        path = heading_path(title, section.headings, section.page)
        for chunk in split_section(section.text):
            out.append(Passage(path, chunk, section.page))
    return out
