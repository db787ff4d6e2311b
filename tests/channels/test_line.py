"""LINE: signed webhooks in, exact reply/push payloads out (real line-bot-sdk, fake LINE API)."""
from __future__ import annotations


import pytest

from channels.rasa import parse_turn
from channels.line import render_turn
from channels_support import line_body, line_event, line_signature, LINE_SECRET, LINE_TOKEN, start_gateway

USER = "U" + "1234567890abcdef" * 2
ANSWER_TURN = [
    {"text": "粗大ごみは、事前の申し込みが必要です。\n\n詳しくは：https://www.city.hidamari.example/gomi/sodai"},
    {"text": "解決しましたか？", "buttons": [{"title": "はい", "payload": "/affirm"}, {"title": "いいえ", "payload": "/deny"}]},
    {"custom": {"madoguchi": {
        "kind": "answer", "faq_id": "gomi-001", "question": "粗大ごみの出し方を知りたい",
        "answer": "粗大ごみは、事前の申し込みが必要です。", "short_answer": "粗大ごみは申し込み制です。",
        "department": "環境課", "phone": "099-000-1234", "url": "https://www.city.hidamari.example/gomi/sodai",
    }}},
]
CHOICES = [
    {"title": "粗大ごみの出し方を知りたい（申し込み方法と手数料について）", "payload": '/ask_question{"faq_id": "gomi-001"}'},
    {"title": "ごみの分別", "payload": '/ask_question{"faq_id": "gomi-002"}'},
    {"title": "どれにも当てはまらない", "payload": "/deny"},
]
CHOICES_TURN = [
    {"text": "次のうち、知りたい内容に近いものはありますか？", "buttons": CHOICES},
    {"custom": {"madoguchi": {"kind": "choices", "choices": CHOICES}}},
]


def text_event(text, **extra):
    return line_event("text", text, user=USER, **extra)


# --- the signature --------------------------------------------------------------------


def test_missing_signature_is_refused_and_nothing_is_processed(gateway, fake_rasa, fake_line):
    response = gateway.post_line(line_body(text_event("こんにちは")), signature="")
    assert response.status_code == 400
    gateway.line_idle()
    assert fake_rasa.received == [] and fake_line.requests == []


def test_wrong_signature_is_refused(gateway, fake_rasa, fake_line):
    body = line_body(text_event("こんにちは"))
    response = gateway.post_line(body, signature=line_signature("another-secret", body))
    assert response.status_code == 400
    tampered = body.replace("こんにちは".encode(), "さようなら".encode())
    assert gateway.post_line(tampered, signature=line_signature(LINE_SECRET, body)).status_code == 400
    gateway.line_idle()
    assert fake_rasa.received == [] and fake_line.requests == []


@pytest.mark.parametrize("body", [b"\xff\xfe not utf-8", b"{not json", b'{"events": "nope"}', b"[]"])
def test_signed_garbage_gets_400(gateway, fake_rasa, body):
    assert gateway.post_line(body).status_code == 400
    gateway.line_idle()
    assert fake_rasa.received == []


def test_verification_request_with_no_events_gets_200(gateway, fake_line):
    assert gateway.post_line(line_body()).status_code == 200
    assert fake_line.requests == []


def test_wrong_method_and_huge_body(gateway):
    assert gateway.http.get("/line/webhook").status_code == 405
    huge = line_body(text_event("あ" * 40000))
    assert gateway.post_line(huge).status_code == 413


# --- text messages --------------------------------------------------------------------


