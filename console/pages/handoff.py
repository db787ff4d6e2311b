"""有人対応 (operator, admin): the queue of conversations waiting for a person, a ticket page
with the transcript and the bot's candidates, take / reply / release.

Replies go through the gateway in this process (LINE push, or the web widget's event stream).
New resident messages reach the ticket page by server-sent events (console.live). Release
resumes the bot in Rasa (records.handoff.release) and ends the gateway's pause.
"""
from __future__ import annotations

import json
import logging
import time
from types import SimpleNamespace
from typing import Any, Dict

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import JSONResponse, StreamingResponse
from starlette.concurrency import run_in_threadpool

from console.auth import StaffUser
from console.core import audit, base_path, flash, get_state, redirect, render, require, templates
from console.live import notifier
from console.period import to_jst
from console.services import handoff_data
from console.tickets import (
    CHANNEL_LABELS,
    KIND_LABELS,
    STATUS_LABELS,
    WHO_LABELS,
    can_reply,
    can_see_callback,
    transcript_lines,
    waiting_label,
)
from core.settings import load_settings
from records.handoff import release
from records.store import utcnow

log = logging.getLogger(__name__)
router = APIRouter()

MAX_REPLY = 2000
STREAM_SECONDS = 300  # an event stream ends after this; the browser reconnects (and is re-checked)
FAREWELL = "職員との対応を終了しました。ご質問があれば、引き続きAIがお答えします。"
RESUMES_BOT = ("handoff",)  # kinds whose conversation Rasa paused


def _ticket_or_404(request: Request, ticket_id: int):
    ticket = handoff_data(get_state(request)).ticket(ticket_id)
    if ticket is None:
        raise HTTPException(404, "この受付番号は見つかりません")
    return ticket


def _message_json(row: Dict[str, Any]) -> Dict[str, Any]:
    at = to_jst(row["created_at"])
    return {
        "id": row["id"], "role": row["role"], "who": WHO_LABELS.get(row["role"], row["role"]),
        "text": row["text"], "author": row.get("author") or "", "at": at.strftime("%H:%M") if at else "",
        "delivered": row.get("delivered"),
    }


def _candidates(request: Request, ticket) -> list:
    store = get_state(request).store
    out = []
    for faq_id in list(ticket.candidates or [])[:5]:
        entry = store.get(str(faq_id))
        out.append({"id": str(faq_id), "question": entry.question if entry else "（削除されたFAQ）",
                    "exists": entry is not None})
    return out


def _queue_context(request: Request, status: str) -> Dict[str, Any]:
    data = handoff_data(get_state(request))
    if status == "closed":
        items = [SimpleNamespace(ticket=t, waiting_label="", new_messages=0, preview=_preview(t))
                 for t in data.closed(50)]
    else:
        items = data.queue()
    return {"items": items, "counts": data.counts(), "status": status, "kinds": KIND_LABELS,
            "channels": CHANNEL_LABELS, "statuses": STATUS_LABELS}


def _preview(ticket) -> str:
    text = ticket.message or ticket.last_query or ""
    return text if len(text) <= 80 else text[:79] + "…"


@router.get("/handoff", name="handoff_queue")
def handoff_queue(request: Request, status: str = "", user: StaffUser = Depends(require("handoff"))):
    status = "closed" if status == "closed" else ""
    return render(request, "handoff_queue.html", title="有人対応", **_queue_context(request, status))


@router.get("/api/handoff/queue", name="handoff_queue_rows")
def handoff_queue_rows(request: Request, user: StaffUser = Depends(require("handoff"))):
    """The queue's table rows, re-rendered for the page's periodic refresh."""
    context = _queue_context(request, "")
    html = templates.get_template("_handoff_rows.html").render(base=base_path(request), user=user, **context)
    return {"rows": html, "counts": context["counts"]}


@router.get("/handoff/{ticket_id}", name="handoff_ticket")
def handoff_ticket(request: Request, ticket_id: int, user: StaffUser = Depends(require("handoff"))):
    state = get_state(request)
    data = handoff_data(state)
    ticket = _ticket_or_404(request, ticket_id)
    messages = [_message_json(m) for m in data.messages(ticket_id)]
    show_callback = can_see_callback(user.role)
    return render(
        request, "handoff_ticket.html", title=f"受付番号 {ticket.id}",
        ticket=ticket, transcript=transcript_lines(ticket), messages=messages,
        last_message_id=messages[-1]["id"] if messages else 0,
        candidates=_candidates(request, ticket), waiting=waiting_label(utcnow() - ticket.created_at),
        taken_at=data.taken_at(ticket_id), kinds=KIND_LABELS, channels=CHANNEL_LABELS, statuses=STATUS_LABELS,
        who=WHO_LABELS, show_callback=show_callback, replyable=can_reply(ticket),
        mine=ticket.taken_by == user.name, resumes_bot=ticket.kind in RESUMES_BOT,
        delivery_ready=state.gateway is not None, max_reply=MAX_REPLY,
    )


