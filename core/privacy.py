"""Masking of residents' personal data (phone numbers, My Number, e-mail, street numbers)."""
from __future__ import annotations

import re

_DIGIT = r"[0-9０-９]"
_SEP = r"[-‐－ー―−\s]?"
_PATTERNS = [
    # e-mail addresses
    (re.compile(r"[\w.+-]+[@＠][\w-]+(?:[.．][\w-]+)+"), "[メール]"),
    # 12-digit My Number (マイナンバー), with or without separators
    (re.compile(rf"(?<!{_DIGIT}){_DIGIT}{{4}}{_SEP}{_DIGIT}{{4}}{_SEP}{_DIGIT}{{4}}(?!{_DIGIT})"), "[番号]"),
    # phone numbers: 0X-XXXX-XXXX, 090XXXXXXXX, +81 ...
    (re.compile(rf"(?:\+81{_SEP}|(?<!{_DIGIT})[0０]){_DIGIT}{{1,4}}{_SEP}{_DIGIT}{{1,4}}{_SEP}{_DIGIT}{{3,4}}(?!{_DIGIT})"), "[電話番号]"),
    # street numbers: 1丁目2番3号, 1-2-3, 1番地の2
    (re.compile(rf"{_DIGIT}+丁目{_DIGIT}+番(?:地)?(?:{_DIGIT}+号?)?"), "[番地]"),
    (re.compile(rf"{_DIGIT}+番地(?:の{_DIGIT}+)?"), "[番地]"),
    (re.compile(rf"(?<![{_DIGIT[1:-1]}\-]){_DIGIT}{{1,3}}[-－]{_DIGIT}{{1,4}}[-－]{_DIGIT}{{1,4}}(?![{_DIGIT[1:-1]}\-])"), "[番地]"),
]


_PHONE = _PATTERNS[2][0]


def find_phone_number(text: str) -> str:
    """The first phone number in the text (for a call back), or ""."""
    match = _PHONE.search(text or "")
    return match.group(0) if match else ""


def mask_pii(text: str) -> str:
    if not text:
        return text
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text
