"""The phone: signed Twilio webhooks in, TwiML out (parsed as XML), SMS to a fake Twilio API."""
from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from urllib.parse import parse_qs, urlparse

import pytest
import yaml

from channels_support import PUBLIC_URL, TWILIO_NUMBER, TWILIO_SID, start_gateway, twilio_signature
from core.settings import REPO_ROOT

CALL = "CA" + "f" * 32
CALLER = "+819012345678"
URL = "https://www.city.hidamari.example/gomi/sodai"
ANSWER_TURN = [
    {"text": f"粗大ごみは、事前の申し込みが必要です。\n\n詳しくは：{URL}"},
    {"text": "解決しましたか？", "buttons": [{"title": "はい", "payload": "/affirm"}, {"title": "いいえ", "payload": "/deny"}]},
    {"custom": {"madoguchi": {
        "kind": "answer", "faq_id": "gomi-001", "question": "粗大ごみの出し方",
        "answer": "粗大ごみは、事前の申し込みが必要です。",
        "short_answer": "粗大ごみは、前日までに環境課 099-000-1234 へお申し込みください。受付は8:30〜17:15です。",
        "department": "環境課", "phone": "099-000-1234", "url": URL,
    }}},
]
CHOICES = [
    {"title": "粗大ごみの出し方", "payload": '/ask_question{"faq_id": "gomi-001"}'},
    {"title": "ごみの分別", "payload": '/ask_question{"faq_id": "gomi-002"}'},
    {"title": "どれにも当てはまらない", "payload": "/deny"},
]
CHOICES_TURN = [
    {"text": "次のうち、知りたい内容に近いものはありますか？", "buttons": CHOICES},
    {"custom": {"madoguchi": {"kind": "choices", "choices": CHOICES}}},
]


def params(**extra):
    base = {"CallSid": CALL, "AccountSid": TWILIO_SID, "From": CALLER, "To": TWILIO_NUMBER, "CallStatus": "in-progress"}
    base.update(extra)
    return base


def twiml(response) -> ET.Element:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/xml")
    root = ET.fromstring(response.content)
    assert root.tag == "Response"
    return root


def said(root: ET.Element) -> str:
    return "".join(el.text or "" for el in root.iter("Say"))


def verbs(root: ET.Element):
    return [child.tag for child in root]


def action(url: str):
    parsed = urlparse(url)
    return parsed.path, {k: v[0] for k, v in parse_qs(parsed.query).items()}


def post(gateway, path, **extra):
    return gateway.post_twilio(path, params(**extra))


def gather_reply(gateway, mode="main", **extra):
    return twiml(post(gateway, f"/twilio/voice/input?mode={mode}", **extra))


# --- signatures and bad input ---------------------------------------------------------


def test_unsigned_or_wrongly_signed_webhooks_are_refused(gateway, fake_rasa):
    assert gateway.post_twilio("/twilio/voice", params(), sign=False).status_code == 403
    headers = {"Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": "bm9wZQ=="}
    assert gateway.http.post("/twilio/voice", data=params(), headers=headers).status_code == 403
    # Signed for the local address instead of the public URL Twilio knows: refused too.
    local = gateway.url + "/twilio/voice"
    headers["X-Twilio-Signature"] = twilio_signature("test-twilio-auth-token", local, params())
    assert gateway.http.post("/twilio/voice", data=params(), headers=headers).status_code == 403
    # A form changed after signing.
    headers["X-Twilio-Signature"] = twilio_signature("test-twilio-auth-token", PUBLIC_URL + "/twilio/voice", params())
    assert gateway.http.post("/twilio/voice", data=params(From="+810000000000"), headers=headers).status_code == 403
    assert fake_rasa.received == []