@router.post("/handoff/{ticket_id}/take", name="handoff_take")
def handoff_take(request: Request, ticket_id: int, force: str = Form(""),
                 user: StaffUser = Depends(require("handoff"))):
    state = get_state(request)
    ticket = _ticket_or_404(request, ticket_id)
    taken, now = handoff_data(state).take(ticket_id, user.name, force=force == "1")
    if taken:
        audit(request, "ticket.take", str(ticket_id), conversation_id=ticket.conversation_id,
              previous=ticket.taken_by or "")
        notifier(state).notify(ticket_id)
        flash(request, f"受付番号 {ticket_id} を担当します")
    elif now is not None and now.status == "closed":
        flash(request, "この受付はすでに対応が終了しています", "warn")
    elif now is not None:
        flash(request, f"{now.taken_by} さんがすでに担当しています", "warn")
    return redirect(request, f"/handoff/{ticket_id}")


async def _reply(request: Request, ticket_id: int, text: str, user: StaffUser) -> Dict[str, Any]:
    """Delivers a staff reply; returns {"ok", "message"?, "error"?, "status"}."""
    state = get_state(request)
    data = handoff_data(state)
    text = (text or "").strip()
    ticket = await run_in_threadpool(data.ticket, ticket_id)
    if ticket is None:
        return {"ok": False, "status": 404, "error": "この受付番号は見つかりません"}
    if not text:
        return {"ok": False, "status": 400, "error": "返信を入力してください"}
    if len(text) > MAX_REPLY:
        return {"ok": False, "status": 400, "error": f"返信は {MAX_REPLY} 文字以内にしてください"}
    if not can_reply(ticket):
        return {"ok": False, "status": 400, "error": "電話の受付には返信できません。折り返し電話でご対応ください"}
    if ticket.status == "closed":
        return {"ok": False, "status": 409, "error": "この受付はすでに対応が終了しています"}
    if ticket.status == "taken" and ticket.taken_by != user.name:
        return {"ok": False, "status": 409,
                "error": f"{ticket.taken_by} さんが担当しています。「代わりに担当する」を押してから返信してください"}
    if state.gateway is None:
        return {"ok": False, "status": 503, "error": "この画面からは送信できません（ゲートウェイと別のプロセスで動いています）"}
    if ticket.status == "open":  # replying takes the ticket
        taken, _ = await run_in_threadpool(data.take, ticket_id, user.name)
        if taken:
            audit(request, "ticket.take", str(ticket_id), conversation_id=ticket.conversation_id, previous="")
    try:
        delivered = await state.gateway.deliver_staff_message(ticket.conversation_id, text)
    except ValueError as error:
        log.warning("staff reply to ticket %s not delivered: %s", ticket_id, error)
        delivered = False
    message_id = await run_in_threadpool(data.add_message, ticket_id, "staff", text, author=user.name,
                                         delivered=bool(delivered))
    audit(request, "ticket.reply", str(ticket_id), conversation_id=ticket.conversation_id, chars=len(text),
          delivered=bool(delivered))
    notifier(state).notify(ticket_id)
    rows = await run_in_threadpool(data.messages, ticket_id, message_id - 1)
    message = _message_json(rows[0]) if rows else None
    if not delivered:
        return {"ok": False, "status": 502, "message": message,
                "error": "返信を住民に届けられませんでした（LINE の設定や接続を確認してください）"}
    return {"ok": True, "status": 200, "message": message}


@router.post("/handoff/{ticket_id}/reply", name="handoff_reply")
async def handoff_reply(request: Request, ticket_id: int, text: str = Form(""),
                        user: StaffUser = Depends(require("handoff"))):
    result = await _reply(request, ticket_id, text, user)
    if result["status"] == 404:
        raise HTTPException(404, result["error"])
    if result.get("error"):
        flash(request, result["error"], "error")
    return redirect(request, f"/handoff/{ticket_id}")


@router.post("/api/handoff/{ticket_id}/reply", name="handoff_reply_api")
async def handoff_reply_api(request: Request, ticket_id: int, user: StaffUser = Depends(require("handoff"))):
    try:
        body = await request.json()
    except ValueError:
        body = None
    text = body.get("text") if isinstance(body, dict) else None
    if not isinstance(text, str):
        return JSONResponse({"ok": False, "error": "text を送ってください"}, status_code=400)
    result = await _reply(request, ticket_id, text, user)
    status = result.pop("status")
    return JSONResponse(result, status_code=status if not result["ok"] else 200)


