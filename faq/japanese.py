"""Japanese text analysis on SudachiPy, shared by the Rasa tokenizer and the FAQ search.

Only the standard library and sudachipy are imported here: the Rasa environment imports this
module too (bot/tokenizer.py), and it has none of the app's packages.
"""
from __future__ import annotations

import re
import threading
import unicodedata
from dataclasses import dataclass
from typing import Iterable, List, Optional, Tuple

# Sudachi refuses input over 49,149 bytes; a character is at most 4 bytes in UTF-8.
_CHUNK_CHARS = 4096
_SPLIT_AT = re.compile(r"[。！？!?\n\s、,.]")

# Parts of speech that carry no meaning for search.
_FUNCTION_POS = {"助詞", "助動詞", "補助記号", "空白", "記号"}


@dataclass(frozen=True)
class Morpheme:
    surface: str
    start: int  # character offsets into the original text
    end: int
    normalized: str  # Sudachi's normalised form: 引越し・引越・ひっこし -> 引っ越し
    pos: str
    # Normalised forms of the short-unit (mode A) parts of a compound, with their POS;
    # filled only by morphemes(..., with_parts=True), empty when the word does not split.
    parts: Tuple[Tuple[str, str], ...] = ()
    # Sudachi's reading (katakana); filled only by morphemes(..., with_reading=True).
    reading: str = ""
    is_place_name: bool = False  # 名詞・固有名詞・地名

    @property
    def is_content(self) -> bool:
        return self.pos not in _FUNCTION_POS and not is_symbol_only(self.surface)


def normalize_width(text: str) -> str:
    """Full/half width to one form (NFKC), lower case, control characters removed."""
    text = unicodedata.normalize("NFKC", text)
    text = "".join(ch for ch in text if unicodedata.category(ch)[0] != "C" or ch in "\n\t")
    return text.lower()


_KATA_START, _KATA_END = 0x30A1, 0x30F6  # ァ..ヶ; ヷ-ヺ have no hiragana twin


def fold_kana(text: str, long_vowel: bool = True) -> str:
    """Katakana to hiragana and (long_vowel) a trailing long-vowel mark dropped, for
    matching only: ゴミ/ごみ and コンピュータ/コンピューター become one key. Not for display.
    """
    out = "".join(
        chr(ord(ch) - 0x60) if _KATA_START <= ord(ch) <= _KATA_END else ch for ch in text
    )
    if long_vowel and len(out) > 2 and out[-1] in "ーｰ-":
        out = out[:-1]
    return out


def is_content_pos(pos: str, surface: str) -> bool:
    return pos not in _FUNCTION_POS and not is_symbol_only(surface)


def is_symbol_only(text: str) -> bool:
    return all(unicodedata.category(ch)[0] in "PSZC" for ch in text)


def _chunks(text: str) -> Iterable[tuple]:
    """Yields (offset, piece) so that no piece is too long for Sudachi."""
    start = 0
    while start < len(text):
        end = min(start + _CHUNK_CHARS, len(text))
        if end < len(text):
            cut = None
            for m in _SPLIT_AT.finditer(text, start + _CHUNK_CHARS // 2, end):
                cut = m.end()
            end = cut or end
        yield start, text[start:end]
        start = end


class JapaneseAnalyzer:
    """Thread-safe wrapper around one Sudachi dictionary (one tokenizer per thread)."""

    def __init__(self, split_mode: str = "C", dict_name: str = "core") -> None:
        from sudachipy import Dictionary

        self._dictionary = Dictionary(dict=dict_name)
        self._split_mode = split_mode.upper()
        self._local = threading.local()
        self._pos_names: dict = {}  # POS id -> its first level (part_of_speech() is slow)
        self._place_pos_ids: set = set()

    def _tokenizer(self):
        tok = getattr(self._local, "tokenizer", None)
        if tok is None:
            from sudachipy import SplitMode

            mode = getattr(SplitMode, self._split_mode)
            tok = self._dictionary.tokenizer(mode=mode)
            self._local.tokenizer = tok
        return tok

    def morphemes(
        self, text: Optional[str], with_parts: bool = False, with_reading: bool = False
    ) -> List[Morpheme]:
        if not text:
            return []
        tok = self._tokenizer()
        pos_names = self._pos_names
        split_a = None
        if with_parts:
            from sudachipy import SplitMode

            split_a = SplitMode.A
        out: List[Morpheme] = []
        for offset, piece in _chunks(text):
            for m in tok.tokenize(piece):
                pos_id = m.part_of_speech_id()
                pos = pos_names.get(pos_id)
                if pos is None:
                    full_pos = m.part_of_speech()
                    if full_pos[2] == "地名":
                        self._place_pos_ids.add(pos_id)
                    pos = pos_names.setdefault(pos_id, full_pos[0])
                if pos == "空白":
                    continue
                parts: Tuple[Tuple[str, str], ...] = ()
                if split_a is not None and m.end() - m.begin() > 1:
                    sub = m.split(split_a)
                    if len(sub) > 1:
                        parts = tuple((p.normalized_form(), p.part_of_speech()[0]) for p in sub)
                out.append(
                    Morpheme(
                        surface=m.surface(),
                        start=offset + m.begin(),
                        end=offset + m.end(),
                        normalized=m.normalized_form(),
                        pos=pos,
                        parts=parts,
                        reading=m.reading_form() if with_reading else "",
                        is_place_name=pos_id in self._place_pos_ids,
                    )
                )
        return out

    def terms(self, text: Optional[str]) -> List[str]:
        """Normalised content words, for lexical search."""
        return [
            normalize_width(m.normalized)
            for m in self.morphemes(text)
            if m.is_content
        ]


_shared: Optional[JapaneseAnalyzer] = None
_shared_lock = threading.Lock()


def shared_analyzer() -> JapaneseAnalyzer:
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = JapaneseAnalyzer()
        return _shared


_SENTENCE_END = re.compile(r"(?<=[。！？!?])|\n+")


def split_passages(text: str, max_chars: int, max_passages: int) -> List[str]:
    """Sentences packed greedily into passages of at most max_chars (a longer sentence is cut
    at max_chars); the first max_passages of them."""
    out: List[str] = []
    current = ""
    for sentence in _SENTENCE_END.split(text or ""):
        sentence = " ".join(sentence.split())
        while len(sentence) > max_chars:
            if current:
                out.append(current)
                current = ""
            out.append(sentence[:max_chars])
            sentence = sentence[max_chars:]
        if not sentence:
            continue
        if current and len(current) + len(sentence) > max_chars:
            out.append(current)
            current = ""
        current += sentence
        if len(out) >= max_passages:
            break
    if current:
        out.append(current)
    return out[:max_passages]
