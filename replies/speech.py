"""Text for the ear: URLs dropped, phone numbers and times read naturally, about 20 seconds at most."""
from __future__ import annotations

import re
import unicodedata
from typing import Optional

# Polly's Japanese voices speak about 6-7 characters of mixed kanji/kana per second.
MAX_SPOKEN_CHARS = 120

_URL = re.compile(r"(?:https?://|www\.)[^\s　、。）)」』】]+")
_PHONE = re.compile(r"(?<![\d])(?:\+81[- ]?)?0?\d{1,4}-\d{1,4}-\d{3,4}(?![\d])")
_TOLLFREE = re.compile(r"(?<![\d])(0120|0570|0800)-?(\d{2,3})-?(\d{3,4})(?![\d])")
_TIME = re.compile(r"(?<![\d:])([01]?\d|2[0-3])[:：]([0-5]\d)(?![\d])")
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}(?!\d))")
_RANGE = re.compile(r"\s*[〜～~]\s*")
_SPACES = re.compile(r"[ \t　]+")

_DIGITS = {
    "0": "ゼロ", "1": "イチ", "2": "ニー", "3": "サン", "4": "ヨン",
    "5": "ゴー", "6": "ロク", "7": "ナナ", "8": "ハチ", "9": "キュウ",
}


def read_digits(digits: str) -> str:
    return "".join(_DIGITS.get(ch, ch) for ch in digits)


def read_phone(number: str) -> str:
    """「099-000-1000」 -> 「ゼロキュウキュウの、ゼロゼロゼロの、イチゼロゼロゼロ」."""
    number = number.replace("+81", "0").replace(" ", "")
    groups = [g for g in re.split(r"[-‐－]", number) if g]
    return "の、".join(read_digits(g) for g in groups)


def _time(match: re.Match) -> str:
    hour, minute = int(match.group(1)), int(match.group(2))
    return f"{hour}時" + (f"{minute}分" if minute else "")


def _clean_line(line: str) -> Optional[str]:
    had_url = bool(_URL.search(line))
    line = _URL.sub("", line)
    if had_url:
        rest = re.sub(r"[\s:：・、。()（）「」詳しくはこちらホームページURLurl]", "", line)
        if len(rest) < 4:  # the line was only a link and its label
            return None
    return line


def speakable(text: str, limit: int = MAX_SPOKEN_CHARS) -> str:
    """What the phone says for `text`: no URLs, natural numbers, sentences joined, cut to `limit`."""
    text = unicodedata.normalize("NFKC", text or "")
    lines = [_clean_line(line) for line in text.splitlines()]
    sentences = []
    for line in lines:
        if line is None:
            continue
        line = line.strip(" 　・※*-•")
        line = _SPACES.sub(" ", line).strip()
        if not line:
            continue
        if line[-1] not in "。！？!?、":
            line += "。"
        sentences.append(line)
    spoken = "".join(sentences)
    spoken = _THOUSANDS.sub("", spoken)
    spoken = _TOLLFREE.sub(lambda m: read_phone(f"{m.group(1)}-{m.group(2)}-{m.group(3)}"), spoken)
    spoken = _PHONE.sub(lambda m: read_phone(m.group(0)), spoken)
    spoken = _TIME.sub(_time, spoken)
    spoken = _RANGE.sub("から", spoken)
    spoken = re.sub(r"[【】「」『』\[\]<>＜＞*#＃]", "", spoken)
    spoken = re.sub(r"[(（]", "、", spoken)
    spoken = re.sub(r"[)）]", "、", spoken)
    spoken = re.sub(r"[:：]", "、", spoken)
    spoken = re.sub(r"、+", "、", spoken)
    spoken = re.sub(r"、([。！？])", r"\1", spoken)
    spoken = re.sub(r"!", "！", spoken).replace("?", "？")
    return shorten(spoken.strip("、 "), limit)


def shorten(text: str, limit: int = MAX_SPOKEN_CHARS) -> str:
    """Cuts at the last sentence end within `limit` (else at a comma)."""
    if len(text) <= limit:
        return text
    window = text[:limit]
    for marks in ("。！？", "、"):
        cut = max(window.rfind(mark) for mark in marks)
        if cut >= limit // 3:
            head = window[: cut + 1]
            return head[:-1] + "。" if head.endswith("、") else head
    return window + "。"


# English voices speak about 15 characters a second: the same 20 seconds.
MAX_SPOKEN_CHARS_EN = 300
_EN_SENTENCE_END = re.compile(r"(?<=[.!?])\s")


def speakable_en(text: str, limit: int = MAX_SPOKEN_CHARS_EN) -> str:
    """What the phone says in English: no URLs or Japanese-only lines, cut at a sentence end."""
    text = unicodedata.normalize("NFKC", text or "")
    lines = []
    for line in text.splitlines():
        line = _clean_line(line)
        if line is None:
            continue
        line = _SPACES.sub(" ", re.sub(r"[【】「」『』\[\]<>*#]", "", line)).strip(" ・※*-•")
        if line:
            lines.append(line if line[-1] in ".!?" else line + ".")
    spoken = " ".join(lines)
    if len(spoken) <= limit:
        return spoken
    window = spoken[:limit]
    ends = [m.start() for m in _EN_SENTENCE_END.finditer(window)]
    return window[: ends[-1]] if ends and ends[-1] >= limit // 3 else window.rsplit(" ", 1)[0] + "."