def test_text_goes_to_rasa_and_the_answer_is_replied(gateway, fake_rasa, fake_line):
    fake_rasa.replies["こんにちは"] = [{"text": "こんにちは。ひだまり市のAI案内窓口です。"}]
    event = text_event("こんにちは", reply_token="token-1")
    assert gateway.post_line(line_body(event)).status_code == 200
    gateway.line_idle()

    assert fake_rasa.received == [
        {"sender": f"line:{USER}", "message": "こんにちは", "metadata": {"channel": "line"}}
    ]
    assert [r["json"] for r in fake_line.of("loading")] == [{"chatId": USER, "loadingSeconds": 20}]
    (reply,) = fake_line.of("reply")
    assert reply["authorization"] == f"Bearer {LINE_TOKEN}"
    assert reply["json"] == {
        "replyToken": "token-1",
        "messages": [{"type": "text", "text": "こんにちは。ひだまり市のAI案内窓口です。"}],
        "notificationDisabled": False,
    }
    assert fake_line.of("push") == []


def test_answer_with_yes_no_buttons(gateway, fake_rasa, fake_line):
    fake_rasa.replies["粗大ごみ"] = ANSWER_TURN
    gateway.post_line(line_body(text_event("粗大ごみ", reply_token="token-2")))
    gateway.line_idle()
    (reply,) = fake_line.of("reply")
    assert reply["json"]["messages"] == [
        {"type": "text", "text": ANSWER_TURN[0]["text"]},
        {
            "type": "text",
            "text": "解決しましたか？",
            "quickReply": {"items": [
                {"type": "action", "action": {"type": "postback", "label": "はい", "data": "/affirm", "displayText": "はい"}},
                {"type": "action", "action": {"type": "postback", "label": "いいえ", "data": "/deny", "displayText": "いいえ"}},
            ]},
        },
    ]


def test_choices_are_listed_with_numbers_and_offered_as_quick_replies(gateway, fake_rasa, fake_line):
    fake_rasa.replies["ごみ"] = CHOICES_TURN
    gateway.post_line(line_body(text_event("ごみ", reply_token="token-3")))
    gateway.line_idle()
    (reply,) = fake_line.of("reply")
    (message,) = reply["json"]["messages"]
    assert message["text"] == (
        "次のうち、知りたい内容に近いものはありますか？\n\n"
        "1. 粗大ごみの出し方を知りたい（申し込み方法と手数料について）\n"
        "2. ごみの分別\n"
        "3. どれにも当てはまらない"
    )
    assert message["quickReply"]["items"] == [
        {"type": "action", "action": {"type": "postback", "label": "1. 粗大ごみの出し方を知りたい（申し…",
                                      "data": CHOICES[0]["payload"], "displayText": CHOICES[0]["title"]}},
        {"type": "action", "action": {"type": "postback", "label": "2. ごみの分別",
                                      "data": CHOICES[1]["payload"], "displayText": "ごみの分別"}},
        {"type": "action", "action": {"type": "postback", "label": "3. どれにも当てはまらない",
                                      "data": "/deny", "displayText": "どれにも当てはまらない"}},
    ]
    assert all(len(item["action"]["label"]) <= 20 for item in message["quickReply"]["items"])


def test_postback_sends_its_data_to_rasa(gateway, fake_rasa, fake_line):
    event = line_event("postback", user=USER, data='/ask_question{"faq_id": "gomi-002"}')
    gateway.post_line(line_body(event))
    gateway.line_idle()
    assert fake_rasa.messages() == ['/ask_question{"faq_id": "gomi-002"}']
    assert len(fake_line.of("reply")) == 1


def test_expired_reply_token_falls_back_to_push(gateway, fake_rasa, fake_line):
    fake_line.expired_tokens.add("old-token")
    gateway.post_line(line_body(text_event("住民票", reply_token="old-token")))
    gateway.line_idle()
    (reply,) = fake_line.of("reply")
    (push,) = fake_line.of("push")
    assert push["json"] == {"to": USER, "messages": reply["json"]["messages"], "notificationDisabled": False}
    assert push["retry_key"] and len(push["retry_key"]) == 36  # a UUID, as LINE asks