def test_bad_input_gets_4xx(gateway):
    assert gateway.http.get("/twilio/voice").status_code == 405
    signed = {"X-Twilio-Signature": twilio_signature("test-twilio-auth-token", PUBLIC_URL + "/twilio/voice", {})}
    json_body = gateway.http.post("/twilio/voice", content=b'{"CallSid": "x"}',
                                  headers={**signed, "Content-Type": "application/json"})
    assert json_body.status_code == 415
    not_utf8 = gateway.http.post("/twilio/voice", content=b"From=%FF%FE&CallSid=\xff",
                                 headers={**signed, "Content-Type": "application/x-www-form-urlencoded"})
    assert not_utf8.status_code == 400
    huge = gateway.http.post("/twilio/voice", content=b"a=" + b"x" * 70000,
                             headers={**signed, "Content-Type": "application/x-www-form-urlencoded"})
    assert huge.status_code == 413
    assert gateway.post_twilio("/twilio/voice", {"From": CALLER}).status_code == 400  # no CallSid
    assert gateway.post_twilio("/twilio/voice/input?mode=nonsense", params(Digits="1")).status_code == 400


# --- the call -------------------------------------------------------------------------


def test_incoming_call_greets_and_gathers_japanese_speech_and_keys(gateway):
    root = twiml(post(gateway, "/twilio/voice"))
    assert verbs(root) == ["Gather", "Redirect"]
    gather = root.find("Gather")
    assert gather.get("input") == "dtmf speech"
    assert gather.get("language") == "ja-JP"
    assert gather.get("numDigits") == "1"
    assert gather.get("speechTimeout") == "auto"
    assert action(gather.get("action")) == ("/twilio/voice/input", {"mode": "main"})
    assert gather.get("action").startswith(PUBLIC_URL + "/")
    hints = gather.get("hints").split(",")
    assert "粗大ごみ" in hints and all(len(h) <= 100 for h in hints)
    say, english = gather.findall("Say")
    assert say.get("voice") == "Polly.Mizuki" and say.get("language") == "ja-JP"
    assert say.text.startswith("お電話ありがとうございます。ひだまり市、AI案内窓口です。")
    assert "ごみの出し方は1" in say.text and "0を押してください" in say.text
    # then, in an English voice, the offer of English
    assert english.text == "For English, press 9."
    assert english.get("voice") == "Polly.Joanna" and english.get("language") == "en-US"
    redirect = root.find("Redirect")
    assert action(redirect.text) == ("/twilio/voice/silence", {"mode": "main"})


def test_spoken_question_gets_the_short_answer_without_urls(gateway, fake_rasa):
    fake_rasa.replies["粗大ごみを出したい"] = ANSWER_TURN
    root = gather_reply(gateway, SpeechResult="粗大ごみを出したい", Confidence="0.92")
    assert fake_rasa.received == [
        {"sender": f"tel:{CALL}", "message": "粗大ごみを出したい", "metadata": {"channel": "phone"}}
    ]
    assert verbs(root) == ["Say", "Gather", "Redirect"]
    answer = root.find("Say").text
    assert answer == (
        "粗大ごみは、前日までに環境課 ゼロキュウキュウの、ゼロゼロゼロの、イチニーサンヨン へお申し込みください。"
        "受付は8時30分から17時15分です。"
    )
    assert "http" not in said(root) and "解決しましたか" not in said(root)
    gather = root.find("Gather")
    assert action(gather.get("action")) == ("/twilio/voice/input", {"mode": "after"})
    prompt = gather.find("Say").text
    assert "ショートメッセージ" in prompt and "1を押してください" in prompt
    assert prompt.endswith("ほかにご質問はありますか。")


def test_plain_text_answer_is_spoken_without_urls(gateway, fake_rasa):
    fake_rasa.replies["こんにちは"] = [{"text": f"こんにちは。詳しくは {URL} をご覧ください。\n{URL}"}]
    root = gather_reply(gateway, SpeechResult="こんにちは", Confidence="0.9")
    assert "http" not in said(root) and "www" not in said(root)
    assert "こんにちは。" in said(root)


