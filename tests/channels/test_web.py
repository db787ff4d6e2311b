"""The web chat's HTTP side: page, API, staff replies over server-sent events, bad input."""
from __future__ import annotations

import json
import re
import threading

import httpx
import pytest

from channels.rasa import parse_turn
from channels.web import render_turn


def new_session(gateway) -> str:
    response = gateway.http.post("/web/api/session")
    assert response.status_code == 200
    session = response.json()["session"]
    assert re.fullmatch(r"[0-9a-f]{32}", session)
    return session


def test_page_is_japanese_self_contained_and_embeddable(gateway):
    page = gateway.http.get("/web/")
    assert page.status_code == 200
    assert '<html lang="ja">' in page.text
    assert "ひだまり市" in page.text and "職員と話す" in page.text and "文字を大きく" in page.text
    assert 'role="log"' in page.text and 'aria-live="polite"' in page.text
    assert '<label for="input"' in page.text
    # no external resources: closed networks
    assert not re.search(r'(src|href)="(https?:)?//', page.text)
    csp = page.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "frame-ancestors" not in csp
    assert "x-frame-options" not in page.headers
    for name, kind in (("chat.js", "javascript"), ("chat.css", "css")):
        asset = gateway.http.get(f"/web/static/{name}")
        assert asset.status_code == 200 and kind in asset.headers["content-type"]
        assert "//cdn" not in asset.text and "googleapis" not in asset.text
    embed = gateway.http.get("/web/embed.js")
    assert embed.status_code == 200 and "iframe" in embed.text and "ひだまり市 AI案内窓口" in embed.text
    assert gateway.http.get("/web/static/../config.py").status_code == 404
    assert gateway.http.get("/web/static/secret.txt").status_code == 404


def test_message_goes_to_rasa_and_comes_back_rendered(gateway, fake_rasa):
    session = new_session(gateway)
    choices = [{"title": "粗大ごみの出し方", "payload": "/ask_question{\"faq_id\": \"g1\"}"},
               {"title": "どれにも当てはまらない", "payload": "/deny"}]
    hinted = [{**choices[0], "hint": "申し込み制で収集します。"}, choices[1]]
    fake_rasa.replies["ごみ"] = [
        {"text": "次のうち、知りたい内容に近いものはありますか？", "buttons": choices},
        {"custom": {"madoguchi": {"kind": "choices", "choices": hinted}}},
    ]
    response = gateway.http.post("/web/api/message", json={"session": session, "text": "  ごみ  "})
    assert response.status_code == 200
    assert response.json() == {
        "kind": "choices",
        "handoff": False,
        "messages": [{"role": "bot", "text": "次のうち、知りたい内容に近いものはありますか？", "buttons": hinted}],
    }
    assert fake_rasa.received == [{"sender": f"web:{session}", "message": "ごみ", "metadata": {"channel": "web"}}]


@pytest.mark.parametrize("content, headers, status", [
    (b"{not json", {"Content-Type": "application/json"}, 400),
    (b"\xff\xfe\x00", {"Content-Type": "application/json"}, 400),
    (b"[1, 2]", {"Content-Type": "application/json"}, 400),
    (b'{"text": "hello"}', {"Content-Type": "application/json"}, 400),
    (b'{"session": "../../etc", "text": "hello"}', {"Content-Type": "application/json"}, 400),
    (b'{"session": "%s"}' % (b"a" * 32), {"Content-Type": "application/json"}, 400),
    (b'{"session": "%s", "text": "   "}' % (b"a" * 32), {"Content-Type": "application/json"}, 400),
    (b'{"session": "%s", "text": 5}' % (b"a" * 32), {"Content-Type": "application/json"}, 400),
    (json.dumps({"session": "a" * 32, "text": "あ" * 1001}).encode(), {"Content-Type": "application/json"}, 413),
    (b'{"session": "x", "text": "' + b"a" * 70000 + b'"}', {"Content-Type": "application/json"}, 413),
])
def test_bad_input_gets_4xx_and_a_log_line(gateway, fake_rasa, caplog, content, headers, status):
    with caplog.at_level("WARNING", logger="channels.gateway"):
        response = gateway.http.post("/web/api/message", content=content, headers=headers)
    assert response.status_code == status
    assert "error" in response.json()
    assert any("/web/api/message" in r.getMessage() and str(status) in r.getMessage() for r in caplog.records)
    assert fake_rasa.received == []


def test_wrong_method_and_unknown_paths(gateway):
    assert gateway.http.get("/web/api/message").status_code == 405
    assert gateway.http.put("/web/api/session").status_code == 405
    assert gateway.http.get("/nowhere").status_code == 404
    assert gateway.http.get("/web/api/events").status_code == 400  # no session


def test_rasa_down_or_slow_gives_a_polite_answer(config, fake_rasa):
    from channels_support import start_gateway

    for gateway in start_gateway(config.with_(rasa_timeout=1)):
        session = new_session(gateway)
        fake_rasa.status = 500
        down = gateway.http.post("/web/api/message", json={"session": session, "text": "住民票"})
        fake_rasa.status, fake_rasa.delay = 200, 3
        slow = gateway.http.post("/web/api/message", json={"session": session, "text": "住民票"})
        fake_rasa.delay, fake_rasa.raw = 0, b"<html>oops</html>"
        garbage = gateway.http.post("/web/api/message", json={"session": session, "text": "住民票"})
    for response in (down, slow, garbage):
        assert response.status_code == 200
        body = response.json()
        assert body["kind"] == "unavailable"
        (message,) = body["messages"]
        assert message["text"].startswith("申し訳ありません。ただいま自動案内がご利用いただけません。")


