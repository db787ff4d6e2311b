"""未回答・低評価 (editor, admin): questions the bot could not answer confidently or that
residents marked 「解決しなかった」, grouped by meaning. From a group: a new FAQ entry, the
texts as phrasings of an existing entry, or 対応不要. See console/inbox.py for the data."""
from __future__ import annotations

import logging
import re
from datetime import datetime
from typing import Any, Dict, List, Optional

from fastapi import APIRouter, Depends, Form, Request

from console.auth import StaffUser
from console.core import audit, flash, get_state, redirect, render, require
from console.inbox import ACTION_LABELS, DECISION_LABELS, Group, Inbox, parse_ids
from console.metrics import CHANNEL_LABELS
from console.period import Period, from_query, today_jst
from console.services import document_service
from console.services import inbox as get_inbox
from documents.excerpt import first_sentence
from faq.entry import STANDARD_CATEGORIES
from faq.store import ConflictError, DuplicateError, FaqError, NotFoundError, ValidationError

log = logging.getLogger(__name__)
router = APIRouter()
PAGE_SIZE = 30
_NUMBERED = re.compile(r"^([A-Za-z]+)(\d+)$")


def load_groups(inbox: Inbox, period: Period, limit: Optional[int] = None) -> tuple:
    """(groups, error message or ""): identical texts only when the model cannot be used."""
    try:
        return inbox.groups(period, limit=limit), ""
    except Exception:
        log.exception("grouping the inbox by meaning failed")
        groups = inbox.group_by_text(inbox.items(period), limit=limit)
        return groups, "意味によるまとめができなかったため、同じ文面の質問だけをまとめています（埋め込みモデルを確認してください）"


def _candidate_questions(request: Request, groups: List[Group]) -> Dict[str, str]:
    store = get_state(request).store
    ids = {faq_id for g in groups for faq_id, _ in g.candidates}
    out = {}
    for faq_id in ids:
        entry = store.get(faq_id)
        out[faq_id] = entry.question if entry else "（削除されたFAQ）"
    return out