def test_redelivered_event_is_handled_once(gateway, fake_rasa, fake_line):
    event = text_event("戸籍", event_id="01HREDELIVERED0000000000000")
    gateway.post_line(line_body(event))
    again = dict(event, deliveryContext={"isRedelivery": True})
    assert gateway.post_line(line_body(again)).status_code == 200
    gateway.line_idle()
    assert fake_rasa.messages() == ["戸籍"]
    assert len(fake_line.sent()) == 1


def test_events_of_one_user_are_answered_in_order(gateway, fake_rasa, fake_line):
    fake_rasa.delays["一つ目"] = 0.3
    fake_line.slow_tokens["t1"] = 1.0
    body = line_body(text_event("一つ目", reply_token="t1"), text_event("二つ目", reply_token="t2"))
    gateway.post_line(body)
    gateway.line_idle()
    assert [r["json"]["replyToken"] for r in fake_line.of("reply")] == ["t1", "t2"]
    assert fake_rasa.messages() == ["一つ目", "二つ目"]


def test_webhook_answers_before_the_bot_has_answered(config, fake_rasa, fake_line):
    fake_rasa.delay = 1.5
    for gateway in start_gateway(config):
        assert gateway.post_line(line_body(text_event("ゆっくり"))).status_code == 200
        assert fake_line.sent() == []  # the work goes on after the 200
        gateway.line_idle()
        assert len(fake_line.sent()) == 1


def test_follow_greets_with_popular_topics(gateway, fake_rasa, fake_line):
    gateway.post_line(line_body(line_event("follow", user=USER, reply_token="follow-token")))
    gateway.line_idle()
    assert fake_rasa.received == []
    (reply,) = fake_line.of("reply")
    (message,) = reply["json"]["messages"]
    assert message["text"].startswith("友だち追加ありがとうございます。ひだまり市のAI案内窓口です。")
    assert "119番" in message["text"]
    items = message["quickReply"]["items"]
    assert items[0] == {"type": "action", "action": {"type": "message", "label": "粗大ごみの出し方", "text": "粗大ごみの出し方"}}
    assert [i["action"]["text"] for i in items][-1] == "職員と話したい"
    assert len(items) <= 13


@pytest.mark.parametrize("kind, words", [
    ("sticker", "スタンプ"), ("image", "画像"), ("location", "位置情報"), ("audio", "音声"),
])
def test_non_text_messages_get_a_polite_text(gateway, fake_rasa, fake_line, kind, words):
    gateway.post_line(line_body(line_event(kind, user=USER)))
    gateway.line_idle()
    assert fake_rasa.received == []
    (reply,) = fake_line.of("reply")
    (message,) = reply["json"]["messages"]
    assert message["type"] == "text" and words in message["text"] and "文字で" in message["text"]


def test_line_limits_are_respected(gateway, fake_rasa, fake_line):
    many_buttons = [{"title": f"質問{i}", "payload": f"/q{i}"} for i in range(15)]
    fake_rasa.replies["多い"] = [{"text": f"{i}通目"} for i in range(6)] + [
        {"text": "あ" * 6000, "buttons": many_buttons}
    ]
    gateway.post_line(line_body(text_event("多い")))
    gateway.line_idle()
    (reply,) = fake_line.of("reply")
    messages = reply["json"]["messages"]
    assert len(messages) == 5
    assert all(len(m["text"]) <= 5000 for m in messages)
    assert len(messages[-1]["quickReply"]["items"]) == 13


def test_rasa_down_or_slow_gets_a_polite_answer(config, fake_rasa, fake_line):
    fake_rasa.status = 500
    for gateway in start_gateway(config.with_(rasa_timeout=1)):
        gateway.post_line(line_body(text_event("壊れている？")))
        gateway.line_idle()
        fake_rasa.status, fake_rasa.delay = 200, 3
        gateway.post_line(line_body(text_event("遅い？")))
        gateway.line_idle()
    replies = [r["json"]["messages"][0]["text"] for r in fake_line.of("reply")]
    assert len(replies) == 2
    for text in replies:
        assert text.startswith("申し訳ありません。ただいま自動案内がご利用いただけません。")
        assert "099-000-1000" in text and "Traceback" not in text


