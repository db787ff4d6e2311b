"""LINE's text limits (replies/line.py)."""
from __future__ import annotations

from replies.line import fit_texts, split_text


def test_split_and_fit_texts_respect_line_limits():
    pieces = split_text("行\n" * 4000, 5000)
    assert all(len(p) <= 5000 for p in pieces) and "".join(pieces).count("行") == 4000
    fitted = fit_texts([f"{i}" for i in range(8)])
    assert fitted == ["0", "1", "2", "3", "4\n\n5\n\n6\n\n7"]