def test_choices_are_read_with_numbers_and_accept_keys_and_speech(gateway, fake_rasa):
    fake_rasa.replies["ごみ"] = CHOICES_TURN
    root = gather_reply(gateway, SpeechResult="ごみ", Confidence="0.9")
    gather = root.find("Gather")
    assert action(gather.get("action")) == ("/twilio/voice/input", {"mode": "choices"})
    assert "1番、粗大ごみの出し方。2番、ごみの分別。3番、どれにも当てはまらない。" in gather.find("Say").text
    assert gather.get("input") == "dtmf speech"

    gather_reply(gateway, "choices", Digits="2")
    assert fake_rasa.messages()[-1] == CHOICES[1]["payload"]

    gather_reply(gateway, SpeechResult="ごみ", Confidence="0.9")
    gather_reply(gateway, "choices", SpeechResult="1番です。", Confidence="0.8")
    assert fake_rasa.messages()[-1] == CHOICES[0]["payload"]

    gather_reply(gateway, SpeechResult="ごみ", Confidence="0.9")
    gather_reply(gateway, "choices", SpeechResult="どれにも当てはまらない", Confidence="0.8")
    assert fake_rasa.messages()[-1] == "/deny"


def test_five_choices_are_read_as_three_and_none_of_these(gateway, fake_rasa):
    five = [{"title": f"質問{i}", "payload": f'/ask_question{{"faq_id": "F{i}"}}', "hint": "要点"} for i in range(1, 6)]
    five.append(CHOICES[-1])
    fake_rasa.replies["ごみ"] = [{"text": "次のうち、近いものはありますか？", "buttons": five},
                                {"custom": {"madoguchi": {"kind": "choices", "choices": five}}}]
    text = gather_reply(gateway, SpeechResult="ごみ", Confidence="0.9").find("Gather").find("Say").text
    assert "1番、質問1。2番、質問2。3番、質問3。4番、どれにも当てはまらない。" in text and "質問4" not in text
    gather_reply(gateway, "choices", Digits="4")
    assert fake_rasa.messages()[-1] == "/deny"


def test_low_confidence_is_confirmed_before_asking(gateway, fake_rasa):
    root = gather_reply(gateway, SpeechResult="住民票が欲しい", Confidence="0.21")
    assert fake_rasa.received == []
    gather = root.find("Gather")
    assert action(gather.get("action")) == ("/twilio/voice/input", {"mode": "confirm"})
    assert gather.find("Say").text.startswith("「住民票が欲しい」とお聞きしました。")
    gather_reply(gateway, "confirm", Digits="1")
    assert fake_rasa.messages() == ["住民票が欲しい"]

    gather_reply(gateway, SpeechResult="十民俵", Confidence="0.1")
    root = gather_reply(gateway, "confirm", SpeechResult="いいえ", Confidence="0.9")
    assert fake_rasa.messages() == ["住民票が欲しい"]
    assert "もう一度" in said(root)


def test_silence_twice_offers_a_transfer_then_ends_politely(gateway):
    twiml(post(gateway, "/twilio/voice"))
    first = twiml(post(gateway, "/twilio/voice/silence?mode=main"))
    assert said(first).startswith("申し訳ありません。お声が聞き取れませんでした。")
    assert first.find("Gather") is not None
    second = twiml(post(gateway, "/twilio/voice/silence?mode=main"))
    gather = second.find("Gather")
    assert gather.get("input") == "dtmf"
    assert action(gather.get("action")) == ("/twilio/voice/input", {"mode": "offer"})
    assert "0を押してください" in said(second)
    third = twiml(post(gateway, "/twilio/voice/silence?mode=offer"))
    assert verbs(third) == ["Say", "Hangup"]
    assert said(third) == "お電話ありがとうございました。失礼いたします。"