def test_long_message_is_declined_politely(gateway, fake_rasa, fake_line):
    gateway.post_line(line_body(text_event("あ" * 1001)))
    gateway.line_idle()
    assert fake_rasa.received == []
    assert "長いメッセージ" in fake_line.of("reply")[0]["json"]["messages"][0]["text"]


# --- handoff and staff replies --------------------------------------------------------


def test_handoff_pauses_the_bot_and_staff_reply_is_pushed(gateway, fake_rasa, fake_line):
    fake_rasa.replies["職員と話したい"] = [
        {"text": "職員におつなぎします。"},
        {"custom": {"madoguchi": {"kind": "handoff", "ticket_id": "T-7", "transfer_phone": "099-000-1000",
                                  "in_hours": True, "back_at": ""}}},
    ]
    fake_rasa.replies["まだですか"] = []  # Rasa is paused: it records, answers nothing
    heard = []

    async def listener(conversation_id, text):
        heard.append((conversation_id, text))

    gateway.gateway.desk.listeners.append(listener)
    gateway.post_line(line_body(text_event("職員と話したい")))
    gateway.line_idle()
    assert gateway.gateway.desk.get(f"line:{USER}").ticket_id == "T-7"
    gateway.post_line(line_body(text_event("まだですか")))
    gateway.line_idle()
    assert fake_rasa.messages() == ["職員と話したい", "まだですか"]
    assert len(fake_line.sent()) == 1  # nothing answered to the paused message
    assert heard == [(f"line:{USER}", "まだですか")]

    assert gateway.run(gateway.gateway.deliver_staff_message(f"line:{USER}", "担当の山田です。ご用件を伺います。")) is True
    push = fake_line.of("push")[-1]
    assert push["json"] == {"to": USER, "messages": [
        {"type": "text", "text": "【ひだまり市 職員より】\n担当の山田です。ご用件を伺います。"}
    ], "notificationDisabled": False}


def test_line_off_without_secrets_but_web_still_runs(config, fake_rasa):
    for gateway in start_gateway(config.with_(line_channel_secret="", line_channel_access_token="")):
        body = line_body(text_event("こんにちは"))
        assert gateway.post_line(body).status_code == 503
        assert gateway.http.get("/health").json() == {"status": "ok", "web": True, "line": False, "phone": True}
        session = gateway.http.post("/web/api/session").json()["session"]
        answer = gateway.http.post("/web/api/message", json={"session": session, "text": "こんにちは"})
        assert answer.status_code == 200


# --- rendering (constructed turns) ----------------------------------------------------


def test_render_turn_without_custom_part_keeps_text_and_buttons():
    messages = render_turn(parse_turn([{"text": "どうぞ", "buttons": [{"title": "はい", "payload": "/affirm"}]}]))
    assert [m.to_dict() for m in messages] == [{
        "type": "text", "text": "どうぞ",
        "quickReply": {"items": [{"type": "action", "action": {
            "type": "postback", "label": "はい", "data": "/affirm", "displayText": "はい"}}]},
    }]


def test_render_empty_turn_is_nothing():
    assert render_turn(parse_turn([])) == []
    assert render_turn(parse_turn([{"custom": {"madoguchi": {"kind": "handoff"}}}])) == []


def test_the_line_profile_language_travels_to_rasa_and_is_asked_once(gateway, fake_rasa, fake_line):
    fake_line.profile_languages[USER] = "pt-BR"
    for n, message in enumerate(("1", "obrigado")):
        gateway.post_line(line_body(text_event(message, reply_token=f"token-pt-{n}")))
        gateway.line_idle()
    assert [r["metadata"] for r in fake_rasa.received] == [{"channel": "line", "language": "pt"}] * 2
    fake_line.profile_languages[USER] = "en"  # cached: the profile is read once per user
    gateway.post_line(line_body(text_event("hello", reply_token="token-pt-2")))
    gateway.line_idle()
    assert fake_rasa.received[-1]["metadata"] == {"channel": "line", "language": "pt"}


