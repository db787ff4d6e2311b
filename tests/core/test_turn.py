"""The turn contract (core/turn.py): what the actions write is what the channels read."""
from __future__ import annotations

import json

import pytest
import yaml

from core.settings import REPO_ROOT
from core.turn import (
    KEY, AfterHours, Answer, Choices, Emergency, Error, Handoff, Kind, NoMatch, Passage, parse_kind,
    read_part, turn_custom,
)

ANSWER = Answer(faq_id="F0170", question="粗大ごみは？", answer="予約制です。", short_answer="予約制。",
                department="環境課", phone="099-000-1201", url="https://example.jp/a", language="ja",
                answer_language="ja")


@pytest.mark.parametrize("payload", [
    ANSWER,
    Choices(choices=[{"title": "A", "payload": "/a", "hint": "あ"}], language="en"),
    Passage(doc_id=3, title="献血", heading="", url="https://example.jp/b", text="毎月来ます。",
            spoken="毎月来ます。", score=0.8123),
    Handoff(ticket_id=12, transfer_phone="099-000-1000", in_hours=True, department="", language="ko"),
    AfterHours(in_hours=False, back_at="月曜日の8時30分", transfer_phone="099-000-1000", department="環境課"),
    NoMatch(language="vi"), Emergency(), Error(),
])
def test_what_is_written_reads_back_through_json(payload):
    custom = json.loads(json.dumps(payload.custom()))
    part = read_part(custom)
    assert part is not None and part.is_known
    assert part.kind is payload.KIND
    assert part.values == {k: v for k, v in payload.values().items()}
    assert type(payload)(**part.values) == payload


def test_the_wire_format_of_an_answer():
    assert ANSWER.custom() == {"madoguchi": {
        "kind": "answer", "faq_id": "F0170", "question": "粗大ごみは？", "answer": "予約制です。",
        "short_answer": "予約制。", "department": "環境課", "phone": "099-000-1201",
        "url": "https://example.jp/a", "language": "ja", "answer_language": "ja",
    }}
    assert list(ANSWER.custom()[KEY]) [0] == "kind"


def test_optional_fields_are_left_out_when_unknown():
    assert Error().custom() == {"madoguchi": {"kind": "error"}}
    follow_up = Answer(faq_id="F1", question="q", answer="a", short_answer="", department="", phone="", url="")
    assert "language" not in follow_up.values() and "answer_language" not in follow_up.values()
    assert follow_up.values()["short_answer"] == ""  # a required field stays, even empty


def test_unknown_or_missing_kinds_are_read_without_failing():
    part = read_part({"madoguchi": {"kind": "dance", "step": 1}})
    assert part.kind is None and not part.is_known and part.named == "dance" and part.values == {"step": 1}
    assert read_part({"madoguchi": {"ticket_id": 1}}).kind is None
    assert read_part({"madoguchi": "answer"}) is None
    assert read_part({"other": {}}) is None and read_part(None) is None and read_part("x") is None
    assert parse_kind("answer") is Kind.ANSWER and parse_kind(Kind.ERROR) is Kind.ERROR
    assert parse_kind("ANSWER") is None and parse_kind(None) is None and parse_kind(3) is None


def test_kinds_compare_and_print_as_their_wire_names():
    assert Kind.CHOICES == "choices" and "handoff" in {Kind.HANDOFF} and f"{Kind.NO_MATCH}" == "no_match"
    assert [k for k in Kind if k.hands_off] == [Kind.HANDOFF, Kind.AFTER_HOURS]


def test_only_the_actions_kinds_are_written():
    for kind in (Kind.TEXT, Kind.EMPTY, "answer"):
        with pytest.raises(ValueError):
            turn_custom(kind)
    assert turn_custom(Kind.NO_MATCH, language="en") == {"madoguchi": {"kind": "no_match", "language": "en"}}


def test_every_emergency_reply_of_the_domain_says_its_kind():
    """The phone ends the call on this kind; it no longer looks for 「119番」 in the text."""
    responses = yaml.safe_load((REPO_ROOT / "bot" / "domain.yml").read_text(encoding="utf-8"))["responses"]
    variants = responses["utter_emergency"]
    assert len(variants) >= 6
    assert all(variant.get("custom") == Emergency().custom() for variant in variants)
