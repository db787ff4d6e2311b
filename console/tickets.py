"""The handoff queue's data (有人対応): open and taken tickets, the messages exchanged after
a handoff, taking a ticket. The pages are in console/handoff_pages.py."""
from __future__ import annotations

from dataclasses import dataclass
import json
import re
from datetime import datetime, timedelta, timezone
from typing import Any, Dict, List, Optional, Sequence, Tuple

import sqlalchemy as sa

from console.tables import ticket_messages
from core.conversation import LINE, WEB, channel_of
from records.store import Records, Ticket, tickets, utcnow

QUEUE_STATUSES = ("open", "taken")
KIND_LABELS = {
    "handoff": "有人対応の依頼",
    "after_hours": "時間外の伝言",
    "voicemail": "留守番電話",
    "error": "システムエラー",
}
STATUS_LABELS = {"open": "未対応", "taken": "対応中", "closed": "対応終了"}
CHANNEL_LABELS = {"web": "Web", "line": "LINE", "phone": "電話", "rest": "その他"}
WHO_LABELS = {"resident": "住民", "bot": "AI", "staff": "職員", "system": "記録"}
# Who may see what residents left for a call back (phone number, recording).
CALLBACK_ROLES = ("admin", "operator")


def can_see_callback(role: str) -> bool:
    return role in CALLBACK_ROLES


def can_reply(ticket: Ticket) -> bool:
    """A reply reaches LINE and web residents; a phone call is called back instead."""
    return ticket.channel in (LINE, WEB) and channel_of(ticket.conversation_id) in (LINE, WEB)