def test_zero_in_hours_transfers_to_the_department(gateway, fake_rasa):
    fake_rasa.replies["/request_human"] = [
        {"text": "職員におつなぎします。"},
        {"custom": {"madoguchi": {"kind": "handoff", "ticket_id": "T-1", "transfer_phone": "099-000-2345",
                                  "in_hours": True, "back_at": ""}}},
    ]
    root = gather_reply(gateway, Digits="0")
    assert fake_rasa.messages() == ["/request_human"]
    assert verbs(root) == ["Say", "Dial"]
    dial = root.find("Dial")
    assert dial.get("callerId") == TWILIO_NUMBER
    assert action(dial.get("action")) == ("/twilio/voice/dial-status", {})
    assert [n.text for n in dial.findall("Number")] == ["+81990002345"]
    # Nobody answered: leave a message instead.
    after = twiml(post(gateway, "/twilio/voice/dial-status", DialCallStatus="no-answer"))
    assert "Record" in verbs(after)


def test_after_hours_records_a_message_for_a_ticket(gateway, fake_rasa, config):
    fake_rasa.replies["/request_human"] = [
        {"text": "ただいま時間外です。"},
        {"custom": {"madoguchi": {"kind": "after_hours", "ticket_id": "T-2", "transfer_phone": "099-000-1000",
                                  "in_hours": False, "back_at": "明日の8時30分"}}},
    ]
    root = gather_reply(gateway, Digits="0")
    assert "明日の8時30分以降に" in said(root)
    record = root.find("Record")
    assert record.get("transcribe") == "true"
    assert action(record.get("transcribeCallback")) == ("/twilio/voice/transcribed", {})
    assert action(record.get("action")) == ("/twilio/voice/recorded", {})
    assert record.get("maxLength") == "120" and record.get("finishOnKey") == "#"
    assert root.find("Dial") is None

    recording = "https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE1"
    done = twiml(post(gateway, "/twilio/voice/recorded", RecordingUrl=recording, RecordingDuration="14"))
    assert verbs(done) == ["Say", "Hangup"]
    assert "お預かりしました" in said(done)
    twiml(post(gateway, "/twilio/voice/transcribed", RecordingUrl=recording,
               TranscriptionText="粗大ごみの件で電話しました", TranscriptionStatus="completed"))
    from records.store import Records

    (voicemail,) = Records.open(config.db_url).tickets(conversation_id=f"tel:{CALL}")
    assert voicemail.callback == CALLER and voicemail.recording_url == recording
    assert voicemail.message == "粗大ごみの件で電話しました"


def test_key_one_after_an_answer_sends_the_url_by_sms(gateway, fake_rasa, fake_twilio):
    fake_rasa.replies["粗大ごみ"] = ANSWER_TURN
    gather_reply(gateway, SpeechResult="粗大ごみ", Confidence="0.9")
    root = gather_reply(gateway, "after", Digits="1")
    (sms,) = fake_twilio.messages
    assert sms["_account"] == TWILIO_SID
    assert sms["To"] == CALLER and sms["From"] == TWILIO_NUMBER
    assert sms["Body"] == f"ひだまり市からのご案内です。\n粗大ごみの出し方\n{URL}"
    assert fake_twilio.auth[0].startswith("Basic ")
    assert said(root).startswith("ショートメッセージをお送りしました。")
    assert "ショートメッセージでお送りする場合" not in said(root)  # offered once


def test_no_sms_offer_to_a_landline(gateway, fake_rasa):
    fake_rasa.replies["粗大ごみ"] = ANSWER_TURN
    root = gather_reply(gateway, SpeechResult="粗大ごみ", Confidence="0.9", From="+81990001111")
    assert "ショートメッセージ" not in said(root)


def test_no_more_questions_ends_the_call(gateway, fake_rasa):
    fake_rasa.replies["粗大ごみ"] = ANSWER_TURN
    gather_reply(gateway, SpeechResult="粗大ごみ", Confidence="0.9")
    root = gather_reply(gateway, "after", SpeechResult="いいえ、大丈夫です", Confidence="0.9")
    assert verbs(root)[-1] == "Hangup"


def test_menu_key_asks_the_topic(gateway, fake_rasa):
    gather_reply(gateway, Digits="1")
    assert fake_rasa.messages() == ["ごみの出し方"]
    root = gather_reply(gateway, Digits="8")
    assert said(root).startswith("申し訳ありません。その番号はご利用いただけません。")


