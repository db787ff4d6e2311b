"""The web chat in a real browser (Debian's chromium driven by Playwright), with a scripted Rasa.

Screenshots go to tests/artifacts/: look at them, they are what a resident sees.
"""
from __future__ import annotations

import shutil
import subprocess
import time

import pytest

from fastapi import FastAPI
from fastapi.responses import HTMLResponse

from channels_support import CHROMIUM, CHROMIUM_ARGS as ARGS, ServerThread

URL = "https://www.city.hidamari.example/gomi/sodai"
YES_NO = [{"title": "はい", "payload": "/affirm"}, {"title": "いいえ", "payload": "/deny"}]
CHOICES = [
    {"title": "粗大ごみの出し方を知りたい", "payload": '/ask_question{"faq_id": "gomi-001"}'},
    {"title": "ごみの分別のしかた", "payload": '/ask_question{"faq_id": "gomi-002"}'},
    {"title": "どれにも当てはまらない", "payload": "/deny"},
]


def answer(text, faq_id="gomi-001"):
    return [
        {"text": f"{text}\n\n詳しくは：{URL}"},
        {"text": "解決しましたか？", "buttons": YES_NO},
        {"custom": {"madoguchi": {"kind": "answer", "faq_id": faq_id, "url": URL}}},
    ]


