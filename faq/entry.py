"""The FAQ entry as the rest of the app sees it: a frozen value, plus field validation.

Times: the database keeps naive UTC; FaqEntry carries aware datetimes. A naive datetime given
by a caller or a CSV file is read as Japan time (JST, UTC+9, no daylight saving).
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, fields, replace
from datetime import date, datetime, timedelta, timezone
from typing import Any, Dict, Iterable, List, Mapping, Optional, Tuple

JST = timezone(timedelta(hours=9), "JST")
STATUSES = ("draft", "published")

# Fields staff edit (everything but the bookkeeping ones).
EDITABLE_FIELDS = (
    "question",
    "alternatives",
    "answer",
    "short_answer",
    "category",
    "department",
    "phone",
    "url",
    "keywords",
    "publish_start",
    "publish_end",
    "status",
    "translations",
    "easy_ja",
)
# Curated translations: per foreign language, these fields of the entry (faq/language.py).
TRANSLATED_FIELDS = ("question", "answer", "short_answer")
TRANSLATION_LANGUAGES = ("en", "zh", "ko", "vi", "pt")
# Keys of FaqEntry.translations, also the CSV columns: question_en, answer_en, short_answer_en …
TRANSLATION_KEYS = tuple(
    f"{name}_{lang}" for lang in TRANSLATION_LANGUAGES for name in TRANSLATED_FIELDS
)
_LIST_FIELDS = ("alternatives", "keywords")
_MAX_LEN = {
    "id": 64,
    "question": 1000,
    "answer": 20000,
    "short_answer": 2000,
    "category": 100,
    "department": 200,
    "phone": 50,
    "url": 1000,
    "updated_by": 100,
    "easy_ja": 20000,
}
_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")
_URL_RE = re.compile(r"^https?://\S+$")
_PHONE_RE = re.compile(r"^[0-9０-９+＋()（）\-－‐ 　内線]*$")

# Categories a city usually uses (the 20 standard 業務 of the 自治体システム標準化, plus others).
# Only a suggestion for the staff console: any category is accepted.
STANDARD_CATEGORIES = (
    "住民記録",
    "印鑑登録",
    "戸籍",
    "戸籍附票",
    "選挙人名簿管理",
    "固定資産税",
    "個人住民税",
    "法人住民税",
    "軽自動車税",
    "国民健康保険",
    "国民年金",
    "後期高齢者医療",
    "介護保険",
    "障害者福祉",
    "生活保護",
    "健康管理",
    "児童手当",
    "児童扶養手当",
    "子ども・子育て支援",
    "就学",
    "ごみ",
    "防災",
    "施設",
    "子育て",
    "税",
    "その他",
)


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def to_aware(value: Optional[datetime]) -> Optional[datetime]:
    """Naive values are Japan time."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=JST)
    return value.astimezone(timezone.utc)


def to_db(value: Optional[datetime]) -> Optional[datetime]:
    value = to_aware(value)
    return None if value is None else value.replace(tzinfo=None)


def from_db(value: Optional[datetime]) -> Optional[datetime]:
    return None if value is None else value.replace(tzinfo=timezone.utc)


def clean_text(value: Any) -> str:
    """Strips, drops control characters (keeps newlines and tabs), NFC."""
    if value is None:
        return ""
    text = unicodedata.normalize("NFC", str(value)).replace("\r\n", "\n").replace("\r", "\n")
    text = "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch) != "Cc")
    return text.strip()


def clean_list(value: Any) -> Tuple[str, ...]:
    """A list field from a list or a "|"- or newline-separated string; empties and repeats dropped."""
    if value is None:
        return ()
    if isinstance(value, str):
        items: Iterable[Any] = re.split(r"[|｜\n]", value)
    else:
        items = value
    out: List[str] = []
    for item in items:
        text = clean_text(item)
        if text and text not in out:
            out.append(text)
    return tuple(out)


