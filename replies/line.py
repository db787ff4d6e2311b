"""LINE's text limits: at most five messages a reply, of at most 5,000 characters each."""
from __future__ import annotations

from typing import List, Sequence

MAX_MESSAGES = 5
MAX_TEXT = 5000


def split_text(text: str, limit: int = MAX_TEXT) -> List[str]:
    """Cuts a long text into pieces of at most `limit` characters, at line ends when possible."""
    pieces: List[str] = []
    while len(text) > limit:
        cut = text.rfind("\n", 0, limit)
        if cut < limit // 2:
            cut = limit
        pieces.append(text[:cut].rstrip())
        text = text[cut:].lstrip("\n")
    if text.strip():
        pieces.append(text)
    return pieces


def fit_texts(texts_: Sequence[str], max_messages: int = MAX_MESSAGES, limit: int = MAX_TEXT) -> List[str]:
    """At most `max_messages` texts of at most `limit` characters; excess texts are merged."""
    pieces = [piece for text in texts_ for piece in split_text(text, limit)]
    if len(pieces) <= max_messages:
        return pieces
    head, tail = pieces[: max_messages - 1], pieces[max_messages - 1 :]
    merged = "\n\n".join(tail)
    if len(merged) > limit:
        merged = merged[: limit - 1] + "…"
    return head + [merged]