def test_emergency_is_said_then_the_call_ends(gateway, fake_rasa):
    fake_rasa.replies["火事です"] = [
        {"text": "火事・救急は119番、事件・事故は110番へ、今すぐ電話してください。"},
        {"custom": {"madoguchi": {"kind": "emergency"}}},
    ]
    root = gather_reply(gateway, SpeechResult="火事です", Confidence="0.9")
    assert verbs(root) == ["Say", "Hangup"]
    assert "119番" in said(root)


def test_the_domains_emergency_answer_also_ends_the_call(gateway, fake_rasa):
    """bot/domain.yml's utter_emergency as Rasa sends it: its text, then its kind (not found in the text)."""
    responses = yaml.safe_load((REPO_ROOT / "bot" / "domain.yml").read_text(encoding="utf-8"))["responses"]
    variant = next(v for v in responses["utter_emergency"] if not v.get("condition"))
    fake_rasa.replies["救急車を"] = [{"text": variant["text"]}, {"custom": variant["custom"]}]
    root = gather_reply(gateway, SpeechResult="救急車を", Confidence="0.9")
    assert verbs(root) == ["Say", "Hangup"]


@pytest.mark.parametrize("office_open, expected", [(True, "Dial"), (False, "Hangup")])
def test_rasa_down_apologises_and_transfers_or_ends(config, fake_rasa, office_open, expected):
    fake_rasa.status = 503
    for gateway in start_gateway(config):
        gateway.gateway.services.office_open = lambda at=None: office_open
        root = gather_reply(gateway, SpeechResult="住民票", Confidence="0.9")
        assert said(root).startswith("申し訳ありません。ただいま自動案内がご利用いただけません。")
        assert expected in verbs(root)
        if expected == "Dial":
            assert [n.text for n in root.iter("Number")] == ["+81990001000"]
        else:
            assert "ゼロキュウキュウの、ゼロゼロゼロの、イチゼロゼロゼロ" in said(root)


@pytest.mark.parametrize("office_open", [True, False])
def test_rasa_down_apologises_in_english_to_an_english_caller(config, fake_rasa, office_open):
    fake_rasa.status = 503
    for gateway in start_gateway(config):
        gateway.gateway.services.office_open = lambda at=None: office_open
        post(gateway, "/twilio/voice")
        gather_reply(gateway, Digits="9")
        root = gather_reply(gateway, SpeechResult="residence certificate", Confidence="0.9")
    says = list(root.iter("Say"))
    assert all(say.get("language") == "en-US" for say in says)
    text = said(root)
    assert text.startswith("Sorry, the automatic guide is not available right now.")
    assert not any("\u3040" <= ch <= "\u30ff" for ch in text)  # no kana left
    if office_open:
        assert "I will connect you to the city office's main number." in text
        assert [n.text for n in root.iter("Number")] == ["+81990001000"]
    else:
        assert "Please call the city office's main number, 0 9 9 0 0 0 1 0 0 0, during office hours." in text
        assert verbs(root)[-1] == "Hangup"


def test_emergency_without_text_is_said_in_english_to_an_english_caller(gateway, fake_rasa):
    fake_rasa.replies["Fire!"] = [{"custom": {"madoguchi": {"kind": "emergency", "language": "en"}}}]
    post(gateway, "/twilio/voice")
    gather_reply(gateway, Digits="9")
    root = gather_reply(gateway, SpeechResult="Fire!", Confidence="0.9")
    assert verbs(root) == ["Say", "Hangup"]
    assert said(root) == "For a fire or an ambulance, call 119. For a crime or an accident, call 110. Please call now."


def test_twilio_off_without_secrets(config):
    for gateway in start_gateway(config.with_(twilio_auth_token="")):
        assert gateway.post_twilio("/twilio/voice", params()).status_code == 503
        assert gateway.http.get("/health").json()["phone"] is False