# --- the gateway's own texts in the resident's language ---------------------------------


def test_english_user_sending_a_sticker_gets_the_english_text(gateway, fake_rasa, fake_line):
    fake_line.profile_languages[USER] = "en-US"
    gateway.post_line(line_body(line_event("sticker", user=USER)))
    gateway.line_idle()
    assert fake_rasa.received == []
    (reply,) = fake_line.of("reply")
    (message,) = reply["json"]["messages"]
    assert message == {"type": "text", "text": (
        "Thank you for the sticker. Sorry, I can only read text, so I cannot answer stickers. "
        "Please send your question as text."
    )}


def test_follow_from_a_korean_line_app_is_greeted_in_korean(gateway, fake_rasa, fake_line):
    fake_line.profile_languages[USER] = "ko"
    gateway.post_line(line_body(line_event("follow", user=USER, reply_token="follow-ko")))
    gateway.line_idle()
    (reply,) = fake_line.of("reply")
    (message,) = reply["json"]["messages"]
    assert message["text"].startswith("친구 추가해 주셔서 감사합니다. ひだまり市 AI 안내 창구입니다.")
    assert "119번" in message["text"] and "110번" in message["text"]
    assert "quickReply" not in message  # the city's topics are Japanese: not offered in Korean


def test_the_written_language_wins_over_the_profile_for_the_gateways_texts(config, fake_rasa, fake_line):
    fake_line.profile_languages[USER] = "pt-BR"
    fake_rasa.status = 500
    for gateway in start_gateway(config.with_(rasa_timeout=1)):
        for n, text in enumerate(("How can I get a residence certificate?", "住民票の取り方", "1")):
            gateway.post_line(line_body(text_event(text, reply_token=f"down-{n}")))
            gateway.line_idle()
        gateway.post_line(line_body(line_event("postback", user=USER, reply_token="down-3", data="/affirm")))
        gateway.line_idle()
        gateway.post_line(line_body(text_event("Could you tell me how to get a residence certificate for my family? " * 16,
                                              reply_token="long-en")))
        gateway.line_idle()
    english, japanese, digit, postback, long = [r["json"]["messages"][0]["text"] for r in fake_line.of("reply")]
    assert english.startswith("Sorry, the automatic guide is not available right now.")
    assert "ひだまり市, 099-000-1000" in english
    assert japanese.startswith("申し訳ありません。ただいま自動案内がご利用いただけません。")
    # no letters, or a button's payload: the LINE app's language (Portuguese)
    assert digit.startswith("Desculpe, o atendimento automático não está disponível")
    assert postback == digit
    assert long == "Sorry, I cannot answer long messages. Please make your question shorter and send it again."
    assert fake_rasa.messages() == ["How can I get a residence certificate?", "住民票の取り方", "1", "/affirm"]


def test_staff_reply_header_and_page_button_follow_the_residents_language(gateway, fake_line):
    fake_line.profile_languages[USER] = "vi"
    assert gateway.run(gateway.gateway.deliver_staff_message(f"line:{USER}", "担当の山田です。")) is True
    assert fake_line.of("push")[-1]["json"]["messages"] == [
        {"type": "text", "text": "【ひだまり市 Nhân viên】\n担当の山田です。"}
    ]
    passage = {"kind": "passage", "title": "粗大ごみ", "text": "粗大ごみは申し込み制です。",
               "url": "https://www.city.hidamari.example/gomi", "language": "zh"}
    (bubble,) = render_turn(parse_turn([{"text": "粗大ごみは申し込み制です。"}, {"custom": {"madoguchi": passage}}]))
    assert bubble.to_dict()["contents"]["footer"]["contents"][0]["action"]["label"] == "打开网页"
