"""Small parts: numbers, choices, turn parsing, configuration, voicemail, the banner."""
from __future__ import annotations

import logging

import pytest

from channels.config import load_config
from channels.phone import e164, is_japanese_mobile, spoken_choice
from channels.rasa import RasaUnavailable, parse_turn
from channels.voicemail import record_voicemail
from core.settings import SettingError, load_settings
from core.turn import Kind

# --- the phone --------------------------------------------------------------------------


def test_dialing_numbers_and_mobiles():
    assert e164("099-000-1000") == "+81990001000"
    assert e164("０９９－０００－２３４５（内線12）") == "+81990002345"
    assert e164("+81 99 000 1000") == "+81990001000"
    assert is_japanese_mobile("+819012345678") and is_japanese_mobile("080-1234-5678")
    assert not is_japanese_mobile("+81990001000") and not is_japanese_mobile("")


@pytest.mark.parametrize("speech, count, expected", [
    ("2番", 3, 2), ("にばん", 3, 2), ("二番目です", 3, 2), ("３", 3, 3), ("1番です。", 4, 1),
    ("最初の", 3, 1), ("最後のやつ", 3, 3), ("5番", 3, None), ("粗大ごみ", 3, None), ("にんじん", 3, None),
])
def test_spoken_choice(speech, count, expected):
    assert spoken_choice(speech, count) == expected


# --- Rasa's answer ------------------------------------------------------------------------


def test_parse_turn_reads_text_buttons_and_the_custom_part():
    turn = parse_turn([
        {"recipient_id": "web:x", "text": "どれですか？", "buttons": [{"title": "A", "payload": "/a"}, {"bad": 1}]},
        {"recipient_id": "web:x", "custom": {"madoguchi": {"kind": "choices", "choices": [{"title": "A", "payload": "/a"}]}}},
        {"recipient_id": "web:x", "image": "https://example.jp/x.png"},
        "garbage",
    ])
    assert turn.kind == "choices"
    assert turn.texts == ["どれですか？"]
    assert [(b.title, b.payload) for b in turn.buttons] == [("A", "/a")]
    assert [(b.title, b.payload) for b in turn.choices] == [("A", "/a")]
    assert parse_turn([]).kind == "empty" and parse_turn([]).is_empty
    assert parse_turn([{"text": "やあ"}]).kind == "text"
    with pytest.raises(RasaUnavailable):
        parse_turn({"error": "x"})


def test_a_part_of_unknown_kind_is_read_as_text_and_logged(caplog):
    with caplog.at_level(logging.WARNING, logger="channels.rasa"):
        turn = parse_turn([{"text": "やあ"}, {"custom": {"madoguchi": {"kind": "dance", "step": 1}}}])
    assert turn.kind == Kind.TEXT and turn.custom["step"] == 1
    assert "'dance'" in caplog.text
    assert parse_turn([{"custom": {"madoguchi": {"kind": "dance"}}}]).kind == Kind.TEXT  # not empty: no handoff


def test_choice_hints_reach_line_listing_and_the_phone_reads_three():
    from channels.line import render_turn

    entries = [{"title": f"質問{i}", "payload": f"/ask_question{{\"faq_id\": \"F{i}\"}}", "hint": f"答え{i}の要点"}
               for i in range(1, 6)]
    none = {"title": "どれにも当てはまらない", "payload": "/deny"}
    turn = parse_turn([
        {"text": "次のうち、近いものはありますか？", "buttons": [{k: b[k] for k in ("title", "payload")} for b in entries] + [none]},
        {"custom": {"madoguchi": {"kind": "choices", "choices": entries + [none]}}},
    ])
    assert [b.hint for b in turn.choices] == [f"答え{i}の要点" for i in range(1, 6)] + [""]
    listing = render_turn(turn)[0].text
    assert "1. 質問1\n　（答え1の要点）" in listing and "6. どれにも当てはまらない" in listing
    assert "（）" not in listing


# --- configuration --------------------------------------------------------------------


