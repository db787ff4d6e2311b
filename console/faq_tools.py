"""FAQ helpers of the console: search and filters of the list, the channel previews, diffs."""
from __future__ import annotations

import difflib
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

from markupsafe import Markup, escape

from faq import easy_japanese
from faq.csvio import entry_text_fields
from faq.entry import (
    EDITABLE_FIELDS,
    TRANSLATED_FIELDS,
    TRANSLATION_KEYS,
    TRANSLATION_LANGUAGES,
    FaqEntry,
    format_datetime,
    utcnow,
)
from faq.language import JAPANESE_NAMES
from replies import SOLVED_QUESTION, answer_text
from replies.line import fit_texts
from replies.speech import MAX_SPOKEN_CHARS, speakable

FIELD_LABELS = {
    "id": "ID",
    "question": "質問",
    "alternatives": "言い換え",
    "answer": "回答",
    "short_answer": "短い回答（電話・SMS）",
    "category": "分類",
    "department": "担当課",
    "phone": "電話番号",
    "url": "URL",
    "keywords": "キーワード",
    "publish_start": "掲載開始",
    "publish_end": "掲載終了",
    "status": "状態",
    "easy_ja": "やさしい日本語の回答",
    "translations": "翻訳",
}
STATUS_LABELS = {"published": "公開", "draft": "下書き"}
ACTION_LABELS = {
    "create": "作成",
    "update": "編集",
    "publish": "公開",
    "unpublish": "非公開",
    "revert": "以前の版に戻す",
    "import": "CSV 取り込み",
    "delete": "削除",
}
EXPIRY_FILTERS = {
    "expired": "掲載期限切れ",
    "ending": "30日以内に掲載終了",
    "scheduled": "掲載開始前",
}
ENDING_DAYS = 30


def fold(text: str) -> str:
    """For matching: NFKC (full/half width), lower case, katakana as hiragana."""
    text = unicodedata.normalize("NFKC", text or "").lower()
    return "".join(chr(ord(ch) - 0x60) if "ァ" <= ch <= "ヶ" else ch for ch in text)


def haystack(entry: FaqEntry) -> str:
    parts = [entry.id, entry.question, *entry.alternatives, entry.answer, entry.short_answer,
             *entry.keywords, entry.category, entry.department]
    return fold("\n".join(parts))


def matches(entry: FaqEntry, query: str) -> bool:
    """Every space-separated term appears in the question, phrasings, answers, keywords…"""
    terms = [t for t in fold(query).split() if t]
    if not terms:
        return True
    text = haystack(entry)
    return all(t in text for t in terms)


def expiry_state(entry: FaqEntry, now: Optional[datetime] = None) -> str:
    """"expired", "ending", "scheduled" or ""."""
    now = now or utcnow()
    if entry.publish_end is not None and entry.publish_end <= now:
        return "expired"
    if entry.publish_start is not None and entry.publish_start > now:
        return "scheduled"
    if entry.publish_end is not None and entry.publish_end <= now + timedelta(days=ENDING_DAYS):
        return "ending"
    return ""


def filter_entries(entries: Iterable[FaqEntry], *, query: str = "", expiry: str = "",
                   now: Optional[datetime] = None) -> List[FaqEntry]:
    now = now or utcnow()
    out = []
    for entry in entries:
        if expiry and expiry_state(entry, now) != expiry:
            continue
        if query and not matches(entry, query):
            continue
        out.append(entry)
    return out


# ---- form values ---------------------------------------------------------------------------

def form_values(entry: Optional[FaqEntry]) -> Dict[str, str]:
    """An entry as the edit form's text fields (lists one per line, dates in Japan time)."""
    if entry is None:
        return {name: "" for name in ("id", *EDITABLE_FIELDS, *TRANSLATION_KEYS)} | {"status": "draft"}
    return entry_text_fields(entry, list_separator="\n")


FORM_FIELDS = ("question", "alternatives", "answer", "short_answer", "category", "department", "phone", "url",
               "keywords", "publish_start", "publish_end")


# The translation fields of the form, per language (question_en, answer_en, short_answer_en …).
TRANSLATION_FORM = tuple(
    (lang, JAPANESE_NAMES[lang], tuple((f"{name}_{lang}", name) for name in TRANSLATED_FIELDS))
    for lang in TRANSLATION_LANGUAGES
)


def easy_japanese_findings(text: str) -> List[str]:
    """The やさしい日本語 check (faq/easy_japanese.py) for the form; never fails the page."""
    if not (text or "").strip():
        return []
    try:
        return easy_japanese.check(text).messages()
    except Exception as error:  # noqa: BLE001 - a missing word list must not break the form
        return [f"やさしい日本語のチェックができませんでした（{type(error).__name__}）"]


