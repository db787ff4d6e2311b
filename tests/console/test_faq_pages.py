"""FAQ curation through the console's pages, on a real SQLite copy of the sample FAQ:
search and filters, create, edit, publish, conflicts, history/diff/revert, CSV in and out,
the channel previews, the audit entries."""
from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest

from console import audit
from faq.entry import utcnow


def flashes(html: str):
    return [re.sub(r"\s+", " ", m).strip() for m in re.findall(r'class="flash flash-\w+"[^>]*>(.*?)</', html, re.S)]


def listed_ids(html: str):
    return re.findall(r'<td class="nowrap"><a href="/staff/faq/([^"]+)">', html)


def edit_form(store, faq_id, **changes):
    """The edit form as the browser would post it (all fields), with changes."""
    from console.faq_tools import form_values

    entry = store.get(faq_id)
    values = {**form_values(entry), **changes}
    values.pop("status")
    values["version"] = changes.get("version", entry.version)
    return values


@pytest.fixture
def editor(logged_in):
    return logged_in("editor")


@pytest.fixture
def store(console_state):
    return console_state.store


def post(c, path, data=None, **kwargs):
    return c.post(path, data={**(data or {}), "csrf_token": c.csrf}, **kwargs)


# ---- list, search, filters ---------------------------------------------------------------

def test_search_covers_phrasings_keywords_and_answer(editor, store):
    store.create({"id": "T-1", "question": "テスト用の質問", "answer": "ふつうの回答です。",
                  "alternatives": ["ほげ申請のしかた"], "keywords": ["ぴよぴよ"], "status": "published"})
    for query in ("ほげ申請", "ぴよぴよ", "ピヨピヨ", "ふつうの回答", "テスト用 質問"):
        ids = listed_ids(editor.get("/staff/faq", params={"q": query}).text)
        assert ids == ["T-1"], (query, ids)
    # a phrasing of the sample data (only in alternatives, not in the question)
    assert "F0001" in listed_ids(editor.get("/staff/faq", params={"q": "発行場所"}).text)
    assert listed_ids(editor.get("/staff/faq", params={"q": "存在しない言葉ぬぬぬ"}).text) == []


def test_filters_and_pagination(editor, store):
    now = utcnow()
    common = {"question": "期間のテスト", "answer": "回答", "category": "テスト分類", "department": "テスト課",
              "status": "published"}
    store.create({"id": "T-expired", **common, "publish_end": now - timedelta(days=1)})
    store.create({"id": "T-ending", **common, "publish_end": now + timedelta(days=10)})
    store.create({"id": "T-later", **common, "publish_end": now + timedelta(days=90)})
    store.create({"id": "T-scheduled", **common, "publish_start": now + timedelta(days=5)})
    store.create({"id": "T-draft", **common, "status": "draft"})

    def ids(**params):
        return set(listed_ids(editor.get("/staff/faq", params=params).text))

    assert ids(category="テスト分類") == {"T-expired", "T-ending", "T-later", "T-scheduled", "T-draft"}
    assert ids(department="テスト課", status="draft") == {"T-draft"}
    assert ids(department="テスト課", expiry="expired") == {"T-expired"}
    assert ids(department="テスト課", expiry="ending") == {"T-ending"}
    assert ids(department="テスト課", expiry="scheduled") == {"T-scheduled"}
    drafts = ids(status="draft")
    assert "T-draft" in drafts and "F0001" not in drafts
    assert ids(department="市民課") and all(store.get(i).department == "市民課" for i in ids(department="市民課"))
    # 325 entries, 50 a page
    page = editor.get("/staff/faq", params={"page": 2}).text
    assert "2 / 7 ページ" in page and len(listed_ids(page)) == 50
    assert listed_ids(page)[0] == "F0051"
    assert "期限切れ" in page and "30日以内に終了" in page


# ---- create, edit, publish -----------------------------------------------------------------