@dataclass(frozen=True)
class FaqEntry:
    id: str
    question: str
    answer: str
    alternatives: Tuple[str, ...] = ()
    short_answer: str = ""
    category: str = ""
    department: str = ""
    phone: str = ""
    url: str = ""
    keywords: Tuple[str, ...] = ()
    publish_start: Optional[datetime] = None  # aware
    publish_end: Optional[datetime] = None  # aware, exclusive
    status: str = "draft"
    # ((key, text), …) sorted by key, keys from TRANSLATION_KEYS, no empty text
    translations: Tuple[Tuple[str, str], ...] = ()
    easy_ja: str = ""  # the answer in やさしい日本語 (plain Japanese for foreign residents)
    updated_by: str = ""
    updated_at: Optional[datetime] = None
    created_at: Optional[datetime] = None
    version: int = 0

    def translation(self, language: str) -> Dict[str, str]:
        """{"question", "answer", "short_answer"} in `language`; empty strings where missing."""
        given = dict(self.translations)
        return {name: given.get(f"{name}_{language}", "") for name in TRANSLATED_FIELDS}

    def translated_languages(self) -> Tuple[str, ...]:
        """Languages with a translated answer."""
        keys = dict(self.translations)
        return tuple(lang for lang in TRANSLATION_LANGUAGES if keys.get(f"answer_{lang}"))

    def is_searchable(self, now: Optional[datetime] = None) -> bool:
        """Published and inside its publish window."""
        if self.status != "published":
            return False
        now = to_aware(now) if now is not None else utcnow()
        if self.publish_start is not None and now < self.publish_start:
            return False
        if self.publish_end is not None and now >= self.publish_end:
            return False
        return True

    def to_dict(self) -> Dict[str, Any]:
        """JSON-friendly: lists for tuples, ISO strings for datetimes."""
        out: Dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, tuple):
                value = list(value)
            elif isinstance(value, datetime):
                value = value.isoformat()
            out[f.name] = value
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "FaqEntry":
        kwargs: Dict[str, Any] = {}
        names = {f.name for f in fields(cls)}
        for key, value in data.items():
            if key not in names:
                continue
            if key in _LIST_FIELDS:
                value = tuple(value or ())
            elif key == "translations":
                value = clean_translations(value)
            elif key in ("publish_start", "publish_end", "updated_at", "created_at"):
                if isinstance(value, str) and value:
                    value = to_aware(datetime.fromisoformat(value))
                elif isinstance(value, datetime):
                    value = to_aware(value)
                else:
                    value = None
            kwargs[key] = value
        return cls(**kwargs)

    def replace(self, **changes: Any) -> "FaqEntry":
        return replace(self, **changes)


def clean_translations(value: Any) -> Tuple[Tuple[str, str], ...]:
    """Translations from a mapping or (key, text) pairs: cleaned, empties dropped, sorted."""
    if not value:
        return ()
    pairs = value.items() if isinstance(value, Mapping) else value
    out: Dict[str, str] = {}
    for key, text in pairs:
        cleaned = clean_text(text)
        if cleaned:
            out[clean_text(key)] = cleaned
    return tuple(sorted(out.items()))


def merge_translations(
    current: Iterable[Tuple[str, str]], changes: Mapping[str, Any]
) -> Tuple[Tuple[str, str], ...]:
    """`current` with the keys in `changes` set (an empty text removes a translation)."""
    merged = dict(current)
    merged.update({key: clean_text(text) for key, text in changes.items()})
    return clean_translations(merged)


def normalize_fields(data: Mapping[str, Any]) -> Dict[str, Any]:
    """Cleans the editable fields present in `data` (no validation)."""
    out: Dict[str, Any] = {}
    for key, value in data.items():
        if key in _LIST_FIELDS:
            out[key] = clean_list(value)
        elif key == "translations":
            out[key] = clean_translations(value)
        elif key in ("publish_start", "publish_end"):
            if isinstance(value, str):
                value = parse_datetime(value, end=key == "publish_end") if value.strip() else None
            elif isinstance(value, date) and not isinstance(value, datetime):
                value = _date_bound(value, end=key == "publish_end")
            out[key] = to_aware(value)
        elif key == "status":
            out[key] = parse_status(value) if isinstance(value, str) else value
        elif key in ("id", "updated_by") or key in EDITABLE_FIELDS:
            out[key] = clean_text(value)
        else:
            out[key] = value
    return out