@pytest.fixture(scope="module")
def browser():
    if not shutil.which(CHROMIUM):
        pytest.fail("chromium is missing: run scripts/install_browser.sh (make test does)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def scripted(fake_rasa):
    fake_rasa.replies.update({
        "粗大ごみを出したい": answer("粗大ごみは、前日までに電話かインターネットで申し込んでください。手数料は品目ごとに200円から1,000円です。"),
        "ごみ": [
            {"text": "次のうち、知りたい内容に近いものはありますか？", "buttons": CHOICES},
            {"custom": {"madoguchi": {"kind": "choices", "choices": CHOICES}}},
        ],
        CHOICES[1]["payload"]: answer("燃やすごみ・資源ごみ・不燃ごみの3つに分けて、決められた曜日の朝8時までに出してください。", "gomi-002"),
        "/affirm": [{"text": "お役に立ててよかったです。ほかにご質問はありますか？"}],
        "/request_human": [
            {"text": "職員におつなぎします。このままお待ちください。"},
            {"custom": {"madoguchi": {"kind": "handoff", "ticket_id": "T-1", "in_hours": True}}},
        ],
        "よろしくお願いします": [],
    })
    return fake_rasa


def bot_texts(page):
    return page.locator(".msg-bot .bubble").all_inner_texts()


def test_japanese_fonts_are_installed():
    listing = subprocess.run(["fc-list", ":lang=ja", "family"], capture_output=True, text=True).stdout
    assert "Noto Sans CJK JP" in listing, "fonts-noto-cjk is missing: run scripts/install_browser.sh"


def test_desktop_question_answer_choice_and_feedback(browser, gateway, scripted, artifacts):
    page = browser.new_page(viewport={"width": 1280, "height": 860}, locale="ja-JP")
    page.goto(gateway.url + "/web/")
    page.get_by_text("こんにちは。ひだまり市のAI案内窓口です。").wait_for()
    log = page.get_by_role("log", name="会話の履歴")
    assert log.get_attribute("aria-live") == "polite"

    box = page.get_by_label("ご質問を入力")
    box.fill("粗大ごみを出したい")
    box.press("Enter")  # the keyboard sends
    page.get_by_text("粗大ごみは、前日までに電話かインターネットで申し込んでください。", exact=False).wait_for()
    link = page.locator(".msg-bot a").last
    assert link.get_attribute("href") == URL and link.get_attribute("target") == "_blank"
    assert page.locator(".msg-user .bubble").last.inner_text() == "粗大ごみを出したい"

    box.fill("ごみ")
    page.get_by_role("button", name="送信").click()
    choice = page.get_by_role("button", name="ごみの分別のしかた")
    choice.wait_for()
    assert page.get_by_role("group", name="次のうち、知りたい内容に近いものはありますか？").count() == 1
    choice.click()
    page.get_by_text("燃やすごみ・資源ごみ・不燃ごみの3つに分けて", exact=False).wait_for()
    assert choice.get_attribute("aria-pressed") == "true" and choice.is_disabled()
    assert page.locator(".msg-user .bubble").last.inner_text() == "ごみの分別のしかた"

    page.get_by_role("button", name="はい").last.click()
    page.get_by_text("お役に立ててよかったです。", exact=False).wait_for()
    assert scripted.messages() == ["粗大ごみを出したい", "ごみ", CHOICES[1]["payload"], "/affirm"]

    # Shift+Enter is a new line, not a send
    box.fill("一行目")
    box.press("Shift+Enter")
    assert len(scripted.messages()) == 4
    # the page itself never scrolls away: only the message list does
    assert page.evaluate("document.scrollingElement.scrollHeight") <= 860
    assert page.get_by_role("heading", name="ひだまり市 AI案内窓口").bounding_box()["y"] >= 0
    page.screenshot(path=str(artifacts / "web_chat_desktop.png"), animations="disabled")
    page.close()


def test_phone_width_large_text_staff_and_staff_reply(browser, gateway, scripted, artifacts):
    context = browser.new_context(viewport={"width": 375, "height": 740}, device_scale_factor=2,
                                  is_mobile=True, has_touch=True, locale="ja-JP")
    page = context.new_page()
    page.goto(gateway.url + "/web/")
    page.get_by_text("こんにちは。ひだまり市のAI案内窓口です。").wait_for()
    assert page.get_by_role("button", name="粗大ごみの出し方").is_visible()  # popular topics
    page.screenshot(path=str(artifacts / "web_chat_phone_start.png"), animations="disabled")
    size = page.get_by_role("button", name="文字を大きく")
    size.click()
    assert page.evaluate("getComputedStyle(document.documentElement).fontSize") == "20px"
    assert page.get_by_role("button", name="文字を標準に").get_attribute("aria-pressed") == "true"

    page.get_by_label("ご質問を入力").fill("ごみ")
    page.get_by_label("ご質問を入力").press("Enter")
    page.get_by_role("button", name="粗大ごみの出し方を知りたい").wait_for()

    page.get_by_role("button", name="職員と話す").click()
    page.get_by_text("職員におつなぎします。", exact=False).wait_for()
    banner = page.get_by_role("status").filter(has_text="職員対応中")
    assert banner.is_visible()
    page.get_by_label("ご質問を入力").fill("よろしくお願いします")
    page.get_by_label("ご質問を入力").press("Enter")
    page.get_by_text("職員にお送りしました").wait_for()

    session = page.evaluate("sessionStorage.getItem('madoguchi.session')")
    deadline = time.monotonic() + 20  # until the widget's event stream is connected
    while not gateway.gateway.web.sessions[session].listeners:
        assert time.monotonic() < deadline, "the widget never opened its event stream"
        time.sleep(0.05)
    delivered = gateway.run(gateway.gateway.deliver_staff_message(f"web:{session}", "市民課の佐藤です。お待たせしました。ご用件を伺います。"))
    assert delivered is True
    staff = page.locator(".msg-staff .bubble")
    staff.wait_for()
    assert staff.inner_text() == "市民課の佐藤です。お待たせしました。ご用件を伺います。"
    assert page.locator(".msg-staff .who").inner_text() == "職員"
    # nothing wider than the phone
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    assert page.evaluate("document.scrollingElement.scrollHeight") <= 740
    page.screenshot(path=str(artifacts / "web_chat_phone.png"), animations="disabled")
    context.close()


def test_rasa_down_shows_a_polite_message(browser, gateway, fake_rasa):
    fake_rasa.status = 503
    page = browser.new_page(viewport={"width": 800, "height": 700}, locale="ja-JP")
    page.goto(gateway.url + "/web/")
    page.get_by_label("ご質問を入力").fill("住民票")
    page.get_by_label("ご質問を入力").press("Enter")
    page.get_by_text("ただいま自動案内がご利用いただけません", exact=False).wait_for()
    assert "Traceback" not in page.content() and "Error" not in page.inner_text("body")
    page.close()


def test_one_script_tag_embeds_the_chat(browser, gateway, scripted, artifacts):
    city_site = FastAPI()  # the city's own site, on another origin

    @city_site.get("/")
    def home():
        return HTMLResponse(
            "<!doctype html><html lang='ja'><head><meta charset='utf-8'><title>ひだまり市</title></head>"
            "<body style='font-family: sans-serif; margin: 2rem'><h1>ひだまり市 公式ホームページ</h1>"
            "<p>くらし・手続き・子育て・健康・防災の情報をお届けします。</p>"
            f"<script src='{gateway.url}/web/embed.js' defer></script></body></html>"
        )

    page = browser.new_page(viewport={"width": 1280, "height": 860}, locale="ja-JP")
    with ServerThread(city_site) as site:
        page.goto(site.url.replace("127.0.0.1", "localhost") + "/")
        embedded_chat(page, gateway, artifacts)
    page.close()


def embedded_chat(page, gateway, artifacts):
    opener = page.get_by_role("button", name="AIに質問する")
    opener.click()
    assert page.get_by_role("dialog", name="ひだまり市 AI案内窓口").is_visible()
    frame = page.frame_locator("iframe[title='ひだまり市 AI案内窓口']")
    frame.get_by_label("ご質問を入力").fill("粗大ごみを出したい")
    frame.get_by_label("ご質問を入力").press("Enter")
    frame.get_by_text("粗大ごみは、前日までに", exact=False).wait_for()
    page.screenshot(path=str(artifacts / "web_chat_embedded.png"), animations="disabled")
    page.keyboard.press("Escape")
    opener.wait_for()
    assert opener.get_attribute("aria-expanded") == "false"
    assert not page.get_by_role("dialog").is_visible()