def test_rasa_down_gives_the_error_text_in_the_widgets_language(config, fake_rasa):
    from channels_support import start_gateway

    fake_rasa.status = 500
    texts = {}
    for gateway in start_gateway(config.with_(rasa_timeout=1)):
        session = new_session(gateway)
        for language in ("vi", "en-GB", "zh-CN", "ko", "pt-BR", "ja", "fr", None):
            response = gateway.http.post("/web/api/message",
                                         json={"session": session, "text": "1", "language": language})
            assert response.status_code == 200
            (message,) = response.json()["messages"]
            texts[language] = message["text"]
    assert texts["vi"] == (
        "Xin lỗi, hiện không thể sử dụng hướng dẫn tự động. Vui lòng thử lại sau. "
        "Nếu gấp, hãy gọi số tổng đài của ひだまり市: 099-000-1000 (giờ làm việc: 平日8時30分から17時15分)."
    )
    assert texts["en-GB"].startswith("Sorry, the automatic guide is not available right now.")
    assert texts["zh-CN"].startswith("对不起") and texts["ko"].startswith("죄송합니다")
    assert texts["pt-BR"].startswith("Desculpe")
    assert all("099-000-1000" in text for text in texts.values())
    # Japanese, and any language the gateway does not speak: the Japanese text, unchanged
    assert texts["ja"] == texts["fr"] == texts[None] == (
        "申し訳ありません。ただいま自動案内がご利用いただけません。しばらくしてから、もう一度お試しください。"
        "お急ぎの場合は、ひだまり市の代表電話 099-000-1000（平日8時30分から17時15分）へお電話ください。"
    )


def test_handoff_then_staff_reply_arrives_over_server_sent_events(gateway, fake_rasa):
    session = new_session(gateway)
    conversation = f"web:{session}"
    fake_rasa.replies["職員と話したい"] = [
        {"text": "職員におつなぎします。"},
        {"custom": {"madoguchi": {"kind": "handoff", "ticket_id": "T-9", "in_hours": True}}},
    ]
    fake_rasa.replies["よろしくお願いします"] = []
    first = gateway.http.post("/web/api/message", json={"session": session, "text": "職員と話したい"}).json()
    assert first["kind"] == "handoff" and first["handoff"] is True
    paused = gateway.http.post("/web/api/message", json={"session": session, "text": "よろしくお願いします"}).json()
    assert paused == {"kind": "empty", "handoff": True, "messages": []}

    received = []
    connected = threading.Event()

    def listen():
        with httpx.Client(base_url=gateway.url, timeout=30, trust_env=False) as client:
            with client.stream("GET", "/web/api/events", params={"session": session}) as stream:
                assert stream.headers["content-type"].startswith("text/event-stream")
                connected.set()
                for line in stream.iter_lines():
                    if line.startswith("data: "):
                        received.append(json.loads(line[6:]))
                        return

    thread = threading.Thread(target=listen)
    thread.start()
    assert connected.wait(10)
    assert gateway.run(gateway.gateway.deliver_staff_message(conversation, "市民課の佐藤です。ご用件をどうぞ。")) is True
    thread.join(10)
    assert received == [{"role": "staff", "text": "市民課の佐藤です。ご用件をどうぞ。", "buttons": []}]


def test_staff_message_waits_for_the_widget_to_connect(gateway):
    session = new_session(gateway)
    # the staff API, for a console in another process
    denied = gateway.http.post("/staff/api/messages", json={"conversation_id": f"web:{session}", "text": "x"})
    assert denied.status_code == 401
    sent = gateway.http.post(
        "/staff/api/messages",
        json={"conversation_id": f"web:{session}", "text": "お待たせしました。"},
        headers={"Authorization": "Bearer staff-secret"},
    )
    assert sent.json() == {"delivered": True}
    bad = gateway.http.post("/staff/api/messages", json={"conversation_id": "fax:1", "text": "x"},
                            headers={"Authorization": "Bearer staff-secret"})
    assert bad.status_code == 400
    with httpx.Client(base_url=gateway.url, timeout=30, trust_env=False) as client:
        with client.stream("GET", "/web/api/events", params={"session": session}) as stream:
            data = next(line for line in stream.iter_lines() if line.startswith("data: "))
    assert json.loads(data[6:])["text"] == "お待たせしました。"


def test_render_answer_turn_hides_the_custom_part():
    turn = parse_turn([
        {"text": "答えです。詳しくは：https://www.city.hidamari.example/a"},
        {"text": "解決しましたか？", "buttons": [{"title": "はい", "payload": "/affirm"}, {"title": "いいえ", "payload": "/deny"}]},
        {"custom": {"madoguchi": {"kind": "answer", "faq_id": "a", "url": "https://www.city.hidamari.example/a"}}},
    ])
    assert turn.kind == "answer"
    assert render_turn(turn) == [
        {"role": "bot", "text": "答えです。詳しくは：https://www.city.hidamari.example/a", "buttons": []},
        {"role": "bot", "text": "解決しましたか？", "buttons": [
            {"title": "はい", "payload": "/affirm"}, {"title": "いいえ", "payload": "/deny"}]},
    ]


def test_render_choices_from_custom_part_only():
    choices = [{"title": "A", "payload": "/a"}, {"title": "どれにも当てはまらない", "payload": "/deny"}]
    turn = parse_turn([{"text": "どれですか？"}, {"custom": {"madoguchi": {"kind": "choices", "choices": choices}}}])
    assert render_turn(turn)[-1] == {"role": "bot", "text": "", "buttons": choices}
