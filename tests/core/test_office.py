from datetime import datetime
from pathlib import Path

import pytest

from core.office import Office


@pytest.fixture(scope="module")
def office() -> Office:
    return Office.load(Path(__file__).resolve().parents[2] / "office.yml")


@pytest.mark.parametrize(
    "at, is_open, next_opening",
    [
        ("2026-11-24T10:00", True, "本日（11月24日・火）の10時"),  # a Tuesday morning
        ("2026-11-24T07:59", False, "本日（11月24日・火）の8時30分"),
        ("2026-11-24T17:15", False, "明日（11月25日・水）の8時30分"),  # closing time is closed
        ("2026-11-27T18:00", False, "11月30日（月）の8時30分"),  # Friday evening -> Monday
        ("2026-11-23T10:00", False, "明日（11月24日・火）の8時30分"),  # 勤労感謝の日
        ("2026-05-04T10:00", False, "5月7日（木）の8時30分"),  # Golden Week, 振替休日 on the 6th
        ("2026-12-28T18:00", False, "1月4日（月）の8時30分"),  # 年末年始
    ],
)
def test_hours_holidays_and_next_opening(office, at, is_open, next_opening):
    moment = datetime.fromisoformat(at)
    assert office.is_open(moment) is is_open
    assert office.describe_next_opening(moment) == next_opening


def test_describe_hours(office):
    assert office.describe_hours() == "平日の8時30分から17時15分まで"


def test_bad_hours_are_refused(tmp_path):
    path = tmp_path / "office.yml"
    path.write_text('hours:\n  mon: ["17:00", "09:00"]\n', encoding="utf-8")
    with pytest.raises(ValueError, match="mon"):
        Office.load(path)