@router.get("/api/handoff/{ticket_id}/messages", name="handoff_messages")
def handoff_messages(request: Request, ticket_id: int, after: int = 0, user: StaffUser = Depends(require("handoff"))):
    ticket = _ticket_or_404(request, ticket_id)
    rows = handoff_data(get_state(request)).messages(ticket_id, after)
    return {"status": ticket.status, "taken_by": ticket.taken_by or "", "messages": [_message_json(r) for r in rows]}


@router.get("/api/handoff/{ticket_id}/events", name="handoff_events")
async def handoff_events(request: Request, ticket_id: int, after: int = 0,
                         user: StaffUser = Depends(require("handoff"))):
    """Server-sent events: `message` (new messages on the ticket) and `status` (taken,
    closed). Resumes after Last-Event-ID when the browser reconnects."""
    state = get_state(request)
    data = handoff_data(state)
    ticket = await run_in_threadpool(data.ticket, ticket_id)
    if ticket is None:
        raise HTTPException(404, "この受付番号は見つかりません")
    header = request.headers.get("last-event-id", "")
    last = int(header) if header.isdigit() else max(0, after)

    async def stream():
        nonlocal last
        yield "retry: 2000\n\n"
        started = time.monotonic()
        seen = None
        while True:
            for row in await run_in_threadpool(data.messages, ticket_id, last):
                last = row["id"]
                yield f"id: {last}\nevent: message\ndata: {json.dumps(_message_json(row), ensure_ascii=False)}\n\n"
            current = await run_in_threadpool(data.ticket, ticket_id)
            status = (current.status, current.taken_by or "") if current else ("closed", "")
            if status != seen:
                seen = status
                payload = {"status": status[0], "label": STATUS_LABELS.get(status[0], status[0]), "taken_by": status[1]}
                yield f"event: status\ndata: {json.dumps(payload, ensure_ascii=False)}\n\n"
            if status[0] == "closed" or time.monotonic() - started > STREAM_SECONDS:
                break
            if getattr(state.gateway, "closing", False) or await request.is_disconnected():
                break
            await notifier(state).wait(ticket_id, 1.0)

    return StreamingResponse(stream(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


def _rasa_settings(request: Request) -> Any:
    state = get_state(request)
    rasa_url = getattr(getattr(state.gateway, "config", None), "rasa_url", "")
    if not rasa_url:
        rasa_url = load_settings().rasa_url
    return SimpleNamespace(db_url=state.settings.db_url, rasa_url=rasa_url)


@router.post("/handoff/{ticket_id}/release", name="handoff_release")
async def handoff_release(request: Request, ticket_id: int, farewell: str = Form(""),
                          user: StaffUser = Depends(require("handoff"))):
    """対応終了: a paused conversation goes back to the bot; other tickets are marked done."""
    state = get_state(request)
    data = handoff_data(state)
    ticket = await run_in_threadpool(data.ticket, ticket_id)
    if ticket is None:
        raise HTTPException(404, "この受付番号は見つかりません")
    if ticket.status == "closed":
        flash(request, "この受付はすでに対応が終了しています", "warn")
        return redirect(request, f"/handoff/{ticket_id}")
    sent_farewell = False
    if ticket.kind in RESUMES_BOT:
        if farewell == "1" and can_reply(ticket) and state.gateway is not None:
            try:
                sent_farewell = await state.gateway.deliver_staff_message(ticket.conversation_id, FAREWELL)
            except ValueError:
                sent_farewell = False
            await run_in_threadpool(data.add_message, ticket_id, "staff", FAREWELL, author=user.name,
                                    delivered=bool(sent_farewell))
        try:
            await run_in_threadpool(release, ticket_id, user.name, _rasa_settings(request))
        except Exception as error:  # Rasa down or refusing: the ticket stays open
            log.error("releasing ticket %s failed: %s", ticket_id, error)
            flash(request, "ボットに戻せませんでした（AIの会話サーバーに接続できません）。しばらくしてからもう一度お試しください。",
                  "error")
            return redirect(request, f"/handoff/{ticket_id}")
        if state.gateway is not None:
            state.gateway.desk.end(ticket.conversation_id)
        await run_in_threadpool(data.add_message, ticket_id, "system", "対応を終了し、ボットに戻しました", author=user.name)
        audit(request, "ticket.release", str(ticket_id), conversation_id=ticket.conversation_id,
              farewell=bool(sent_farewell))
        flash(request, f"受付番号 {ticket_id} の対応を終了しました。この住民にはAIが再び回答します。")
    else:
        await run_in_threadpool(state.records.close_ticket, ticket_id, user.name)
        await run_in_threadpool(data.add_message, ticket_id, "system", "対応済みにしました", author=user.name)
        audit(request, "ticket.close", str(ticket_id), conversation_id=ticket.conversation_id, kind=ticket.kind)
        flash(request, f"受付番号 {ticket_id} を対応済みにしました")
    notifier(state).notify(ticket_id)
    return redirect(request, "/handoff")
