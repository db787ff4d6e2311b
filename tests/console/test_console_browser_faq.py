"""End to end in a real browser (Debian's chromium via Playwright) against the real stack
(action server, Rasa, gateway with the console): an editor logs in, unpublishes an FAQ,
edits its answer (the previews follow), publishes it, and the web widget answers with the new
text within 5 seconds, without a restart or a retrain. Screenshots: tests/artifacts/."""
from __future__ import annotations

import time

import pytest

from console_support import browser_login

pytestmark = pytest.mark.e2e

FAQ_ID = "F0162"
QUESTION = "粗大ごみの手数料はいくらですか？"
NEW_ANSWER = ("【2027年4月改定】粗大ごみの手数料は、1点400円・800円・1200円のいずれかです。"
              "処理券はコンビニと市役所環境課で買えます。")
NEW_SHORT = "粗大ごみの手数料は、1点400円、800円、1200円のいずれかです。"


@pytest.fixture
def restore_faq(running_stack):
    """Puts the FAQ back as it was (other end-to-end tests share the stack)."""
    from faq.entry import EDITABLE_FIELDS
    from faq.store import FaqStore

    store = FaqStore(running_stack.settings.db_url)
    original = store.get(FAQ_ID)
    yield original
    current = store.get(FAQ_ID)
    store.update(FAQ_ID, {name: getattr(original, name) for name in EDITABLE_FIELDS},
                 expected_version=current.version, by="test")
    store.close()


def test_edit_publish_and_the_widget_answers(browser, stack_console, restore_faq, artifacts):
    original = restore_faq
    assert original.status == "published" and NEW_ANSWER not in original.answer
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="ja-JP")
    page.on("dialog", lambda dialog: dialog.accept())  # the 「非公開にしますか？」 confirmation

    browser_login(page, stack_console, "editor")
    assert page.url.endswith("/staff/faq")
    page.get_by_label("キーワード").fill("粗大ごみ")
    page.get_by_role("button", name="検索").click()
    page.get_by_role("link", name=QUESTION).wait_for()
    assert page.locator("header .role").inner_text() == "編集者"
    page.screenshot(path=str(artifacts / "console_faq_list.png"), full_page=True)

    page.get_by_role("link", name=QUESTION).click()
    page.get_by_role("heading", name=f"FAQ の編集 {FAQ_ID}").wait_for()
    # unpublish first, so that publishing is what brings the new answer to residents
    page.get_by_role("button", name="非公開にする").click()
    page.get_by_text(f"FAQ「{FAQ_ID}」を非公開にしました").wait_for()

    answer = page.get_by_label("回答（LINE・Web チャットで表示）")
    answer.fill(NEW_ANSWER)
    page.get_by_label("短い回答（電話で読み上げ・SMS）").fill(NEW_SHORT)
    # the live previews follow the typing (fetch with the CSRF header)
    page.locator("#preview-line .line-bubble").first.filter(has_text="1点400円").wait_for(timeout=5000)
    page.locator("#preview-web .web-bubble").first.filter(has_text="1点400円").wait_for(timeout=5000)
    page.locator("#preview-phone").filter(has_text="400円、800円").wait_for(timeout=5000)
    assert "お問い合わせ：環境課" in page.locator("#preview-line .line-bubble").first.inner_text()
    assert page.locator("#preview-phone-warning").is_hidden()
    page.screenshot(path=str(artifacts / "console_faq_edit.png"), full_page=True)

    page.get_by_role("button", name="保存して公開").click()
    page.get_by_text(f"FAQ「{FAQ_ID}」を保存しました").wait_for()
    published_at = time.monotonic()
    assert page.locator(".toolbar .badge-ok").inner_text() == "公開中"

    # the resident asks on the web widget
    widget = browser.new_page(viewport={"width": 420, "height": 800}, locale="ja-JP")
    widget.goto(stack_console.replace("/staff", "/web/"))
    box = widget.get_by_label("ご質問を入力")
    box.fill(QUESTION)
    box.press("Enter")
    widget.locator(".msg-bot .bubble").filter(has_text="1点400円・800円・1200円").wait_for(timeout=15000)
    print(f"publish -> new answer in the widget: {time.monotonic() - published_at:.1f} s")
    widget.screenshot(path=str(artifacts / "console_faq_widget_answer.png"))

    # the audit log has the editor's steps
    from console import audit
    from faq.store import FaqStore
    from core.settings import load_settings

    store = FaqStore(load_settings().db_url)
    try:
        steps = [e.action for e in audit.entries(store.engine, target=FAQ_ID, limit=3)]
        assert steps == ["faq.publish", "faq.update", "faq.unpublish"]
    finally:
        store.close()


def test_change_searchable_within_5_seconds(running_stack, stack_console, restore_faq):
    """Strict timing without the browser: from the console's save to the bot answering the
    new text, through the real REST channel, under 5 seconds."""
    import httpx

    from console_support import PASSWORD

    base = stack_console
    with httpx.Client(base_url=base.rsplit("/staff", 1)[0], timeout=30) as http:
        page = http.get("/staff/login")
        import re

        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
        http.post("/staff/login", data={"name": "editor", "password": PASSWORD, "csrf_token": token})
        edit = http.get(f"/staff/faq/{FAQ_ID}")
        assert edit.status_code == 200
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', edit.text).group(1)
        version = re.search(r'name="version" value="(\d+)"', edit.text).group(1)
        from console.faq_tools import form_values

        values = {**form_values(restore_faq), "answer": "【即時反映テスト】粗大ごみの手数料は1点500円です。"}
        values.pop("status")
        started = time.monotonic()
        saved = http.post(f"/staff/faq/{FAQ_ID}", data={**values, "version": version, "csrf_token": csrf},
                          follow_redirects=False)
        assert saved.status_code == 303
        rest = f"http://127.0.0.1:{running_stack.settings.rasa_port}/webhooks/rest/webhook"
        answer = ""
        while time.monotonic() - started < 5:
            reply = httpx.post(rest, json={"sender": f"console-timing-{time.time()}", "message": QUESTION}, timeout=10)
            answer = " ".join(m.get("text", "") for m in reply.json())
            if "即時反映テスト" in answer:
                break
            time.sleep(0.3)
        elapsed = time.monotonic() - started
        assert "即時反映テスト" in answer, f"not answered with the change after {elapsed:.1f} s: {answer[:200]}"
        assert elapsed < 5
