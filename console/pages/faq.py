"""FAQ curation (editor, admin): list and search, edit with channel previews, publish,
history with diffs and revert, CSV import and export. Every write goes through FaqStore
(optimistic locking with expected_version; the bot picks changes up from the store's revision)."""
from __future__ import annotations

import io
from dataclasses import asdict
from datetime import datetime
from typing import Annotated, Any, Dict, List, Optional

from fastapi import APIRouter, Depends, File, Form, HTTPException, Request, UploadFile
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, create_model

from console.auth import StaffUser
from console.core import audit, flash, get_state, redirect, render, require
from console.faq_tools import (
    ACTION_LABELS,
    EXPIRY_FILTERS,
    FIELD_LABELS,
    FORM_FIELDS,
    STATUS_LABELS,
    diff_entries,
    expiry_state,
    filter_entries,
    TRANSLATION_FORM,
    easy_japanese_findings,
    form_values,
    preview,
    unified_diff,
)
from console.services import faq_service
from faq.csvio import CsvImportError, export_csv, import_csv
from faq.entry import STANDARD_CATEGORIES, TRANSLATION_KEYS, FaqEntry, merge_translations, normalize_fields, utcnow
from faq.store import ConflictError, DuplicateError, FaqError, NotFoundError, ValidationError

router = APIRouter()
PAGE_SIZE = 50
MAX_CSV_BYTES = 20 * 1024 * 1024


class _FaqFormBase(BaseModel):
    id: str = ""
    question: str = ""
    alternatives: str = ""
    answer: str = ""
    short_answer: str = ""
    category: str = ""
    department: str = ""
    phone: str = ""
    url: str = ""
    keywords: str = ""
    publish_start: str = ""
    publish_end: str = ""
    version: int = 0
    action: str = "save"  # save | publish (save and publish)

    easy_ja: str = ""
    # Set by the edit form's languages section: its fields count even when left empty
    # (FastAPI drops empty form values), so emptying a translation removes it.
    languages_section: str = ""

    def changes(self, current: Optional[FaqEntry] = None) -> Dict[str, Any]:
        """The fields the form sent; translations merged into the entry's (a form without the
        languages section leaves them as they are)."""
        out = {name: getattr(self, name) for name in FORM_FIELDS}
        given = set(self.model_fields_set)
        if self.languages_section:
            given |= {"easy_ja", *TRANSLATION_KEYS}
        if "easy_ja" in given:
            out["easy_ja"] = self.easy_ja
        sent = {key: getattr(self, key) for key in TRANSLATION_KEYS if key in given}
        if sent:
            out["translations"] = merge_translations(current.translations if current else (), sent)
        return out


# question_en, answer_en, short_answer_en … as form fields
FaqForm = create_model("FaqForm", __base__=_FaqFormBase, **{key: (str, "") for key in TRANSLATION_KEYS})


def _choices(state) -> Dict[str, List[str]]:
    entries = state.store.list()
    categories = sorted({e.category for e in entries if e.category} | set(STANDARD_CATEGORIES))
    departments = sorted({e.department for e in entries if e.department})
    return {"categories": categories, "departments": departments}


# ---- how the bot decides (the search's calibration) ----------------------------------------

OUTCOME_LABELS_JA = {
    "right_answer": "確信して回答し、正しかった",
    "wrong_answer": "確信して回答し、誤っていた",
    "choices_hit": "候補を示し、正しいものが含まれていた",
    "choices_miss": "候補を示したが、正しいものがなかった",
    "nothing": "該当なし（職員へ）",
}


@router.get("/faq/decision", name="faq_decision")
def faq_decision(request: Request, user: StaffUser = Depends(require("faq"))):
    service = faq_service(get_state(request))
    decision = service.config.decision
    return render(
        request, "faq_decision.html", title="回答の判定", decision=decision,
        effective=service.decision_settings(), installation=service.installation,
        fitted=decision.calibration.get("cross_validated_5fold", {}), outcome_labels=OUTCOME_LABELS_JA,
    )


@router.post("/faq/decision/calibrate", name="faq_decision_calibrate")
def faq_decision_calibrate(request: Request, user: StaffUser = Depends(require("faq"))):
    # lazy: faq.calibration pulls in faq.service and the index code; needed only when staff recalibrates
    from faq.calibration import calibrate_installation

    service = faq_service(get_state(request))
    if service.installation_path is None:
        flash(request, "この画面の FAQ は検索の索引を保存していないため、較正を保存できません。", "error")
        return redirect(request, "/faq/decision")
    data = calibrate_installation(service)
    audit(request, "faq.calibrate", "", answer_min_confidence=data["answer_min_confidence"],
          entries=data["entries"])
    flash(request, f"較正しました。回答のしきい値は {data['answer_min_confidence']:.2f} です。")
    return redirect(request, "/faq/decision")


