"""回答の判定: the page shows the thresholds in use and this FAQ's calibration; an editor
recalibrates (CSRF, audit), and the bot's threshold follows."""
from __future__ import annotations

import re

from console import audit
from inbox_support import encoder, faq_service, sample_index  # noqa: F401,F811 (fixtures)


def test_editor_sees_and_recalibrates_the_decision(logged_in, console_state, faq_service):  # noqa: F811
    console_state.faq_service = faq_service
    editor = logged_in("editor")
    page = editor.get("/staff/faq/decision")
    assert page.status_code == 200
    shipped = faq_service.config.decision.answer_min_confidence
    assert f"{shipped:.2f}" in page.text and "まだ較正していません" in page.text
    assert "確信して回答し、誤っていた" in page.text  # the shipped cross-validated figures
    assert "/staff/faq/decision" in editor.get("/staff/faq").text

    assert editor.post("/staff/faq/decision/calibrate", follow_redirects=False).status_code == 403  # no CSRF
    done = editor.post("/staff/faq/decision/calibrate", data={"csrf_token": editor.csrf})
    assert done.status_code == 200
    data = faq_service.installation
    assert data["entries"] == len(faq_service.index) and data["sampled_questions"] > 100
    assert f"回答のしきい値は {data['answer_min_confidence']:.2f} です" in done.text
    assert re.search(r"FAQ の質問 \d+ 件を", done.text)
    assert faq_service.decision_settings().answer_min_confidence == max(shipped, data["answer_min_confidence"])
    entries = audit.entries(console_state.engine, action="faq.calibrate")
    assert entries and entries[0].actor == "editor" and entries[0].detail["entries"] == data["entries"]


def test_operator_may_not_open_it(logged_in):
    operator = logged_in("operator")
    assert operator.get("/staff/faq/decision").status_code == 403
