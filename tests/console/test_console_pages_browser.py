"""The inbox and the dashboard in a real browser (Debian's chromium via Playwright) on a month of
records: screenshots for people to look at, and an FAQ made from an unanswered group."""
from __future__ import annotations

from datetime import timedelta

import pytest

from console.period import today_jst
from console_support import browser_login
from inbox_support import ServerThread, encoder, faq_service, sample_index, seed_month  # noqa: F401
from records.store import Records


@pytest.fixture
def site(gateway_app, console_state, staff_users, faq_service):
    console_state.faq_service = faq_service  # the index is built once per session
    seed_month(Records(console_state.engine), today_jst())
    with ServerThread(gateway_app) as server:
        yield server.url + "/staff"


def test_dashboard_and_inbox_in_a_browser(site, browser, artifacts, faq_service):
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="ja-JP")
    browser_login(page, site, "editor")
    page.goto(site + "/dashboard")
    page.get_by_role("heading", name="日別の問い合わせ件数（チャネル別）").wait_for()
    assert page.locator(".chart svg").count() == 2
    assert page.locator("script[src*='pygal'], script[src^='http']").count() == 0  # nothing from outside
    assert "自己解決率" in page.locator(".kpis").inner_text()
    page.screenshot(path=str(artifacts / "console_dashboard.png"), full_page=True, animations="disabled")

    page.goto(site + "/inbox")
    first = page.locator("article.group").first
    rep = first.locator("h2").inner_text().strip("「」")
    assert "ドローン" in rep
    page.screenshot(path=str(artifacts / "console_inbox.png"), full_page=False, animations="disabled")

    # phrasings for the second group: the search proposes entries to add them to
    second = page.locator("article.group").nth(1)
    second.get_by_role("link", name="既存のFAQに言い換えとして追加").click()
    page.get_by_role("heading", name="既存の FAQ に言い換えとして追加").wait_for()
    assert page.locator("input[name=target]").count() >= 3
    assert page.locator("input[name=texts]:checked").count() == 3
    page.screenshot(path=str(artifacts / "console_inbox_phrasings.png"), animations="disabled")
    page.go_back()

    # an FAQ from the largest group, published: it leaves the inbox and answers at once
    first = page.locator("article.group").first
    first.get_by_role("link", name="新しいFAQを作る").click()
    page.get_by_label("回答", exact=True).fill("公園でのドローンの飛行は禁止しています。イベントで使う場合は公園緑地課にご相談ください。")
    page.get_by_label("公開する（すぐにAIが回答に使います）").check()
    new_id = page.get_by_label("ID", exact=True).input_value()
    page.screenshot(path=str(artifacts / "console_inbox_new.png"), animations="disabled")
    page.get_by_role("button", name="作成する").click()
    page.get_by_text(f"FAQ「{new_id}」を公開で作成しました", exact=False).wait_for()
    assert "ドローン" not in page.locator("article.group h2").first.inner_text()
    assert faq_service.search("公園でドローンを飛ばしてもいいですか").top.faq_id == new_id
    page.close()


def test_handoff_queue_in_a_browser(site, browser, artifacts, console_state):
    """The operator's queue: oldest first, waiting times, the voicemail's callback number."""
    from inbox_support import ticket
    from records.store import utcnow

    records = Records(console_state.engine)
    now = utcnow()
    voicemail = ticket(records, "tel:CA77", "voicemail", now - timedelta(hours=15), callback="090-2222-3333",
           message="粗大ごみの収集日を変更したいので折り返しお願いします")
    after_hours = ticket(records, "line:U9", "after_hours", now - timedelta(hours=9), message="保育園の申込書類について教えてください")
    handoff = ticket(records, "web:" + "b" * 32, "handoff", now - timedelta(minutes=4), last_query="国民健康保険の減免",
           candidates=["F0100", "F0101"], department="保険年金課",
           transcript=[{"who": "resident", "text": "国民健康保険の減免", "at": 1.7e9},
                       {"who": "bot", "text": "次のうち、知りたい内容に近いものはありますか？", "at": 1.7e9 + 1},
                       {"who": "resident", "text": "/deny", "at": 1.7e9 + 2}])
    page = browser.new_page(viewport={"width": 1280, "height": 700}, locale="ja-JP")
    browser_login(page, site, "operator")
    page.goto(site + "/handoff")
    rows = page.locator("#queue-rows tr")
    assert rows.count() >= 3
    order = [rows.nth(i).locator("td").first.inner_text() for i in range(rows.count())]
    assert order.index(str(voicemail)) < order.index(str(after_hours)) < order.index(str(handoff))  # oldest first
    assert "15時間" in rows.nth(order.index(str(voicemail))).inner_text()
    page.screenshot(path=str(artifacts / "console_handoff_queue.png"), animations="disabled")
    rows.filter(has_text="留守番電話").get_by_role("link", name="開く").click()
    page.get_by_text("090-2222-3333").wait_for()
    assert page.get_by_role("link", name="090-2222-3333").get_attribute("href") == "tel:090-2222-3333"
    page.screenshot(path=str(artifacts / "console_handoff_voicemail.png"), animations="disabled")
    page.close()