def test_create_edit_publish_unpublish(editor, store, console_state):
    response = post(editor, "/staff/faq/new", {"id": "T-new", "question": "犬の登録は？", "answer": "保健所で登録します。",
                                               "alternatives": "犬を飼い始めた\n犬の届け出", "keywords": "犬\n登録",
                                               "short_answer": "保健所で登録します。", "department": "環境課",
                                               "phone": "099-000-1234", "action": "save"}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/staff/faq/T-new"
    entry = store.get("T-new")
    assert entry.status == "draft" and entry.updated_by == "editor"
    assert entry.alternatives == ("犬を飼い始めた", "犬の届け出") and entry.keywords == ("犬", "登録")
    page = editor.get("/staff/faq/T-new").text
    assert "FAQ「T-new」を作成しました（下書き）" in flashes(page)[0]

    response = post(editor, "/staff/faq/T-new", edit_form(store, "T-new", answer="市役所の環境課で登録します。"),
                    follow_redirects=True)
    assert "版 2" in flashes(response.text)[0] and "下書きとして保存" in flashes(response.text)[0]
    assert store.get("T-new").answer == "市役所の環境課で登録します。"

    response = post(editor, "/staff/faq/T-new/publish", {"version": 2}, follow_redirects=True)
    assert "公開しました" in flashes(response.text)[0]
    assert store.get("T-new").status == "published" and store.get("T-new").is_searchable()
    response = post(editor, "/staff/faq/T-new/unpublish", {"version": 3}, follow_redirects=True)
    assert "非公開にしました" in flashes(response.text)[0] and store.get("T-new").status == "draft"
    # a stale version: refused, nothing changes
    response = post(editor, "/staff/faq/T-new/publish", {"version": 2}, follow_redirects=True)
    assert "他の人が先に更新しました" in flashes(response.text)[0] and store.get("T-new").status == "draft"

    actions = [(e.action, e.target, e.actor) for e in audit.entries(console_state.engine, target="T-new")]
    # newest first; the refused stale publish left no entry
    assert [a for a, _, _ in actions] == ["faq.unpublish", "faq.publish", "faq.update", "faq.create"]
    assert all(actor == "editor" for _, _, actor in actions)


def test_save_and_publish_in_one_step(editor, store):
    post(editor, "/staff/faq/new", {"id": "T-pub", "question": "質問", "answer": "回答", "action": "publish"})
    assert store.get("T-pub").status == "published"


def test_invalid_and_duplicate_are_refused(editor, store):
    before = store.revision()
    response = post(editor, "/staff/faq/new", {"id": "T-bad", "question": "質問だけ", "answer": "", "url": "ftp://x"})
    assert response.status_code == 400
    assert "answer（回答）が空です" in response.text and "http:// か https://" in response.text
    assert 'value="質問だけ"' in response.text  # the input is kept
    response = post(editor, "/staff/faq/new", {"id": "F0001", "question": "q", "answer": "a"})
    assert response.status_code == 400 and "すでにあります" in response.text
    assert store.get("T-bad") is None and store.revision() == before
    response = post(editor, "/staff/faq/F0001", edit_form(store, "F0001", publish_end="来年のどこか"))
    assert response.status_code == 400 and "読めません" in response.text
    assert editor.get("/staff/faq/NO-SUCH").status_code == 404


def test_two_editors_conflict(logged_in, store, console_state):
    first, second = logged_in("editor"), logged_in("admin")
    original = store.get("F0002")
    form_first = edit_form(store, "F0002", answer=original.answer + "（一人目の追記）")
    form_second = edit_form(store, "F0002", answer=original.answer + "（二人目の追記）")
    assert post(first, "/staff/faq/F0002", form_first, follow_redirects=False).status_code == 303
    response = post(second, "/staff/faq/F0002", form_second)
    assert response.status_code == 409
    text = response.text
    assert "ほかの人が先に更新しています" in text and "他の人が先に更新しました" in text
    assert "何も上書きしていません" in text
    assert "一人目の追記" in text  # the current version's content is shown
    assert "二人目の追記" in text  # and the second editor's input is kept
    current = store.get("F0002")
    assert current.answer.endswith("（一人目の追記）") and current.version == original.version + 1
    # the form now carries the latest version: saving again is a deliberate overwrite
    assert f'name="version" value="{current.version}"' in text
    resubmit = {**form_second, "version": current.version}
    assert post(second, "/staff/faq/F0002", resubmit, follow_redirects=False).status_code == 303
    assert store.get("F0002").answer.endswith("（二人目の追記）")


def test_history_diff_and_revert(editor, store, console_state):
    v1 = store.get("F0003")
    post(editor, "/staff/faq/F0003", edit_form(store, "F0003", answer="新しい回答その一。"))
    post(editor, "/staff/faq/F0003", edit_form(store, "F0003", answer="新しい回答その二。", department="新設課"))
    page = editor.get("/staff/faq/F0003/history").text
    assert f"版 {v1.version + 1} → 版 {v1.version + 2} の差分" in page
    assert "変更前" in page and "変更後" in page and "<th>回答</th>" in page and "<th>担当課</th>" in page
    assert "その<del>一</del>" in page and "その<ins>二</ins>" in page
    assert "unified diff" in page and "+++ 版" in page
    page = editor.get("/staff/faq/F0003/history", params={"a": v1.version, "b": v1.version + 2}).text
    assert f"版 {v1.version} → 版 {v1.version + 2}" in page

    current = store.get("F0003")
    stale = post(editor, "/staff/faq/F0003/revert", {"to_version": v1.version, "version": current.version - 1},
                 follow_redirects=True)
    assert "他の人が先に更新しました" in stale.text and store.get("F0003").version == current.version
    response = post(editor, "/staff/faq/F0003/revert", {"to_version": v1.version, "version": current.version},
                    follow_redirects=True)
    assert f"版 {v1.version} の内容に戻しました" in flashes(response.text)[0]
    reverted = store.get("F0003")
    assert reverted.answer == v1.answer and reverted.department == v1.department
    assert reverted.version == current.version + 1
    entry = audit.entries(console_state.engine, action="faq.revert")[0]
    assert entry.target == "F0003" and entry.detail["to_version"] == v1.version


# ---- CSV -----------------------------------------------------------------------------------

def upload(c, content: bytes, dry_run=False, name="faq.csv"):
    data = {"csrf_token": c.csrf}
    if dry_run:
        data["dry_run"] = "1"
    return c.post("/staff/faq/import", data=data, files={"file": (name, content, "text/csv")})


def test_csv_import_reports_every_bad_row_and_imports_nothing(editor, store):
    before_revision, before_count = store.revision(), store.count()
    text = ("id,question,answer,url\n"
            "T-ok,正しい行,回答です,https://example.jp\n"
            "T-noanswer,回答がない,,\n"
            "T-badurl,URLが変,回答,ftp://example.jp\n"
            "T-ok,重複した行,回答,\n")
    response = upload(editor, text.encode("utf-8"))
    assert response.status_code == 400
    page = response.text
    assert "何も取り込んでいません" in page
    for line, message in ((3, "answer（回答）が空です"), (4, "http:// か https://"), (5, "2 行目にもあります")):
        assert re.search(rf"{line} 行目</td>.*?{re.escape(message)}", page, re.S), (line, message)
    assert "2 行目</td>" not in page
    assert store.revision() == before_revision and store.count() == before_count and store.get("T-ok") is None


def test_csv_import_ok_dry_run_and_cp932(editor, store, console_state):
    text = "id,質問,回答,担当課\nT-csv1,CSVの質問,CSVの回答〜です,市民課\n"
    response = upload(editor, text.encode("utf-8-sig"), dry_run=True)
    assert response.status_code == 200 and "確認しました（取り込みはしていません）" in response.text
    assert store.get("T-csv1") is None
    response = upload(editor, text.replace("〜", "～").encode("cp932"))
    assert response.status_code == 200 and "取り込みました: 新規 1 件" in response.text and "Shift_JIS" in response.text
    entry = store.get("T-csv1")
    assert entry.answer == "CSVの回答～です" and entry.updated_by == "editor" and entry.status == "published"
    logged = audit.entries(console_state.engine, action="faq.import")[0]
    assert logged.detail["created"] == 1 and logged.actor == "editor"


def test_csv_export_utf8_bom_and_cp932(editor, store):
    response = editor.get("/staff/faq/export")
    assert response.status_code == 200
    assert response.content.startswith(b"\xef\xbb\xbf")
    assert 'filename="faq_' in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert len(rows) == 320 and rows[0]["id"] == "F0001" and rows[0]["version"]
    response = editor.get("/staff/faq/export", params={"encoding": "cp932", "status": "draft"})
    assert response.status_code == 200 and not response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(response.content.decode("cp932"))))
    assert rows and all(r["status"] == "draft" for r in rows) and len(rows) == 6
    # round trip: the exported file imports back with nothing changed
    back = upload(editor, editor.get("/staff/faq/export").content)
    assert "新規 0 件、更新 0 件、変更なし 320 件" in back.text


