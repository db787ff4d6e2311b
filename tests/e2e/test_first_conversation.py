"""A first conversation through the real Rasa server and the real action server."""
from __future__ import annotations

import pytest

from e2e.talk import custom, texts

pytestmark = pytest.mark.e2e


def test_greet_question_thanks(conversation, domain_texts):
    from faq.service import FaqService

    assert texts(conversation.say("こんにちは")) == domain_texts["utter_greet"]

    reply = conversation.say("粗大ごみを出したいんですが、どうすればいいですか？")
    faq_id = conversation.slot("last_faq_id")
    assert faq_id, f"no FAQ answered: {reply}"
    entry = FaqService.from_settings().get(faq_id)
    assert "粗大ごみ" in entry.question
    assert entry.answer.strip() in reply[0]["text"]
    assert entry.phone in reply[0]["text"]

    assert texts(conversation.say("ありがとうございました")) == domain_texts["utter_you_are_welcome"]


@pytest.mark.parametrize("message", ["火事です！", "救急車をお願いします、父が倒れました", "泥棒が入った"])
def test_emergency_answers_only_119_and_110(conversation, domain_texts, message):
    messages = conversation.say(message)
    reply = texts(messages)
    assert reply == domain_texts["utter_emergency"]
    assert "119" in reply[0] and "110" in reply[0]
    assert custom(messages)["kind"] == "emergency"  # what the phone ends the call on
    assert conversation.slot("last_faq_id") is None


def test_conversations_are_stored_in_sqlite_in_wal_mode(conversation):
    """endpoints.yml names bot.tracker_store.MadoguchiTrackerStore; on a bad name Rasa would
    silently keep conversations in memory only."""
    import sqlite3

    conversation.say("こんにちは")
    url = conversation.settings.tracker_url
    assert url.startswith("sqlite:///")
    with sqlite3.connect(url[len("sqlite:///"):]) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        stored = db.execute("SELECT count(*) FROM events WHERE sender_id = ?", (conversation.sender,)).fetchone()[0]
    assert stored >= 3  # session start, the message, the greeting
