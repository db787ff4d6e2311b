"""The city office's hours: whether staff can take a handoff now, and when they are back."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Dict, FrozenSet, List, Optional, Tuple
from zoneinfo import ZoneInfo

import holidays
import yaml

from core.settings import office_file

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WEEKDAY_JA = "月火水木金土日"


def _clock(value: time) -> str:
    return f"{value.hour}時" + (f"{value.minute}分" if value.minute else "")


def _parse_time(value: str) -> time:
    hour, minute = value.split(":")
    return time(int(hour), int(minute))


@dataclass(frozen=True)
class Office:
    city: str
    switchboard: str
    timezone: ZoneInfo
    hours: Dict[int, Tuple[time, time]]
    national_holidays: bool
    yearly_closed: FrozenSet[str]
    closed_dates: FrozenSet[date]

    @classmethod
    def load(cls, path: Optional[Path] = None) -> "Office":
        path = path or office_file()
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
        hours = {}
        for index, name in enumerate(WEEKDAYS):
            span = (data.get("hours") or {}).get(name)
            if span:
                opens, closes = _parse_time(span[0]), _parse_time(span[1])
                if closes <= opens:
                    raise ValueError(f"office hours for {name}: {span[1]} is not after {span[0]}")
                hours[index] = (opens, closes)
        return cls(
            city=data.get("city", ""),
            switchboard=str(data.get("switchboard", "")),
            timezone=ZoneInfo(data.get("timezone", "Asia/Tokyo")),
            hours=hours,
            national_holidays=bool(data.get("national_holidays", True)),
            yearly_closed=frozenset(str(d) for d in data.get("yearly_closed") or ()),
            closed_dates=frozenset(date.fromisoformat(str(d)) for d in data.get("closed_dates") or ()),
        )

    def local(self, at: Optional[datetime] = None) -> datetime:
        at = at or datetime.now(self.timezone)
        return at.astimezone(self.timezone) if at.tzinfo else at.replace(tzinfo=self.timezone)

    def is_closed_day(self, day: date) -> bool:
        if day.weekday() not in self.hours or day in self.closed_dates:
            return True
        if day.strftime("%m-%d") in self.yearly_closed:
            return True
        return self.national_holidays and day in holidays.Japan(years=day.year)

    def is_open(self, at: Optional[datetime] = None) -> bool:
        now = self.local(at)
        if self.is_closed_day(now.date()):
            return False
        opens, closes = self.hours[now.weekday()]
        return opens <= now.time() < closes

    def next_opening(self, at: Optional[datetime] = None) -> datetime:
        now = self.local(at)
        if self.is_open(now):
            return now
        day = now.date()
        for _ in range(60):
            if not self.is_closed_day(day):
                opening = datetime.combine(day, self.hours[day.weekday()][0], tzinfo=self.timezone)
                if opening > now:
                    return opening
            day += timedelta(days=1)
        raise ValueError("the office does not open in the next 60 days; check office.yml")

    def describe_hours(self) -> str:
        """「平日の8時30分から17時15分まで」, or the days listed when they differ."""
        spans: Dict[Tuple[time, time], List[str]] = {}
        for index, span in sorted(self.hours.items()):
            spans.setdefault(span, []).append(WEEKDAY_JA[index])
        parts = []
        for (opens, closes), days in spans.items():
            label = "平日" if days == list("月火水木金") else "・".join(days) + "曜"
            parts.append(f"{label}の{_clock(opens)}から{_clock(closes)}まで")
        return "、".join(parts) or "受付時間外"

    def describe_next_opening(self, at: Optional[datetime] = None) -> str:
        """「明日（11月24日・火）の8時30分」 in the words a resident hears."""
        now = self.local(at)
        opening = self.next_opening(now)
        clock = _clock(opening.time())
        weekday = WEEKDAY_JA[opening.weekday()]
        days = (opening.date() - now.date()).days
        if days in (0, 1):
            return f"{'本日' if days == 0 else '明日'}（{opening.month}月{opening.day}日・{weekday}）の{clock}"
        return f"{opening.month}月{opening.day}日（{weekday}）の{clock}"
