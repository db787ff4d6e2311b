"""The console's pages in a real browser (Debian's chromium) at 1280 px and on a tablet, without
Rasa: they fit the screen, the scripts run under the CSP, and a conflict looks right.
Screenshots go to tests/artifacts/: look at them."""
from __future__ import annotations


import pytest

from console_support import ServerThread, browser_login

VIEWPORTS = {"desktop": {"width": 1280, "height": 900}, "tablet": {"width": 820, "height": 1180}}
PAGES = ["/faq", "/faq/F0001", "/faq/F0001/history", "/faq/new", "/faq/import", "/faq/decision", "/users", "/audit",
         "/password"]


@pytest.fixture
def server(gateway_app, staff_users, console_state):
    entry = console_state.store.get("F0001")
    console_state.store.update("F0001", {"answer": entry.answer.replace("300円", "350円"),
                                         "department": "市民課（本庁舎1階）"},
                               expected_version=entry.version, by="editor")
    with ServerThread(gateway_app) as running:
        yield running


def no_horizontal_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


@pytest.mark.parametrize("device", ["desktop", "tablet"])
def test_pages_fit_and_scripts_run(browser, server, artifacts, device):
    context = browser.new_context(viewport=VIEWPORTS[device], locale="ja-JP")
    page = context.new_page()
    errors = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("response", lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    page.goto(server.url + "/staff/login")
    page.screenshot(path=str(artifacts / f"console_login_{device}.png"))
    browser_login(page, server.url + "/staff", "admin")
    for path in PAGES:
        page.goto(server.url + "/staff" + path)
        assert page.locator("header .whoami").is_visible(), path
        assert no_horizontal_scroll(page), f"{path} scrolls sideways on the {device}"
    page.goto(server.url + "/staff/faq/decision")
    page.screenshot(path=str(artifacts / f"console_faq_decision_{device}.png"), full_page=True)
    page.goto(server.url + "/staff/faq")
    if device == "tablet":
        page.screenshot(path=str(artifacts / "console_faq_list_tablet.png"))
    page.goto(server.url + "/staff/faq/F0001/history")
    page.locator(".diff del").first.wait_for()
    page.screenshot(path=str(artifacts / f"console_faq_history_{device}.png"), full_page=True)
    # the live preview (console.js + faq_edit.js, CSP 'self') works
    page.goto(server.url + "/staff/faq/F0001")
    page.get_by_label("短い回答（電話で読み上げ・SMS）").fill("とても" * 70 + "長い回答です。")
    page.locator("#preview-phone-warning").filter(has_text="長すぎます").wait_for(timeout=5000)
    assert page.locator("#short-count").inner_text() == f"（{len('とても' * 70 + '長い回答です。')} 文字）"
    if device == "tablet":
        page.screenshot(path=str(artifacts / "console_faq_edit_tablet.png"), full_page=True)
    assert not errors, errors
    context.close()


def test_conflict_in_the_browser(browser, server, artifacts):
    pages = []
    for name in ("editor", "admin"):
        context = browser.new_context(viewport=VIEWPORTS["desktop"], locale="ja-JP")
        page = context.new_page()
        browser_login(page, server.url + "/staff", name)
        page.goto(server.url + "/staff/faq/F0005")
        pages.append(page)
    first, second = pages
    first.get_by_label("回答（LINE・Web チャットで表示）").fill("一人目が書いた回答です。")
    second.get_by_label("回答（LINE・Web チャットで表示）").fill("二人目が書いた回答です。")
    first.get_by_role("button", name="保存（公開中の回答を更新）").click()
    first.get_by_text("を保存しました").wait_for()
    second.get_by_role("button", name="保存（公開中の回答を更新）").click()
    second.get_by_role("heading", name="保存できませんでした: ほかの人が先に更新しています").wait_for()
    assert "一人目が書いた回答です。" in second.locator(".latest-values").inner_text()
    assert second.get_by_label("回答（LINE・Web チャットで表示）").input_value() == "二人目が書いた回答です。"
    second.screenshot(path=str(artifacts / "console_faq_conflict.png"), full_page=True)
