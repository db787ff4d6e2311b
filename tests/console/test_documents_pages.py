"""The 資料 page (sources, passages, errors per file, re-read, unpublish, remove: roles, CSRF,
audit) and 「FAQを下書き」 from an inbox group, over HTTP on the real gateway app."""
from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest

from console import audit
from console.period import today_jst
from inbox_support import ask, encoder, faq_service, sample_index, utc  # noqa: F401 (fixtures)
from records.store import Records

SITE = "https://www.city.hidamari.example"
DRONE = ["公園でドローンを飛ばしてもいいですか", "ドローンを公園で飛ばしたい", "公園でのドローンの飛行は許可が必要ですか"]
PAGE = """<html><head><meta charset="utf-8"><title>{title}｜ひだまり市</title>{head}</head><body>
<nav><a href="/">トップ</a> くらし・手続き</nav><main><h1>{title}</h1>{body}</main><footer>ひだまり市役所</footer></body></html>"""


@pytest.fixture
def site(tmp_path) -> Path:
    root = tmp_path / "site"
    root.mkdir()
    (root / "drone.html").write_text(PAGE.format(
        title="公園でのドローンの飛行", head=f'<link rel="canonical" href="{SITE}/koen/drone.html">',
        body="<p>市が管理する公園では、ほかの利用者の安全のため、ドローンの飛行を原則として禁止しています。</p>"
             "<h2>許可が必要な場合</h2><p>業務で飛行させる場合は、10日前までに道路公園課へ公園内行為許可申請を提出してください。</p>"),
        encoding="utf-8")
    (root / "kenketsu.html").write_text(PAGE.format(
        title="献血のお知らせ", head="", body="<p>献血バスは毎月第1水曜日に市役所本庁舎前へ来ます。</p>"), encoding="utf-8")
    (root / "locked.pdf").write_bytes(b"%PDF-1.4 broken" * 20)
    return root


@pytest.fixture
def imported(console_state, site, staff_users):
    from documents.importer import Importer
    from documents.store import DocumentStore

    store = DocumentStore(console_state.settings.db_url)
    report = Importer(store).import_paths([site])
    store.close()
    assert report.read == 2 and len(report.errors) == 1
    return site


def test_documents_page_lists_sources_and_errors(imported, logged_in, client):
    editor = logged_in("editor")
    page = editor.get("/staff/documents")
    assert page.status_code == 200
    assert "資料 2 件" in page.text and "読めなかったファイル 1 件" in page.text
    assert f'<a href="{SITE}/koen/drone.html"' in page.text and "公園でのドローンの飛行" in page.text
    assert "kenketsu" in page.text and "献血のお知らせ" in page.text
    assert "locked.pdf" in page.text and "PDF が壊れているため読めません" in page.text
    assert re.search(r"公園でのドローンの飛行</a>.*?<td>2</td>", page.text, re.S)  # its passages
    assert logged_in("operator").get("/staff/documents").status_code == 403
    assert client.get("/staff/documents", follow_redirects=False).status_code in (302, 303, 401)


def test_reread_unpublish_and_remove_with_csrf_and_audit(imported, logged_in, console_state):
    from documents.store import DocumentStore

    editor = logged_in("editor")
    store = DocumentStore(console_state.settings.db_url, migrate=False)
    before = store.get("kenketsu")
    (imported / "kenketsu.html").write_text(PAGE.format(
        title="献血のお知らせ", head="", body="<p>献血バスは毎月第2水曜日に来ます。</p>"), encoding="utf-8")
    assert editor.post("/staff/documents/reread", data={"id": "kenketsu"},
                       follow_redirects=False).status_code == 403  # no CSRF token
    done = editor.post("/staff/documents/reread", data={"id": "kenketsu", "csrf_token": editor.csrf})
    assert "「献血のお知らせ」を読み直しました" in done.text
    after = store.get("kenketsu")
    assert after.revision > before.revision and after.read_at >= before.read_at
    assert "第2水曜日" in store.passages(["kenketsu"])[0].text

    hidden = editor.post("/staff/documents/status",
                         data={"id": "kenketsu", "status": "unpublished", "csrf_token": editor.csrf})
    assert "非公開にしました" in hidden.text and store.get("kenketsu").status == "unpublished"
    assert "非公開</span>" in hidden.text

    (imported / "kenketsu.html").unlink()
    failed = editor.post("/staff/documents/reread", data={"id": "kenketsu", "csrf_token": editor.csrf})
    assert "読み直せませんでした：ファイルが見つかりません" in failed.text
    assert store.get("kenketsu") is not None  # kept until staff remove it

    gone = editor.post("/staff/documents/remove", data={"id": "kenketsu", "csrf_token": editor.csrf})
    assert "「献血のお知らせ」を削除しました" in gone.text and store.get("kenketsu") is None
    actions = [e.action for e in audit.entries(console_state.engine, limit=20, target="kenketsu")]
    assert {"documents.reread", "documents.unpublish", "documents.remove"} <= set(actions)
    store.close()


def test_draft_faq_from_the_best_passage(imported, logged_in, console_state, faq_service, encoder):
    from documents.service import DocumentService
    from documents.store import DocumentStore

    console_state.faq_service = faq_service
    console_state.document_service = DocumentService(
        DocumentStore(console_state.settings.db_url, migrate=False), encoder, faq_service.analyzer,
        show_progress=False)
    records = Records(console_state.engine)
    day = today_jst() - timedelta(days=1)
    ids = [ask(records, f"web:d{n}", text, "none", utc(day.year, day.month, day.day, 10 + n))
           for n, text in enumerate(DRONE)]
    editor = logged_in("editor")
    inbox = editor.get("/staff/inbox").text
    link = f"/inbox/new?source=documents&amp;ids={','.join(map(str, ids))}"
    assert link in inbox and "FAQを下書き" in inbox
    form = editor.get("/staff" + link.replace("&amp;", "&")).text
    answer = re.search(r'<textarea name="answer"[^>]*>(.*?)</textarea>', form, re.S).group(1)
    assert "ドローンの飛行を原則として禁止しています" in answer or "公園内行為許可申請" in answer
    assert f'name="url" type="url" value="{SITE}/koen/drone.html"' in form
    assert "下書きの元にした資料" in form and 'name="question" value="公園で' in form
    assert re.search(r'value="draft"\s+checked', form)


def test_documents_page_in_a_browser(imported, gateway_app, browser, artifacts):
    from console_support import browser_login
    from inbox_support import ServerThread

    with ServerThread(gateway_app) as server:
        site = server.url + "/staff"
        page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="ja-JP")
        browser_login(page, site, "editor")
        page.get_by_role("link", name="資料", exact=True).click()
        page.get_by_role("heading", name="資料", exact=True).wait_for()
        row = page.locator("tr", has_text="献血のお知らせ")
        assert "公開中" in row.inner_text()
        assert "PDF が壊れているため読めません" in page.locator("section.card").inner_text()
        row.get_by_role("button", name="非公開にする").click()
        page.get_by_text("AIはこの資料を回答に使いません", exact=False).wait_for()
        assert "非公開" in page.locator("tr", has_text="献血のお知らせ").locator("td").nth(5).inner_text()
        page.screenshot(path=str(artifacts / "console_documents.png"), full_page=True, animations="disabled")
        page.close()