def test_a_retry_repeats_the_question_not_the_apologies(gateway):
    twiml(post(gateway, "/twilio/voice"))
    bad = gather_reply(gateway, Digits="8")
    assert said(bad).count("申し訳ありません") == 1
    first = twiml(post(gateway, "/twilio/voice/silence?mode=main"))
    text = said(first)
    assert text.count("申し訳ありません") == 1 and "お電話ありがとうございます" not in text
    assert text.endswith("職員とお話しになる場合は0を押してください。")


# --- English: the caller presses 9 -------------------------------------------------------

EN_ANSWER_TURN = [
    {"text": "Bulky garbage must be booked in advance.\nContact: 環境課　099-000-1234\nDetails: " + URL},
    {"text": "Did this solve your question?", "buttons": [{"title": "Yes", "payload": "/affirm"}, {"title": "No", "payload": "/deny"}]},
    {"custom": {"madoguchi": {
        "kind": "answer", "faq_id": "gomi-001", "question": "How do I put out bulky garbage?",
        "answer": "粗大ごみは、事前の申し込みが必要です。", "language": "en", "answer_language": "en",
        "short_answer": "Bulky garbage must be booked in advance. Call 099-000-1234. See " + URL,
        "department": "環境課", "phone": "099-000-1234", "url": URL,
    }}},
]


def test_pressing_9_switches_the_call_to_english(gateway, fake_rasa):
    post(gateway, "/twilio/voice")
    root = gather_reply(gateway, Digits="9")
    gather = root.find("Gather")
    assert gather.get("language") == "en-US" and gather.get("input") == "dtmf speech"
    assert gather.get("hints") is None  # the Japanese hints would mislead English recognition
    (say,) = gather.findall("Say")
    assert say.get("voice") == "Polly.Joanna" and say.get("language") == "en-US"
    assert say.text.startswith("Please ask your question in English")
    assert fake_rasa.received == []  # the key itself is not a message

    fake_rasa.replies["How do I throw away a sofa?"] = EN_ANSWER_TURN
    root = gather_reply(gateway, SpeechResult="How do I throw away a sofa?", Confidence="0.9")
    assert fake_rasa.received[-1]["metadata"] == {"channel": "phone", "language": "en"}
    says = root.iter("Say")
    first = next(says)
    assert first.get("language") == "en-US"
    assert first.text == "Bulky garbage must be booked in advance. Call 099-000-1234. See."
    assert "http" not in said(root) and "ゼロ" not in said(root)
    assert "Do you have any other questions?" in said(root)
    assert root.find("Gather").get("language") == "en-US"


def test_english_caller_hears_choices_and_staff_prompts_in_english(gateway, fake_rasa):
    post(gateway, "/twilio/voice")
    gather_reply(gateway, Digits="9")
    choices = [{"title": "How do I put out bulky garbage?", "payload": '/ask_question{"faq_id": "gomi-001"}'},
               {"title": "None of these", "payload": "/deny"}]
    fake_rasa.replies["garbage"] = [{"text": "Is one of these close to what you want to know?", "buttons": choices},
                                    {"custom": {"madoguchi": {"kind": "choices", "choices": choices, "language": "en"}}}]
    root = gather_reply(gateway, SpeechResult="garbage", Confidence="0.9")
    text = said(root)
    assert "1: How do I put out bulky garbage?. " not in text
    assert "1: How do I put out bulky garbage?" in text and "2: None of these." in text
    assert text.endswith("Press the number, or say it.")
    root = twiml(gateway.post_twilio("/twilio/voice/silence?mode=choices", params()))
    assert said(root).startswith("Sorry, I could not hear you.")


def test_key_9_in_a_japanese_call_is_english_only_at_the_menu(gateway, fake_rasa):
    post(gateway, "/twilio/voice")
    fake_rasa.replies["ごみ"] = CHOICES_TURN
    gather_reply(gateway, SpeechResult="ごみ", Confidence="0.9")
    root = gather_reply(gateway, mode="choices", Digits="9")
    assert said(root).startswith("申し訳ありません。その番号はご利用いただけません。")
    assert root.find("Gather").get("language") == "ja-JP"
