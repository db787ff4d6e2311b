"""Answers from the city's own pages, through the real Rasa server and action server (the
`running_stack`, which imports the sample site): a question only a document answers gets the
passage with its page's title and link on the web, on LINE (a bubble with a link button) and on
the phone (a sentence read aloud, the link by SMS); a question the FAQ answers still gets the FAQ."""
from __future__ import annotations

import xml.etree.ElementTree as ET

import httpx
import pytest

import replies
from channels_support import line_body, line_event, start_gateway

pytestmark = pytest.mark.e2e

DOC_QUESTION = "市民農園を借りたいのですが、どうすればいいですか？"
DOC_TITLE = "市民農園の貸し出し"
DOC_URL = "https://www.city.hidamari.example/sangyo/nogyo/shiminnoen.html"
FAQ_QUESTION = "粗大ごみを出したいんですが、どうすればいいですか？"


@pytest.fixture
def stack(running_stack):
    return getattr(running_stack, "settings", running_stack)


@pytest.fixture
def real_gateway(stack, config):
    yield from start_gateway(config.with_(rasa_url=stack.rasa_url, rasa_timeout=90, phone_rasa_timeout=90))


def ask_web(http, session: str, text: str) -> dict:
    reply = http.post("/web/api/message", json={"session": session, "text": text})
    assert reply.status_code == 200, reply.text
    return reply.json()


def test_web_passage_with_title_and_link_then_the_faq_still_answers(stack):
    from records.store import Records

    with httpx.Client(base_url=f"http://127.0.0.1:{stack.app_port}", timeout=90, trust_env=False) as http:
        session = http.post("/web/api/session").json()["session"]
        reply = ask_web(http, session, DOC_QUESTION)
        assert reply["kind"] == "passage", reply
        assert len(reply["messages"]) == 2, [m["text"][-60:] for m in reply["messages"]]
        passage, solved = reply["messages"]
        assert "市民農園" in passage["text"] and f"（{DOC_TITLE}より）" in passage["text"]
        assert passage["text"].rstrip().endswith(DOC_URL)
        assert solved["text"] == replies.SOLVED_QUESTION
        assert [b["title"] for b in solved["buttons"]] == ["はい", "いいえ"]
        assert ask_web(http, session, "はい")["messages"][0]["text"] == replies.GLAD

        faq = ask_web(http, session, FAQ_QUESTION)
        assert faq["kind"] == "answer" and "粗大ごみ" in faq["messages"][0]["text"], faq
    records = Records.open(stack.db_url)
    inquiries = records.inquiries_of(f"web:{session}")
    assert [(i["decision"], i["resolved"]) for i in inquiries] == [("passage", True), ("answer", None)]


def test_web_widget_shows_the_passage_and_its_link(stack, artifacts):
    from playwright.sync_api import sync_playwright

    from channels_support import CHROMIUM, CHROMIUM_ARGS

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        page = browser.new_page(viewport={"width": 1100, "height": 860}, locale="ja-JP")
        page.set_default_timeout(90_000)
        page.goto(f"http://127.0.0.1:{stack.app_port}/web/")
        page.get_by_label("ご質問を入力").fill(DOC_QUESTION)
        page.get_by_label("ご質問を入力").press("Enter")
        page.locator(".msg-bot").nth(2).wait_for()  # greeting, passage, 解決しましたか？
        bubble = page.locator(".msg-bot").nth(1).locator(".bubble")
        assert DOC_TITLE in bubble.inner_text()
        link = bubble.locator(f'a[href="{DOC_URL}"]')
        assert link.count() == 1 and link.get_attribute("target") == "_blank"
        assert page.locator(".msg-bot").nth(2).locator(".choice").all_inner_texts() == ["はい", "いいえ"]
        page.screenshot(path=str(artifacts / "web_chat_passage.png"), animations="disabled")
        browser.close()


def test_line_passage_is_a_bubble_with_a_link_button(real_gateway, fake_line):
    user = "U" + "d0c5" * 8
    real_gateway.post_line(line_body(line_event("text", DOC_QUESTION, user=user, reply_token="rt-doc")))
    real_gateway.line_idle()
    (reply,) = fake_line.of("reply")
    bubble, solved = reply["json"]["messages"]
    assert bubble["type"] == "flex" and DOC_TITLE in bubble["altText"]
    body = bubble["contents"]["body"]["contents"]
    assert body[0]["text"] == DOC_TITLE and "市民農園" in body[1]["text"] and "http" not in body[1]["text"]
    (button,) = bubble["contents"]["footer"]["contents"]
    assert button["action"] == {"type": "uri", "label": "ページを開く", "uri": DOC_URL}
    assert solved["text"] == replies.SOLVED_QUESTION
    assert [i["action"]["label"] for i in solved["quickReply"]["items"]] == ["はい", "いいえ"]


def test_phone_reads_a_sentence_and_sends_the_link_by_sms(real_gateway, fake_twilio):
    params = {"CallSid": "CA" + "d0c5" * 8, "From": "+819011112222", "To": "+815012345678"}
    real_gateway.post_twilio("/twilio/voice", params)
    reply = real_gateway.post_twilio(
        "/twilio/voice/input?mode=main", dict(params, SpeechResult=DOC_QUESTION, Confidence="0.93"))
    root = ET.fromstring(reply.content)
    spoken = "".join(el.text or "" for el in root.iter("Say"))
    assert spoken.startswith(f"{DOC_TITLE}によると、"), spoken
    assert "http" not in spoken and "ショートメッセージでお送りする場合は、1を押してください" in spoken
    assert len(spoken) < 200
    sent = ET.fromstring(real_gateway.post_twilio("/twilio/voice/input?mode=after", dict(params, Digits="1")).content)
    (sms,) = fake_twilio.messages
    assert sms["To"] == "+819011112222"
    assert sms["Body"] == f"ひだまり市からのご案内です。\n{DOC_TITLE}\n{DOC_URL}"
    assert "".join(el.text or "" for el in sent.iter("Say")).startswith("ショートメッセージをお送りしました。")