def test_credentials_come_from_the_sdk_sample_variable_names(tmp_path, monkeypatch):
    monkeypatch.setenv("MADOGUCHI_HOME", str(tmp_path))
    env = {
        "LINE_CHANNEL_SECRET": "s", "LINE_CHANNEL_ACCESS_TOKEN": "t",
        "TWILIO_ACCOUNT_SID": "AC1", "TWILIO_AUTH_TOKEN": "a", "TWILIO_PHONE_NUMBER": "+815000000000",
        "MADOGUCHI_PUBLIC_URL": "https://madoguchi.example/",
    }
    config = load_config(load_settings(), env=env)
    assert config.line_enabled and config.twilio_enabled
    assert config.public_url == "https://madoguchi.example"
    assert config.url("/twilio/voice") == "https://madoguchi.example/twilio/voice"
    empty = load_config(load_settings(), env={})
    assert not empty.line_enabled and not empty.twilio_enabled
    assert empty.line_missing() == ["LINE_CHANNEL_SECRET", "LINE_CHANNEL_ACCESS_TOKEN"]
    assert empty.public_url == f"http://127.0.0.1:{load_settings().app_port}"


def test_credentials_from_a_config_file(tmp_path, monkeypatch):
    monkeypatch.setenv("MADOGUCHI_HOME", str(tmp_path))
    (tmp_path / "channels.yml").write_text(
        "public_url: https://chat.example\n"
        "line:\n  channel_secret: file-secret\n  channel_access_token: file-token\n"
        "twilio:\n  account_sid: AC9\n  auth_token: tok\n  phone_number: '+815011112222'\n",
        encoding="utf-8",
    )
    config = load_config(load_settings(), env={"LINE_CHANNEL_SECRET": "env-wins"})
    assert config.line_channel_secret == "env-wins"
    assert config.line_channel_access_token == "file-token"
    assert config.twilio_phone_number == "+815011112222" and config.public_url == "https://chat.example"


def test_missing_secrets_are_named_in_a_clear_warning(config, caplog):
    from channels.gateway import Gateway

    gateway = Gateway(config.with_(line_channel_secret="", twilio_phone_number=""))
    with caplog.at_level(logging.WARNING):
        gateway.describe()
    messages = " ".join(r.getMessage() for r in caplog.records)
    assert "LINE is off: set LINE_CHANNEL_SECRET" in messages
    assert "The phone (Twilio) is off: set TWILIO_PHONE_NUMBER" in messages
    assert gateway.line is None and gateway.phone is None and gateway.web is not None


def test_banner_lists_the_urls_to_configure(config):
    from channels.banner import channels_banner

    text = channels_banner(config=config)
    assert "https://madoguchi.hidamari.example/line/webhook" in text
    assert "https://madoguchi.hidamari.example/twilio/voice" in text
    assert "https://madoguchi.hidamari.example/web/" in text
    assert '<script src="https://madoguchi.hidamari.example/web/embed.js" defer></script>' in text
    off = channels_banner(config=config.with_(line_channel_access_token="", twilio_account_sid=""))
    assert "LINE              : off; set LINE_CHANNEL_ACCESS_TOKEN" in off
    assert "Phone (Twilio)    : off; set TWILIO_ACCOUNT_SID" in off


def test_a_bad_number_in_the_environment_or_the_file_is_a_setting_error(tmp_path, monkeypatch):
    monkeypatch.setenv("MADOGUCHI_HOME", str(tmp_path))
    monkeypatch.setenv("MADOGUCHI_RASA_TIMEOUT", "soon")
    with pytest.raises(SettingError, match="MADOGUCHI_RASA_TIMEOUT must be a number, got 'soon'"):
        load_config()
    monkeypatch.delenv("MADOGUCHI_RASA_TIMEOUT")
    (tmp_path / "channels.yml").write_text("speech_confidence: high\n", encoding="utf-8")
    with pytest.raises(SettingError, match="MADOGUCHI_SPEECH_CONFIDENCE must be a number, got 'high'"):
        load_config()
    (tmp_path / "channels.yml").write_text("- a list\n", encoding="utf-8")
    with pytest.raises(SettingError, match="must be a mapping"):
        load_config()
    monkeypatch.setenv("MADOGUCHI_CHANNELS_CONFIG", str(tmp_path / "other.yml"))
    (tmp_path / "other.yml").write_text("rasa_timeout: 7\n", encoding="utf-8")
    monkeypatch.setenv("MADOGUCHI_PHONE_RASA_TIMEOUT", "4")
    config = load_config()
    assert (config.rasa_timeout, config.phone_rasa_timeout, config.speech_confidence_threshold) == (7.0, 4.0, 0.5)


