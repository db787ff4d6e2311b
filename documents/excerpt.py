"""The sentences of a passage that answer the question: the passage cut to them, so a resident
reads (or hears) the city's own words, not the whole section."""
from __future__ import annotations

from typing import Any, List, Sequence

from documents.passages import sentences


def excerpt(text: str, query: str, analyzer: Any, max_chars: int = 160) -> str:
    """The sentence sharing the most (idf-free) query terms, then its neighbours while they
    fit in max_chars, in the passage's order. A single sentence longer than max_chars is cut."""
    parts = sentences(text)
    if not parts:
        return ""
    query_terms = set(analyzer.analyze(query).terms)
    scores: List[float] = []
    for i, sentence in enumerate(parts):
        terms = set(analyzer.analyze(sentence).terms)
        scores.append(len(query_terms & terms) - 0.01 * i)  # ties: the earlier sentence
    best = max(range(len(parts)), key=lambda i: scores[i])
    chosen = [best]
    length = len(parts[best])
    for i in _neighbours(best, len(parts), scores):
        if length + len(parts[i]) > max_chars:
            break
        chosen.append(i)
        length += len(parts[i])
    out = "".join(_joined(parts, sorted(chosen)))
    return out if len(out) <= max_chars else out[: max_chars - 1] + "…"


def _neighbours(best: int, n: int, scores: Sequence[float]) -> List[int]:
    """The other sentences, those that share terms with the query first, then the nearest."""
    others = [i for i in range(n) if i != best]
    return sorted(others, key=lambda i: (-(scores[i] >= 1), abs(i - best), i))


def _joined(parts: Sequence[str], order: Sequence[int]) -> List[str]:
    out = []
    for n, i in enumerate(order):
        piece = parts[i]
        if n and not out[-1].endswith(("。", "！", "？", "!", "?")):
            out.append("\n")
        out.append(piece)
    return out


def first_sentence(text: str, max_chars: int = 80) -> str:
    """For the phone: one sentence, short."""
    parts = sentences(text)
    first = parts[0] if parts else text
    return first if len(first) <= max_chars else first[: max_chars - 1] + "…"