# ---- list -----------------------------------------------------------------------------------

@router.get("/faq", name="faq_list")
def faq_list(request: Request, q: str = "", category: str = "", department: str = "", status: str = "",
             expiry: str = "", sort: str = "id", page: int = 1, user: StaffUser = Depends(require("faq"))):
    state = get_state(request)
    status = status if status in STATUS_LABELS else ""
    expiry = expiry if expiry in EXPIRY_FILTERS else ""
    now = utcnow()
    entries = state.store.list(status=status or None, category=category or None, department=department or None,
                               order_by="updated_at" if sort == "updated" else "id")
    found = filter_entries(entries, query=q, expiry=expiry, now=now)
    pages = max(1, (len(found) + PAGE_SIZE - 1) // PAGE_SIZE)
    page = min(max(1, page), pages)
    rows = [(e, expiry_state(e, now)) for e in found[(page - 1) * PAGE_SIZE: page * PAGE_SIZE]]
    all_entries = state.store.list() if (status or category or department) else entries
    counts = {
        "total": len(all_entries),
        "published": sum(1 for e in all_entries if e.status == "published"),
        "draft": sum(1 for e in all_entries if e.status == "draft"),
        "expired": sum(1 for e in all_entries if expiry_state(e, now) == "expired"),
        "ending": sum(1 for e in all_entries if expiry_state(e, now) == "ending"),
    }
    return render(request, "faq_list.html", title="FAQ", rows=rows, found=len(found), page=page, pages=pages,
                  counts=counts, statuses=STATUS_LABELS, expiries=EXPIRY_FILTERS,
                  q={"q": q, "category": category, "department": department, "status": status,
                     "expiry": expiry, "sort": sort},
                  **_choices(state))


# ---- create ---------------------------------------------------------------------------------

def _edit_page(request: Request, *, entry: Optional[FaqEntry], values: Dict[str, str], status_code: int = 200,
               errors: Optional[List[str]] = None, conflict: Optional[Dict[str, Any]] = None):
    state = get_state(request)
    return render(
        request, "faq_edit.html", status_code=status_code,
        title=f"FAQ の編集: {entry.id}" if entry else "FAQ の新規作成",
        entry=entry, v=values, errors=errors or [], conflict=conflict, labels=FIELD_LABELS,
        statuses=STATUS_LABELS, preview=preview(values), expiry=expiry_state(entry) if entry else "",
        translation_form=TRANSLATION_FORM, easy_findings=easy_japanese_findings(values.get("easy_ja", "")),
        expiries=EXPIRY_FILTERS, **_choices(state),
    )


@router.get("/faq/new", name="faq_new")
def faq_new(request: Request, user: StaffUser = Depends(require("faq"))):
    return _edit_page(request, entry=None, values=form_values(None))


@router.post("/faq/new", name="faq_create")
def faq_create(request: Request, form: Annotated[FaqForm, Form()], user: StaffUser = Depends(require("faq"))):
    state = get_state(request)
    data = {"id": form.id, **form.changes(), "status": "published" if form.action == "publish" else "draft"}
    values = {**{k: str(v) for k, v in data.items()}, **_text_values(form)}
    try:
        entry = state.store.create(data, by=user.name)
    except (ValidationError, DuplicateError, ValueError) as error:
        errors = getattr(error, "errors", None) or [str(error)]
        return _edit_page(request, entry=None, values=values, status_code=400, errors=errors)
    audit(request, "faq.create", entry.id, version=entry.version, status=entry.status, question=entry.question)
    if entry.status == "published":
        audit(request, "faq.publish", entry.id, version=entry.version)
    flash(request, f"FAQ「{entry.id}」を作成しました（{STATUS_LABELS[entry.status]}）")
    return redirect(request, f"/faq/{entry.id}")


# ---- import / export (before /faq/{faq_id}) -------------------------------------------------

@router.get("/faq/import", name="faq_import_page")
def faq_import_page(request: Request, user: StaffUser = Depends(require("faq"))):
    return render(request, "faq_import.html", title="FAQ の CSV 取り込み", report=None, errors=None)


@router.post("/faq/import", name="faq_import")
def faq_import(request: Request, file: UploadFile = File(...), dry_run: str = Form(""),
               user: StaffUser = Depends(require("faq"))):
    state = get_state(request)
    data = file.file.read(MAX_CSV_BYTES + 1)
    name = file.filename or "upload.csv"
    if not data:
        return render(request, "faq_import.html", status_code=400, title="FAQ の CSV 取り込み", report=None,
                      errors=None, error="ファイルが空か、選ばれていません")
    if len(data) > MAX_CSV_BYTES:
        return render(request, "faq_import.html", status_code=400, title="FAQ の CSV 取り込み", report=None,
                      errors=None, error="ファイルが大きすぎます（20 MB まで）")
    check_only = dry_run in ("1", "on", "true")
    try:
        report = import_csv(state.store, data, by=user.name, dry_run=check_only)
    except CsvImportError as error:
        return render(request, "faq_import.html", status_code=400, title="FAQ の CSV 取り込み", report=None,
                      errors=error.errors, filename=name)
    if not check_only:
        audit(request, "faq.import", name, created=len(report.created), updated=len(report.updated),
              unchanged=len(report.unchanged), encoding=report.encoding,
              ids=(report.created + report.updated)[:50])
    return render(request, "faq_import.html", title="FAQ の CSV 取り込み", report=report, errors=None, filename=name)


@router.get("/faq/export", name="faq_export")
def faq_export(request: Request, encoding: str = "utf-8-sig", status: str = "", category: str = "",
               department: str = "", user: StaffUser = Depends(require("faq"))):
    state = get_state(request)
    encoding = "cp932" if encoding.lower() in ("cp932", "sjis", "shift_jis") else "utf-8-sig"
    buffer = io.BytesIO()
    try:
        count = export_csv(state.store, buffer, encoding=encoding, status=status or None,
                           category=category or None, department=department or None)
    except FaqError as error:
        flash(request, str(error), "error")
        return redirect(request, "/faq")
    audit(request, "faq.export", "", encoding=encoding, count=count, status=status, category=category,
          department=department)
    stamp = datetime.now().strftime("%Y%m%d")
    suffix = "_sjis" if encoding == "cp932" else ""
    media = "text/csv; charset=" + ("shift_jis" if encoding == "cp932" else "utf-8")
    return Response(buffer.getvalue(), media_type=media,
                    headers={"Content-Disposition": f'attachment; filename="faq_{stamp}{suffix}.csv"'})


@router.post("/api/faq/preview", name="faq_preview")
async def faq_preview(request: Request, user: StaffUser = Depends(require("faq"))):
    """The live preview of the edit form: JSON of the form's fields in, the three previews out."""
    try:
        data = await request.json()
    except ValueError:
        data = None
    if not isinstance(data, dict):
        return JSONResponse({"error": "invalid", "message": "JSON オブジェクトを送ってください"}, status_code=400)
    values = {k: str(data.get(k) or "")[:20000] for k in ("answer", "short_answer", "department", "phone", "url")}
    return asdict(preview(values))


# ---- one entry -------------------------------------------------------------------------------

def _entry_or_404(state, faq_id: str) -> FaqEntry:
    entry = state.store.get(faq_id)
    if entry is None:
        raise HTTPException(404, f"FAQ「{faq_id}」は見つかりません")
    return entry


@router.get("/faq/{faq_id}", name="faq_edit")
def faq_edit(request: Request, faq_id: str, user: StaffUser = Depends(require("faq"))):
    entry = _entry_or_404(get_state(request), faq_id)
    return _edit_page(request, entry=entry, values=form_values(entry))


@router.post("/faq/{faq_id}", name="faq_save")
def faq_save(request: Request, faq_id: str, form: Annotated[FaqForm, Form()],
             user: StaffUser = Depends(require("faq"))):
    state = get_state(request)
    current = _entry_or_404(state, faq_id)
    changes = form.changes(current)
    publish = form.action == "publish"
    if publish:
        changes["status"] = "published"
    values = {**form_values(current), **_text_values(form), "id": faq_id}
    try:
        saved = state.store.update(faq_id, changes, expected_version=form.version, by=user.name,
                                   action="publish" if publish and current.status != "published" else "update")
    except ConflictError as error:
        latest = _entry_or_404(state, faq_id)
        mine = latest.replace(**_as_fields(changes))
        conflict = {
            "message": str(error),
            "latest": latest,
            "latest_values": form_values(latest),
            "diff": diff_entries(latest, mine),
        }
        # The form keeps what this editor typed; saving it again (now against the latest
        # version) is a deliberate choice made after seeing the other edit.
        return _edit_page(request, entry=latest, values={**values, "status": latest.status}, status_code=409,
                          conflict=conflict)
    except (ValidationError, ValueError) as error:
        errors = getattr(error, "errors", None) or [str(error)]
        return _edit_page(request, entry=current, values=values, status_code=400, errors=errors)
    if saved.version == current.version:
        flash(request, "変更はありませんでした", "info")
        return redirect(request, f"/faq/{faq_id}")
    changed = [FIELD_LABELS.get(d.name, d.name) for d in diff_entries(current, saved)]
    audit(request, "faq.update", faq_id, version=saved.version, fields=changed)
    if publish and current.status != "published":
        audit(request, "faq.publish", faq_id, version=saved.version)
    live = "公開中の回答をすぐに更新しました。" if saved.status == "published" else "下書きとして保存しました。"
    flash(request, f"FAQ「{faq_id}」を保存しました（版 {saved.version}）。{live}")
    return redirect(request, f"/faq/{faq_id}")


def _text_values(form: Any) -> Dict[str, str]:
    """What the editor typed, as the form shows it again (after an error or a conflict)."""
    return {name: getattr(form, name) for name in (*FORM_FIELDS, "easy_ja", *TRANSLATION_KEYS)
            if name in form.model_fields_set or name in FORM_FIELDS}


def _as_fields(changes: Dict[str, Any]) -> Dict[str, Any]:
    """The form's text as entry fields (for showing a diff against the latest version);
    a date that does not parse is left out of the diff."""
    out: Dict[str, Any] = {}
    for name, value in changes.items():
        try:
            out.update(normalize_fields({name: value}))
        except ValueError:
            pass
    return out


def _set_status(request: Request, faq_id: str, version: int, user: StaffUser, publish: bool):
    state = get_state(request)
    _entry_or_404(state, faq_id)
    try:
        if publish:
            saved = state.store.publish(faq_id, expected_version=version, by=user.name)
        else:
            saved = state.store.unpublish(faq_id, expected_version=version, by=user.name)
    except ConflictError as error:
        flash(request, str(error), "error")
        return redirect(request, f"/faq/{faq_id}")
    except (ValidationError, NotFoundError) as error:
        flash(request, str(error), "error")
        return redirect(request, f"/faq/{faq_id}")
    audit(request, "faq.publish" if publish else "faq.unpublish", faq_id, version=saved.version)
    if publish:
        note = "" if saved.is_searchable() else "（掲載期間外のため、期間になるまでボットは答えません）"
        flash(request, f"FAQ「{faq_id}」を公開しました{note}")
    else:
        flash(request, f"FAQ「{faq_id}」を非公開にしました。ボットはこの FAQ で答えなくなります")
    return redirect(request, f"/faq/{faq_id}")


@router.post("/faq/{faq_id}/publish", name="faq_publish")
def faq_publish(request: Request, faq_id: str, version: int = Form(...), user: StaffUser = Depends(require("faq"))):
    return _set_status(request, faq_id, version, user, True)


@router.post("/faq/{faq_id}/unpublish", name="faq_unpublish")
def faq_unpublish(request: Request, faq_id: str, version: int = Form(...),
                  user: StaffUser = Depends(require("faq"))):
    return _set_status(request, faq_id, version, user, False)


# ---- history, diff, revert ---------------------------------------------------------------------

@router.get("/faq/{faq_id}/history", name="faq_history")
def faq_history(request: Request, faq_id: str, a: Optional[int] = None, b: Optional[int] = None,
                user: StaffUser = Depends(require("faq"))):
    state = get_state(request)
    current = _entry_or_404(state, faq_id)
    records = state.store.history(faq_id)
    # made_by[v]: the action that produced version v (the record of v-1 says what replaced it)
    made_by = {r.version + 1: r.action for r in records}
    versions = [current] + [r.entry for r in records if r.action != "delete"]
    seen, unique = set(), []
    for entry in versions:
        if entry.version not in seen:
            seen.add(entry.version)
            unique.append(entry)
    by_version = {e.version: e for e in unique}
    new_v = b if b in by_version else current.version
    older = sorted(v for v in by_version if v < new_v)
    old_v = a if a in by_version else (older[-1] if older else None)
    diff = unified = None
    if old_v is not None:
        old_e, new_e = by_version[old_v], by_version[new_v]
        diff = diff_entries(old_e, new_e)
        unified = unified_diff(old_e, new_e, f"版 {old_v}", f"版 {new_v}")
    return render(request, "faq_history.html", title=f"FAQ の履歴: {faq_id}", entry=current, versions=unique,
                  made_by={v: ACTION_LABELS.get(a_, a_) for v, a_ in made_by.items()}, old_v=old_v, new_v=new_v,
                  diff=diff, unified=unified, statuses=STATUS_LABELS)


@router.post("/faq/{faq_id}/revert", name="faq_revert")
def faq_revert(request: Request, faq_id: str, to_version: int = Form(...), version: int = Form(...),
               user: StaffUser = Depends(require("faq"))):
    state = get_state(request)
    _entry_or_404(state, faq_id)
    try:
        saved = state.store.revert(faq_id, to_version, expected_version=version, by=user.name)
    except FaqError as error:
        flash(request, str(error), "error")
        return redirect(request, f"/faq/{faq_id}/history")
    if saved.version == version:
        flash(request, f"版 {to_version} は今の内容と同じです。変更はありません", "info")
        return redirect(request, f"/faq/{faq_id}/history")
    audit(request, "faq.revert", faq_id, to_version=to_version, version=saved.version)
    flash(request, f"FAQ「{faq_id}」を版 {to_version} の内容に戻しました（新しい版 {saved.version}）")
    return redirect(request, f"/faq/{faq_id}")