def test_csv_export_cp932_refuses_what_it_cannot_hold(editor, store):
    store.create({"id": "T-emoji", "question": "絵文字", "answer": "🐶 の登録", "status": "draft"})
    response = editor.get("/staff/faq/export", params={"encoding": "cp932"}, follow_redirects=True)
    assert "Shift_JIS（CP932）にない文字" in response.text and "T-emoji" in response.text


# ---- previews ----------------------------------------------------------------------------------

def test_preview_json_and_phone_warning(editor):
    body = {"answer": "粗大ごみは前日までに申し込んでください。", "short_answer": "", "department": "環境課",
            "phone": "099-000-1111", "url": "https://city.example/gomi"}
    p = editor.post("/staff/api/faq/preview", json=body, headers={"X-CSRF-Token": editor.csrf}).json()
    assert p["line"][0].startswith("粗大ごみは前日までに") and "お問い合わせ：環境課　099-000-1111" in p["line"][0]
    assert p["line"][-1] == "解決しましたか？" and p["web"] == p["line"]
    assert p["phone_source"] == "answer" and "短い回答が空" in p["phone_warning"]
    long_short = "粗大ごみは" + "とても" * 60 + "大事です。"
    p = editor.post("/staff/api/faq/preview", json={**body, "short_answer": long_short},
                    headers={"X-CSRF-Token": editor.csrf}).json()
    assert p["short_length"] == len(long_short) and p["spoken_length"] > p["spoken_limit"]
    assert "長すぎます" in p["phone_warning"] and len(p["phone"]) <= p["spoken_limit"] + 1
    p = editor.post("/staff/api/faq/preview", json={**body, "short_answer": "前日までに申し込んでください。"},
                    headers={"X-CSRF-Token": editor.csrf}).json()
    assert p["phone_warning"] == "" and p["phone"] == "前日までに申し込んでください。"
    bad = editor.post("/staff/api/faq/preview", content=b"[1]", headers={"X-CSRF-Token": editor.csrf,
                                                                          "Content-Type": "application/json"})
    assert bad.status_code == 400


def test_edit_page_shows_the_three_previews(editor, store):
    entry = store.get("F0001")
    page = editor.get("/staff/faq/F0001").text
    assert 'class="line-bubble"' in page and 'class="web-bubble"' in page and 'id="preview-phone"' in page
    assert entry.short_answer in page and f"短い回答 {len(entry.short_answer)} 文字" in page
    assert "faq_edit.js" in page


# ---- roles ---------------------------------------------------------------------------------

def test_operator_cannot_curate(logged_in, store):
    operator = logged_in("operator")
    page = operator.get("/staff/faq")
    assert page.status_code == 403 and "権限がありません" in page.text
    before = store.revision()
    response = post(operator, "/staff/faq/F0001/unpublish", {"version": store.get("F0001").version})
    assert response.status_code == 403 and store.revision() == before
    json_403 = operator.post("/staff/api/faq/preview", json={}, headers={"X-CSRF-Token": operator.csrf})
    assert json_403.status_code == 403 and json_403.json()["error"] == "forbidden"
    assert 'href="/staff/faq"' not in page.text  # the nav shows only what the role may open