# ---- previews ----------------------------------------------------------------------------

@dataclass
class Preview:
    line: List[str]  # LINE text messages (the last one carries the はい／いいえ quick replies)
    web: List[str]  # web widget bubbles
    phone: str  # what the phone says
    phone_source: str  # "short_answer" or "answer" (when the short answer is empty)
    short_length: int  # characters of the short answer as written
    spoken_length: int  # characters the phone would say before cutting
    spoken_limit: int
    phone_seconds: float
    phone_warning: str


def _as_entry(values: Mapping[str, Any]) -> Any:
    class _E:  # only what replies.answer_text reads
        answer = str(values.get("answer") or "")
        department = str(values.get("department") or "").strip()
        phone = str(values.get("phone") or "").strip()
        url = str(values.get("url") or "").strip()

    return _E


def preview(values: Mapping[str, Any]) -> Preview:
    """How the entry reads on each channel, with the bot's own code for each."""
    entry = _as_entry(values)
    text = answer_text(entry) if entry.answer.strip() else ""
    bubbles = [t for t in (text, SOLVED_QUESTION) if t]
    short = str(values.get("short_answer") or "").strip()
    source = "short_answer" if short else "answer"
    full_spoken = speakable(short or entry.answer, limit=10**6)
    spoken = speakable(short or entry.answer)
    warning = ""
    if not short and entry.answer.strip():
        warning = "短い回答が空なので、電話では回答の先頭を読み上げます。電話向けの短い回答を書いてください。"
    elif len(full_spoken) > MAX_SPOKEN_CHARS:
        warning = (f"電話で読み上げるには長すぎます（読み上げ {len(full_spoken)} 文字、上限 {MAX_SPOKEN_CHARS} 文字）。"
                   "途中で切れるので、短くしてください。")
    return Preview(
        line=fit_texts(bubbles) if text else [],
        web=bubbles if text else [],
        phone=spoken,
        phone_source=source,
        short_length=len(short),
        spoken_length=len(full_spoken),
        spoken_limit=MAX_SPOKEN_CHARS,
        phone_seconds=round(len(spoken) / 6.5, 1),
        phone_warning=warning,
    )


# ---- diffs ----------------------------------------------------------------------------------

def field_text(entry: FaqEntry, name: str) -> str:
    value = getattr(entry, name)
    if name in ("alternatives", "keywords"):
        return "\n".join(value)
    if name == "publish_start":
        return format_datetime(value)
    if name == "publish_end":
        return format_datetime(value, end=True)
    if name == "status":
        return STATUS_LABELS.get(value, value)
    if name == "translations":
        return "\n".join(f"{key}: {text}" for key, text in value)
    return value or ""


@dataclass
class FieldDiff:
    name: str
    label: str
    old: Markup  # the old text with <del> marks
    new: Markup  # the new text with <ins> marks
    changed: bool


def _marked(a: str, b: str) -> Tuple[Markup, Markup]:
    """Character-level side-by-side marks (Japanese has no spaces to split words on)."""
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    left: List[str] = []
    right: List[str] = []
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        old, new = escape(a[i1:i2]), escape(b[j1:j2])
        if op == "equal":
            left.append(old)
            right.append(new)
            continue
        if i2 > i1:
            left.append(f"<del>{old}</del>")
        if j2 > j1:
            right.append(f"<ins>{new}</ins>")
    return Markup("".join(left)), Markup("".join(right))


def diff_entries(old: FaqEntry, new: FaqEntry, fields: Sequence[str] = EDITABLE_FIELDS,
                 only_changed: bool = True) -> List[FieldDiff]:
    out = []
    for name in fields:
        a, b = field_text(old, name), field_text(new, name)
        if a == b and only_changed:
            continue
        left, right = _marked(a, b)
        out.append(FieldDiff(name, FIELD_LABELS.get(name, name), left, right, a != b))
    return out


def unified_diff(old: FaqEntry, new: FaqEntry, old_label: str, new_label: str) -> str:
    """A plain unified diff (difflib), field by field, for copying into a report."""
    lines: List[str] = []
    for name in EDITABLE_FIELDS:
        a, b = field_text(old, name), field_text(new, name)
        if a == b:
            continue
        lines.append(f"■ {FIELD_LABELS.get(name, name)}")
        lines.extend(difflib.unified_diff(a.splitlines() or [""], b.splitlines() or [""],
                                          fromfile=old_label, tofile=new_label, lineterm="", n=2))
    return "\n".join(lines)
