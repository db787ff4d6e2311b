"""End to end, in a real browser, on the real stack (Rasa + action server + gateway processes):
a resident asks for a person in the web widget, an operator takes the conversation in the
console, replies, sees the resident's answer arrive live, and releases it to the bot."""
from __future__ import annotations

import re

import pytest

from console_support import browser_login

pytestmark = pytest.mark.e2e


def test_operator_takes_replies_and_releases_a_web_conversation(stack_console, browser, artifacts):
    web_url = stack_console.rsplit("/staff", 1)[0] + "/web/"
    resident = browser.new_page(viewport={"width": 420, "height": 760}, locale="ja-JP")
    resident.goto(web_url)
    box = resident.get_by_label("ご質問を入力")
    box.fill("人と話したい")
    box.press("Enter")
    handed = resident.get_by_text("職員におつなぎします。", exact=False)
    handed.wait_for(timeout=60000)
    ticket_id = re.search(r"受付番号 (\d+)", handed.inner_text()).group(1)

    operator = browser.new_page(viewport={"width": 1280, "height": 900}, locale="ja-JP")
    operator.set_default_timeout(30000)
    operator.on("dialog", lambda dialog: dialog.accept())  # the release asks for confirmation
    browser_login(operator, stack_console, "operator")
    operator.goto(stack_console + "/handoff")
    row = operator.locator("#queue-rows tr").filter(has=operator.get_by_role("link", name=ticket_id, exact=True))
    assert "未対応" in row.inner_text() and "Web" in row.inner_text()
    row.get_by_role("link", name="開く").click()
    operator.get_by_role("heading", name=f"受付番号 {ticket_id}").wait_for()
    assert "人と話したい" in operator.locator("#chat").inner_text()  # the transcript
    operator.get_by_role("button", name="担当する").click()
    operator.get_by_text(f"受付番号 {ticket_id} を担当します").wait_for()

    reply = "市民課の山田です。お待たせしました。ご用件をお聞かせください。"
    operator.get_by_label("住民への返信", exact=False).fill(reply)
    operator.get_by_role("button", name="送信").click()
    operator.locator("#chat .from-staff .bubble", has_text=reply).wait_for()
    # the reply reaches the resident's widget in real time
    resident.locator(".msg-staff .bubble", has_text=reply).wait_for(timeout=20000)

    # the resident answers: the operator's page shows it without a reload
    box.fill("住民票を郵送で取り寄せたいです")
    box.press("Enter")
    operator.locator("#chat .from-resident .bubble", has_text="住民票を郵送で取り寄せたいです").wait_for(timeout=20000)
    operator.screenshot(path=str(artifacts / "console_handoff.png"), full_page=True, animations="disabled")

    operator.get_by_role("button", name="対応終了・ボットに戻す").click()
    operator.get_by_text(f"受付番号 {ticket_id} の対応を終了しました", exact=False).wait_for()
    assert operator.locator("#queue-rows").get_by_role("link", name=ticket_id, exact=True).count() == 0
    resident.get_by_text("職員との対応を終了しました", exact=False).wait_for(timeout=20000)

    # the bot answers this resident again
    bubbles = resident.locator(".msg-bot .bubble")
    before = bubbles.count()
    box.fill("住民票の写しはどこで取れますか")
    box.press("Enter")
    resident.wait_for_function(
        "n => document.querySelectorAll('.msg-bot .bubble').length > n", arg=before, timeout=60000)
    answer = " ".join(bubbles.all_inner_texts()[before:])
    assert "住民票" in answer, answer
    assert "職員にお送りしました" not in answer
    resident.close()
    operator.close()
