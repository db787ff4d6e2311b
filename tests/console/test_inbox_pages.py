"""The inbox and dashboard pages over HTTP (the real gateway app with the console mounted):
actions from a group with CSRF and audit, roles, the CSV export."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest

from console import audit
from console.period import today_jst
from inbox_support import ask, encoder, faq_service, sample_index, ticket, utc  # noqa: F401 (fixtures)
from records.store import Records

DRONE = ["公園でドローンを飛ばしてもいいですか", "ドローンを公園で飛ばしたい", "公園でのドローンの飛行は許可が必要ですか"]
MANHOLE = ["マンホールカードはどこでもらえますか", "マンホールカードの配布場所を教えて"]


@pytest.fixture
def filled(console_state, faq_service, staff_users):
    console_state.faq_service = faq_service
    records = Records(console_state.engine)
    day = today_jst() - timedelta(days=1)
    ids = {"drone": [], "manhole": []}
    for n, text in enumerate(DRONE):
        ids["drone"].append(ask(records, f"web:d{n}", text, "none", utc(day.year, day.month, day.day, 10 + n)))
    for n, text in enumerate(MANHOLE):
        ids["manhole"].append(ask(records, f"line:m{n}", text, "suggest", utc(day.year, day.month, day.day, 9),
                                  candidates=["F0001"]))
    ask(records, "web:x", "住民票はどこで取れますか", "answer", utc(day.year, day.month, day.day, 9), faq_id="F0001",
        resolved=True)
    ticket(records, "web:x", "handoff", utc(day.year, day.month, day.day, 9, 5))
    return ids


def group_ids(html: str) -> list:
    return re.findall(r'/inbox/new\?ids=([0-9,]+)', html)


def test_inbox_page_and_a_new_faq(filled, logged_in, console_state, faq_service):
    editor = logged_in("editor")
    page = editor.get("/staff/inbox")
    assert page.status_code == 200
    assert "5 件の質問・2 のまとまり" in page.text
    assert group_ids(page.text) == [",".join(map(str, filled["drone"])), ",".join(map(str, filled["manhole"]))]
    form = editor.get(f"/staff/inbox/new?ids={group_ids(page.text)[0]}").text
    assert 'value="F0321"' in form  # the next id of the city's numbering
    assert "公園でのドローンの飛行は許可が必要ですか\nドローンを公園で飛ばしたい" in form \
        or "ドローンを公園で飛ばしたい\n公園でのドローンの飛行は許可が必要ですか" in form
    data = {"ids": group_ids(page.text)[0], "id": "F0321", "question": DRONE[0],
            "alternatives": "\n".join(DRONE[1:]), "answer": "", "status": "published", "csrf_token": editor.csrf}
    refused = editor.post("/staff/inbox/new", data=data)
    assert refused.status_code == 400 and "answer（回答）が空です" in refused.text
    assert len(group_ids(editor.get("/staff/inbox").text)) == 2  # nothing left the inbox
    data["answer"] = "公園でのドローンの飛行は禁止しています。"
    assert editor.post("/staff/inbox/new", data={k: v for k, v in data.items() if k != "csrf_token"},
                       follow_redirects=False).status_code == 403  # CSRF
    done = editor.post("/staff/inbox/new", data=data)
    assert "FAQ「F0321」を公開で作成しました" in done.text
    assert group_ids(done.text) == [",".join(map(str, filled["manhole"]))]
    assert faq_service.search("ドローンを公園で飛ばしたいです").top.faq_id == "F0321"
    assert audit.entries(console_state.engine, action="inbox.create_faq")[0].detail["inquiries"] == 3
    assert audit.entries(console_state.engine, action="faq.create")[0].target == "F0321"
    # the group is gone: its form now sends the editor back
    again = editor.get(f"/staff/inbox/new?ids={data['ids']}")
    assert "すでに対応済みです" in again.text


def test_add_phrasings_with_a_conflict_then_dismiss(filled, logged_in, console_state, faq_service):
    editor = logged_in("editor")
    ids = ",".join(map(str, filled["manhole"]))
    page = editor.get(f"/staff/inbox/phrasings?ids={ids}")
    assert page.status_code == 200
    assert 'value="F0001|1"' in page.text  # the bot's candidate is offered
    searched = editor.get(f"/staff/inbox/phrasings?ids={ids}&q=F0044").text
    assert 'value="F0044|1"' in searched  # an id typed in the search box
    faq_service.update("F0001", {"keywords": ["住民票"]}, expected_version=1, by="someone")  # meanwhile
    data = {"ids": ids, "target": "F0001|1", "texts": MANHOLE, "csrf_token": editor.csrf}
    stale = editor.post("/staff/inbox/phrasings", data=data)
    assert stale.status_code == 409 and "他の人が先に更新しました" in stale.text
    data["target"] = "F0001|2"
    done = editor.post("/staff/inbox/phrasings", data=data)
    assert "FAQ「F0001」に言い換えを追加しました（版 3）" in done.text
    assert faq_service.get("F0001").alternatives[-2:] == tuple(MANHOLE)
    assert audit.entries(console_state.engine, action="inbox.add_phrasings")[0].detail["added"] == MANHOLE
    # dismiss the other group; an operator may not
    drone = ",".join(map(str, filled["drone"]))
    operator = logged_in("operator")
    assert operator.post("/staff/inbox/dismiss", data={"ids": drone, "csrf_token": operator.csrf}).status_code == 403
    dismissed = editor.post("/staff/inbox/dismiss", data={"ids": drone, "csrf_token": editor.csrf})
    assert "など 3 件を対応不要にしました" in dismissed.text and "この期間に未回答・低評価の質問はありません" in dismissed.text
    assert "対応不要" in dismissed.text  # the handled list
    assert audit.entries(console_state.engine, action="inbox.dismiss")[0].actor == "editor"


def test_dashboard_page_and_csv(filled, logged_in, console_state):
    operator = logged_in("operator")
    page = operator.get("/staff/dashboard")
    assert page.status_code == 200
    text = page.text
    assert text.count("<svg") == 2 and "kozea.github.io" not in text and "<script" not in text.split("<main")[1].split("</main>")[0]
    assert "自己解決率" in text and "有人対応率" in text and "指標の定義" in text
    assert "16.7%" in text  # 1 of 6 inquiries answered and not marked unsolved
    assert "公園でドローンを飛ばしてもいいですか" in text  # the top unanswered group
    assert "/staff/inbox" not in text.split("<main")[1]  # operators do not get links to the inbox
    bad = operator.get("/staff/dashboard?from=2026-13-01")
    assert "日付として読めません" in bad.text
    export = operator.get("/staff/dashboard/export.csv?days=7")
    assert export.status_code == 200 and export.headers["content-type"].startswith("text/csv")
    assert export.content.startswith(b"\xef\xbb\xbf")
    lines = export.content.decode("utf-8-sig").splitlines()
    assert len(lines) == 1 + 7 + 1 and lines[-1].startswith("合計,") and ",6,1,16.7," in lines[-1]
    assert audit.entries(console_state.engine, action="dashboard.export")[0].actor == "operator"