def waiting_label(delta: timedelta) -> str:
    minutes = max(0, int(delta.total_seconds() // 60))
    if minutes < 1:
        return "1分未満"
    if minutes < 60:
        return f"{minutes}分"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours}時間{minutes}分" if minutes else f"{hours}時間"
    days, hours = divmod(hours, 24)
    return f"{days}日{hours}時間" if hours else f"{days}日"


@dataclass(frozen=True)
class QueueItem:
    ticket: Ticket
    waiting: timedelta  # since the ticket was opened
    new_messages: int  # resident messages since the handoff

    @property
    def waiting_label(self) -> str:
        return waiting_label(self.waiting)

    @property
    def preview(self) -> str:
        t = self.ticket
        text = t.message or t.last_query or next(
            (line.get("text", "") for line in reversed(t.transcript) if line.get("who") == "resident"), ""
        )
        return text if len(text) <= 80 else text[:79] + "…"


class HandoffData:
    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine
        self.records = Records(engine)

    def queue(self, *, now: Optional[datetime] = None, kinds: Optional[Sequence[str]] = None) -> List[QueueItem]:
        """Open and taken tickets, oldest first."""
        now = now or utcnow()
        query = (
            tickets.select()
            .where(tickets.c.status.in_(QUEUE_STATUSES))
            .order_by(tickets.c.created_at, tickets.c.id)
        )
        if kinds:
            query = query.where(tickets.c.kind.in_(list(kinds)))
        counts = (
            sa.select(ticket_messages.c.ticket_id, sa.func.count())
            .where(ticket_messages.c.role == "resident")
            .group_by(ticket_messages.c.ticket_id)
        )
        with self.engine.connect() as conn:
            rows = [Records._ticket(r) for r in conn.execute(query).mappings()]
            ids = [t.id for t in rows]
            new = dict(conn.execute(counts.where(ticket_messages.c.ticket_id.in_(ids))).all()) if ids else {}
        return [QueueItem(t, now - t.created_at, int(new.get(t.id, 0))) for t in rows]

    def closed(self, limit: int = 50) -> List[Ticket]:
        """The most recently closed tickets."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                tickets.select().where(tickets.c.status == "closed")
                .order_by(tickets.c.closed_at.desc(), tickets.c.id.desc()).limit(limit)
            ).mappings()
            return [Records._ticket(r) for r in rows]

    def counts(self) -> Dict[str, int]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.select(tickets.c.status, sa.func.count())
                .where(tickets.c.status.in_(QUEUE_STATUSES))
                .group_by(tickets.c.status)
            ).all()
        out = {s: 0 for s in QUEUE_STATUSES}
        out.update({s: int(n) for s, n in rows})
        return out

    def ticket(self, ticket_id: int) -> Optional[Ticket]:
        return self.records.ticket(ticket_id)

    def active_ticket(self, conversation_id: str) -> Optional[Ticket]:
        """The newest open or taken ticket of a conversation."""
        with self.engine.connect() as conn:
            row = conn.execute(
                tickets.select()
                .where(tickets.c.conversation_id == conversation_id, tickets.c.status.in_(QUEUE_STATUSES))
                .order_by(tickets.c.created_at.desc(), tickets.c.id.desc())
            ).mappings().first()
        return Records._ticket(row) if row else None

    def take(self, ticket_id: int, by: str, *, force: bool = False) -> Tuple[bool, Optional[Ticket]]:
        """Takes an open ticket (force: also one another person took). Returns (taken, ticket
        as it is now); (False, ticket) when someone else has it or it is closed."""
        condition = tickets.c.status == "open"
        if force:
            condition = tickets.c.status.in_(QUEUE_STATUSES)
        with self.engine.begin() as conn:
            result = conn.execute(
                tickets.update()
                .where(tickets.c.id == ticket_id, condition)
                .values(status="taken", taken_by=by, taken_at=utcnow())
            )
        return result.rowcount == 1, self.ticket(ticket_id)

    def taken_at(self, ticket_id: int) -> Optional[datetime]:
        with self.engine.connect() as conn:
            return conn.execute(sa.select(tickets.c.taken_at).where(tickets.c.id == ticket_id)).scalar()

    # ---- messages after the handoff ---------------------------------------------------

    def add_message(
        self, ticket_id: int, role: str, text: str, *, author: str = "", delivered: Optional[bool] = None
    ) -> int:
        with self.engine.begin() as conn:
            result = conn.execute(
                ticket_messages.insert().values(
                    ticket_id=ticket_id, role=role, text=text[:4000], author=author,
                    delivered=delivered, created_at=utcnow(),
                )
            )
            return int(result.inserted_primary_key[0])

    def messages(self, ticket_id: int, after: int = 0) -> List[Dict[str, Any]]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                ticket_messages.select()
                .where(ticket_messages.c.ticket_id == ticket_id, ticket_messages.c.id > after)
                .order_by(ticket_messages.c.id)
            ).mappings()
            return [dict(r) for r in rows]

    def record_resident_message(self, conversation_id: str, text: str) -> Optional[int]:
        """A resident wrote in a handed-off conversation: kept on its open ticket (if any).
        Returns the ticket id."""
        ticket = self.active_ticket(conversation_id)
        if ticket is None:
            return None
        self.add_message(ticket.id, "resident", text)
        return ticket.id


def transcript_lines(ticket: Ticket) -> List[Dict[str, Any]]:
    """The transcript recorded at the handoff, as lines for the page."""
    out = []
    for line in ticket.transcript or []:
        text = str(line.get("text") or "")
        if not text:
            continue
        who = line.get("who") if line.get("who") in WHO_LABELS else "resident"
        at = line.get("at")
        when: Optional[datetime] = None
        if isinstance(at, (int, float)):
            when = datetime.fromtimestamp(at, timezone.utc).replace(tzinfo=None)
        if who == "resident":
            text = button_text(text)
        out.append({"role": who, "text": text, "at": when})
    return out


_PAYLOAD = re.compile(r"^/(\w+)(\{.*\})?$", re.S)
_PAYLOAD_LABELS = {
    "affirm": "（「はい」を選択）",
    "deny": "（「いいえ」を選択）",
    "request_human": "（「職員と話したい」を選択）",
}


def button_text(text: str) -> str:
    """A button's payload as the resident saw it (e.g. /affirm -> 「はい」を選択)."""
    match = _PAYLOAD.match(text.strip())
    if not match:
        return text
    intent, entities = match.groups()
    if intent in _PAYLOAD_LABELS:
        return _PAYLOAD_LABELS[intent]
    if entities:
        try:
            faq_id = json.loads(entities).get("faq_id")
        except (ValueError, AttributeError):
            faq_id = None
        if faq_id:
            return f"（候補 {faq_id} を選択）"
    return f"（ボタン: {intent}）"
