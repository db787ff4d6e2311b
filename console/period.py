"""A period of whole days in Japan time, as the inbox and the dashboard pick it."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Any, List, Optional, Tuple

JST = timezone(timedelta(hours=9), "JST")
DEFAULT_DAYS = 30
MAX_DAYS = 731  # two years: enough for a fiscal-year comparison, bounded for the charts


def today_jst(now: Optional[datetime] = None) -> date:
    now = now or datetime.now(timezone.utc)
    if now.tzinfo is None:  # naive values in this app are UTC
        now = now.replace(tzinfo=timezone.utc)
    return now.astimezone(JST).date()


def to_jst(value: Optional[datetime]) -> Optional[datetime]:
    """A naive UTC time from the database, in Japan time."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(JST)


@dataclass(frozen=True)
class Period:
    start: date  # first day, inclusive (Japan time)
    end: date  # last day, inclusive

    @classmethod
    def last_days(cls, days: int = DEFAULT_DAYS, now: Optional[datetime] = None) -> "Period":
        end = today_jst(now)
        return cls(end - timedelta(days=days - 1), end)

    @classmethod
    def parse(
        cls,
        start: Optional[str],
        end: Optional[str],
        *,
        default_days: int = DEFAULT_DAYS,
        now: Optional[datetime] = None,
    ) -> "Period":
        """From the form's YYYY-MM-DD fields; missing ones default to the last `default_days`
        days. Raises ValueError with a message for staff."""
        default = cls.last_days(default_days, now)

        def day(text: Optional[str], fallback: date, label: str) -> date:
            text = (text or "").strip()
            if not text:
                return fallback
            try:
                return date.fromisoformat(text.replace("/", "-"))
            except ValueError:
                raise ValueError(f"{label}「{text}」は日付として読めません（例: 2025-04-01）") from None

        last = day(end, default.end, "終了日")
        first = day(start, last - timedelta(days=default_days - 1) if end else default.start, "開始日")
        if first > last:
            raise ValueError("開始日が終了日より後になっています")
        if (last - first).days + 1 > MAX_DAYS:
            raise ValueError(f"期間は {MAX_DAYS} 日以内で指定してください")
        return cls(first, last)

    def utc_bounds(self) -> Tuple[datetime, datetime]:
        """[start, end) as naive UTC, the way the database keeps times."""
        lo = datetime.combine(self.start, time(0), JST).astimezone(timezone.utc)
        hi = datetime.combine(self.end + timedelta(days=1), time(0), JST).astimezone(timezone.utc)
        return lo.replace(tzinfo=None), hi.replace(tzinfo=None)

    def days(self) -> List[date]:
        return [self.start + timedelta(days=i) for i in range((self.end - self.start).days + 1)]

    @property
    def length(self) -> int:
        return (self.end - self.start).days + 1

    def label(self) -> str:
        return f"{self.start:%Y/%m/%d}〜{self.end:%Y/%m/%d}（{self.length}日間）"

    def query(self) -> str:
        return f"from={self.start.isoformat()}&to={self.end.isoformat()}"


def from_query(params: Any, now: Optional[datetime] = None) -> Tuple[Period, str]:
    """The period a page asks for (?from=&to= or ?days=N), and an error message for staff
    ("" when fine; the last 30 days are used then)."""
    days = str(params.get("days") or "").strip()
    if days:
        if days.isdigit() and 1 <= int(days) <= MAX_DAYS:
            return Period.last_days(int(days), now), ""
        return Period.last_days(DEFAULT_DAYS, now), f"日数「{days}」は 1〜{MAX_DAYS} で指定してください"
    try:
        return Period.parse(params.get("from"), params.get("to"), now=now), ""
    except ValueError as error:
        return Period.last_days(DEFAULT_DAYS, now), str(error)