@router.get("/inbox", name="inbox")
def inbox_page(request: Request, page: int = 1, user: StaffUser = Depends(require("inbox"))):
    period, period_error = from_query(request.query_params)
    inbox = get_inbox(get_state(request))
    groups, group_error = load_groups(inbox, period)
    total = sum(g.count for g in groups)
    pages = max(1, (len(groups) + PAGE_SIZE - 1) // PAGE_SIZE)
    page = min(max(1, page), pages)
    shown = groups[(page - 1) * PAGE_SIZE: page * PAGE_SIZE]
    return render(
        request, "inbox.html", title="未回答・低評価", period=period, period_error=period_error,
        group_error=group_error, groups=shown, group_count=len(groups), total=total, page=page, pages=pages,
        questions=_candidate_questions(request, shown), reasons=DECISION_LABELS, channels=CHANNEL_LABELS,
        handled=inbox.handled(20), actions=ACTION_LABELS, threshold=inbox.threshold, today=today_jst(),
    )


# ---- a new FAQ entry from a group -----------------------------------------------------------

def suggest_id(store: Any) -> str:
    """The next id in the city's numbering (F0320 -> F0321), else a dated one."""
    best = None
    for entry in store.list():
        match = _NUMBERED.match(entry.id)
        if match and (best is None or int(match.group(2)) > best[1]):
            best = (match.group(1), int(match.group(2)), len(match.group(2)))
    if best:
        prefix, number, width = best
        candidate = f"{prefix}{number + 1:0{width}d}"
        if store.get(candidate) is None:
            return candidate
    return f"inbox-{datetime.now():%Y%m%d%H%M%S}"


def _choices(request: Request) -> Dict[str, List[str]]:
    entries = get_state(request).store.list()
    return {
        "categories": sorted({e.category for e in entries if e.category} | set(STANDARD_CATEGORIES)),
        "departments": sorted({e.department for e in entries if e.department}),
    }


def _new_page(request: Request, group: Group, values: Dict[str, str], errors: Optional[List[str]] = None,
              status_code: int = 200, passage: Any = None):
    return render(request, "inbox_new.html", status_code=status_code, title="未回答から FAQ を作成",
                  group=group, v=values, errors=errors or [], ids=",".join(map(str, group.inquiry_ids)),
                  channels=CHANNEL_LABELS, passage=passage, **_choices(request))


def _draft_from_documents(request: Request, group: Group, values: Dict[str, str]) -> Any:
    """「FAQを下書き」: the best passage of the city's pages as the draft's answer and URL."""
    try:
        hit = document_service(get_state(request)).search(group.representative, top_k=1).top
    except Exception:
        log.exception("document search for a draft FAQ failed")
        hit = None
    if hit is None:
        flash(request, "この質問に近い資料の文章は見つかりませんでした。回答を書いてください。", "warn")
        return None
    values.update(answer=hit.text, short_answer=first_sentence(hit.text, 120), url=hit.url)
    return hit


def _gone(request: Request):
    flash(request, "この質問のまとまりは、すでに対応済みです", "warn")
    return redirect(request, "/inbox")


@router.get("/inbox/new", name="inbox_new")
def inbox_new(request: Request, ids: str = "", source: str = "", user: StaffUser = Depends(require("inbox"))):
    state = get_state(request)
    group = get_inbox(state).group_of(parse_ids(ids))
    if group is None:
        return _gone(request)
    values = {
        "id": suggest_id(state.store), "question": group.representative, "alternatives": "\n".join(group.phrasings),
        "answer": "", "short_answer": "", "category": "", "department": "", "phone": "", "url": "",
        "status": "draft",
    }
    passage = _draft_from_documents(request, group, values) if source == "documents" else None
    return _new_page(request, group, values, passage=passage)


@router.post("/inbox/new", name="inbox_create")
def inbox_create(request: Request, ids: str = Form(""), id: str = Form(""), question: str = Form(""),
                 alternatives: str = Form(""), answer: str = Form(""), short_answer: str = Form(""),
                 category: str = Form(""), department: str = Form(""), phone: str = Form(""), url: str = Form(""),
                 status: str = Form("draft"), user: StaffUser = Depends(require("inbox"))):
    state = get_state(request)
    inbox = get_inbox(state)
    group = inbox.group_of(parse_ids(ids))
    if group is None:
        return _gone(request)
    status = "published" if status == "published" else "draft"
    values = {"id": id, "question": question, "alternatives": alternatives, "answer": answer,
              "short_answer": short_answer, "category": category, "department": department, "phone": phone,
              "url": url, "status": status}
    try:
        entry = inbox.create_faq(group.inquiry_ids, dict(values), by=user.name)
    except (ValidationError, DuplicateError, ValueError) as error:
        errors = getattr(error, "errors", None) or [str(error)]
        return _new_page(request, group, values, errors, status_code=400)
    audit(request, "faq.create", entry.id, version=entry.version, status=entry.status, question=entry.question,
          source="inbox")
    audit(request, "inbox.create_faq", entry.id, inquiries=group.count, status=entry.status,
          representative=group.representative)
    state_label = "公開" if entry.status == "published" else "下書き"
    flash(request, f"FAQ「{entry.id}」を{state_label}で作成しました。{group.count} 件の質問を未回答から外しました。")
    return redirect(request, "/inbox")


# ---- phrasings of an existing entry ---------------------------------------------------------

def _phrasings_page(request: Request, group: Group, q: str, selected: Optional[List[str]] = None,
                    error: str = "", status_code: int = 200, target: str = ""):
    state = get_state(request)
    inbox = get_inbox(state)
    q = q.strip() or group.representative
    entries = []
    exact = state.store.get(q)
    if exact is not None:
        entries.append(exact)
    try:
        entries += inbox.suggest_entries(q, limit=8)
    except Exception:
        log.exception("FAQ search for the inbox failed")
    for faq_id, _ in group.candidates:
        entry = state.store.get(faq_id)
        if entry is not None:
            entries.append(entry)
    unique, seen = [], set()
    for entry in entries:
        if entry.id not in seen:
            seen.add(entry.id)
            unique.append(entry)
    candidate_ids = {faq_id for faq_id, _ in group.candidates}
    return render(request, "inbox_phrasings.html", status_code=status_code, title="言い換えとして追加",
                  group=group, q=q, entries=unique, candidate_ids=candidate_ids,
                  selected=selected if selected is not None else [t for t, _ in group.texts],
                  ids=",".join(map(str, group.inquiry_ids)), error=error, target=target)


@router.get("/inbox/phrasings", name="inbox_phrasings")
def inbox_phrasings(request: Request, ids: str = "", q: str = "", user: StaffUser = Depends(require("inbox"))):
    group = get_inbox(get_state(request)).group_of(parse_ids(ids))
    if group is None:
        return _gone(request)
    return _phrasings_page(request, group, q)


@router.post("/inbox/phrasings", name="inbox_add_phrasings")
async def inbox_add_phrasings(request: Request, user: StaffUser = Depends(require("inbox"))):
    from starlette.concurrency import run_in_threadpool

    form = await request.form()
    ids = parse_ids(form.get("ids"))
    texts = [t for t in form.getlist("texts") if isinstance(t, str) and t.strip()]
    target = str(form.get("target") or "")
    q = str(form.get("q") or "")
    state = get_state(request)
    inbox = get_inbox(state)
    group = await run_in_threadpool(inbox.group_of, ids)
    if group is None:
        return _gone(request)
    faq_id, _, version = target.rpartition("|")
    if not faq_id or not version.isdigit():
        return await run_in_threadpool(_phrasings_page, request, group, q, texts, "追加先の FAQ を選んでください", 400)
    if not texts:
        return await run_in_threadpool(_phrasings_page, request, group, q, texts, "追加する言い換えを 1 つ以上選んでください", 400,
                                       faq_id)
    try:
        entry = await run_in_threadpool(
            lambda: inbox.add_phrasings(group.inquiry_ids, faq_id, texts, expected_version=int(version), by=user.name)
        )
    except ConflictError as error:
        return await run_in_threadpool(_phrasings_page, request, group, q, texts, str(error), 409)
    except (NotFoundError, ValidationError, FaqError) as error:
        return await run_in_threadpool(_phrasings_page, request, group, q, texts, str(error), 400)
    audit(request, "faq.update", entry.id, version=entry.version, fields=["alternatives"], source="inbox")
    audit(request, "inbox.add_phrasings", entry.id, inquiries=group.count, added=texts[:20])
    flash(request, f"FAQ「{entry.id}」に言い換えを追加しました（版 {entry.version}）。"
                   f"{group.count} 件の質問を未回答から外しました。")
    return redirect(request, "/inbox")


# ---- dismiss --------------------------------------------------------------------------------

@router.post("/inbox/dismiss", name="inbox_dismiss")
def inbox_dismiss(request: Request, ids: str = Form(""), back: str = Form(""),
                  user: StaffUser = Depends(require("inbox"))):
    inbox = get_inbox(get_state(request))
    group = inbox.group_of(parse_ids(ids))
    if group is None:
        return _gone(request)
    marked = inbox.dismiss(group.inquiry_ids, by=user.name)
    audit(request, "inbox.dismiss", group.key, inquiries=len(marked), representative=group.representative)
    flash(request, f"「{group.representative}」など {len(marked)} 件を対応不要にしました")
    back = back if back.startswith("/inbox") else "/inbox"
    return redirect(request, back)