def validate(entry: FaqEntry) -> List[str]:
    """Problems with an entry, in Japanese for the staff; empty when it is fine."""
    errors: List[str] = []
    if not entry.id:
        errors.append("id が空です")
    elif not _ID_RE.match(entry.id):
        errors.append(f"id「{entry.id}」には英数字と - _ . だけを使ってください")
    if not entry.question:
        errors.append("question（質問）が空です")
    if not entry.answer:
        errors.append("answer（回答）が空です")
    for name, limit in _MAX_LEN.items():
        value = getattr(entry, name)
        if isinstance(value, str) and len(value) > limit:
            errors.append(f"{name} が長すぎます（{len(value)} 文字、上限 {limit} 文字）")
    if entry.status not in STATUSES:
        errors.append(
            f"status「{entry.status}」は使えません（published/公開 または draft/下書き）"
        )
    if entry.url and not _URL_RE.match(entry.url):
        errors.append(f"url「{entry.url}」は http:// か https:// で始めてください")
    if entry.phone and not _PHONE_RE.match(entry.phone):
        errors.append(f"phone「{entry.phone}」は電話番号として読めません")
    if (
        entry.publish_start is not None
        and entry.publish_end is not None
        and entry.publish_end <= entry.publish_start
    ):
        errors.append("掲載終了が掲載開始より前になっています")
    for key, text in entry.translations:
        if key not in TRANSLATION_KEYS:
            errors.append(f"翻訳の項目「{key}」は使えません（例: answer_en）")
            continue
        limit = _MAX_LEN[key.rsplit("_", 1)[0]]
        if len(text) > limit:
            errors.append(f"{key} が長すぎます（{len(text)} 文字、上限 {limit} 文字）")
    for name in _LIST_FIELDS:
        for item in getattr(entry, name):
            if len(item) > 1000:
                errors.append(f"{name} の項目が長すぎます（上限 1000 文字）")
                break
    return errors


_STATUS_WORDS = {
    "published": "published",
    "publish": "published",
    "公開": "published",
    "公開中": "published",
    "掲載": "published",
    "掲載中": "published",
    "draft": "draft",
    "下書き": "draft",
    "非公開": "draft",
    "unpublished": "draft",
}


def parse_status(value: str) -> str:
    """Status words staff type; empty means published (a plain FAQ file is meant to be live)."""
    text = clean_text(value)
    if not text:
        return "published"
    return _STATUS_WORDS.get(unicodedata.normalize("NFKC", text).lower(), text)


_DT_FORMATS = (
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%dT%H:%M",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
)
_DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日")


def _date_bound(day: date, end: bool) -> datetime:
    """A date alone: start of that day, or for an end the start of the next (inclusive day)."""
    start = datetime(day.year, day.month, day.day, tzinfo=JST)
    return start + timedelta(days=1) if end else start


def parse_datetime(text: str, end: bool = False) -> datetime:
    """Reads the date formats Excel and staff produce. Raises ValueError."""
    raw = unicodedata.normalize("NFKC", text).strip()
    for fmt in _DATE_FORMATS:
        try:
            return _date_bound(datetime.strptime(raw, fmt).date(), end)
        except ValueError:
            pass
    for fmt in _DT_FORMATS:
        try:
            return datetime.strptime(raw, fmt).replace(tzinfo=JST)
        except ValueError:
            pass
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        raise ValueError(f"日時「{text}」が読めません（例: 2025-04-01 または 2025/04/01 9:00）") from None
    return value if value.tzinfo else value.replace(tzinfo=JST)


def format_datetime(value: Optional[datetime], end: bool = False) -> str:
    """Japan time, the inverse of parse_datetime (a whole-day window exports as dates)."""
    if value is None:
        return ""
    local = value.astimezone(JST)
    if local.hour == local.minute == local.second == 0 and local.microsecond == 0:
        day = (local - timedelta(days=1)).date() if end else local.date()
        return day.isoformat()
    if local.second or local.microsecond:
        return local.strftime("%Y-%m-%d %H:%M:%S")
    return local.strftime("%Y-%m-%d %H:%M")