# --- voicemail ------------------------------------------------------------------------


def test_voicemail_becomes_one_ticket_per_call(tmp_path):
    from records.store import Records

    db = f"sqlite:///{tmp_path / 'app.db'}"
    first = record_voicemail("CA1", "+819011112222", "https://api.twilio.com/rec/1", None, db_url=db)
    again = record_voicemail("CA1", "+819011112222", "https://api.twilio.com/rec/1", "ごみの件です", db_url=db)
    other = record_voicemail("CA2", "+819033334444", "https://api.twilio.com/rec/2", None, db_url=db)
    assert first == again != other
    records = Records.open(db)
    mails = {t.conversation_id: t for t in records.tickets(kind="voicemail")}
    assert mails["tel:CA1"].message == "ごみの件です" and mails["tel:CA1"].callback == "+819011112222"
    assert mails["tel:CA1"].recording_url == "https://api.twilio.com/rec/1"
    assert mails["tel:CA2"].message == "" and mails["tel:CA2"].channel == "phone"


def test_voicemail_after_a_handoff_lands_on_its_ticket(tmp_path):
    from records.store import Records

    db = f"sqlite:///{tmp_path / 'app.db'}"
    records = Records.open(db)
    handoff = records.open_ticket("tel:CA9", "handoff", reason="resident asked for a person")
    assert record_voicemail("CA9", "+819055556666", "https://api.twilio.com/rec/9", "折り返しお願いします",
                            ticket_id=str(handoff), db_url=db) == handoff
    ticket = records.ticket(handoff)
    assert ticket.kind == "handoff" and ticket.message == "折り返しお願いします"
    assert ticket.callback == "+819055556666"


def test_speech_hints_come_from_the_faq_vocabulary(tmp_path, monkeypatch, config):
    from channels.gateway import Gateway
    from faq.store import FaqStore

    db = f"sqlite:///{tmp_path / 'faq.db'}"
    monkeypatch.setenv("MADOGUCHI_DB_URL", db)
    store = FaqStore(db)
    store.create({
        "id": "gomi-001", "question": "粗大ごみの出し方", "answer": "申し込み制です。", "status": "published",
        "keywords": ["粗大ごみ", "リサイクル券"], "category": "ごみ", "department": "環境課",
    })
    store.create({
        "id": "draft-1", "question": "下書き", "answer": "まだです。", "status": "draft", "keywords": ["ひみつ語"],
    })
    store.close()
    hints = Gateway(config).phone.hints().split(",")
    assert {"リサイクル券", "環境課", "ごみ", "粗大ごみ"} <= set(hints)
    assert "ひみつ語" not in hints
    assert hints.count("粗大ごみ") == 1


def test_office_hours_in_words():
    from datetime import time as t

    from channels.config import hours_text

    weekdays = {d: (t(8, 30), t(17, 15)) for d in range(5)}
    assert hours_text(weekdays) == "平日8時30分から17時15分"
    assert hours_text({d: (t(9, 0), t(17, 0)) for d in range(7)}) == "毎日9時から17時"
    assert hours_text({**weekdays, 5: (t(9, 0), t(12, 0))}) is None


def test_every_fixed_text_of_the_gateway_is_in_every_language():
    from channels import texts
    from channels.config import City
    from faq.language import LANGUAGES

    for key, versions in texts.TEXTS.items():
        assert set(versions) == set(LANGUAGES), key
        assert len(set(versions.values())) == len(LANGUAGES), key  # none left as a copy
    city = City(name="みどり町", switchboard="0120-000-111", hours_text="平日9時から17時")
    for language in LANGUAGES:
        assert "0120-000-111" in texts.unavailable(city, language) and "みどり町" in texts.unavailable(city, language)
        greeting = texts.text("greeting", language, city=city.name)
        assert "119" in greeting and "110" in greeting and "{" not in greeting
    assert texts.text("too_long", "pt_BR") == texts.TEXTS["too_long"]["pt"]
    assert texts.text("too_long", "tl") == texts.text("too_long", None) == texts.TEXTS["too_long"]["ja"]
