"""What the dialogue records for staff: every question asked (masked), feedback, and handoff tickets.

The tables live in the app database beside the FAQ (one Alembic history: core/migrations).
"""
from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Dict, List, Optional, Sequence

import sqlalchemy as sa

from core import conversation
from core.db import make_engine, metadata
from core.migrations import upgrade
from core.privacy import mask_pii

DECISIONS = ("answer", "suggest", "none", "choice", "followup", "passage", "out_of_scope", "error")
TICKET_KINDS = ("handoff", "after_hours", "voicemail", "error")
TICKET_STATUSES = ("open", "taken", "closed")

inquiries = sa.Table(
    "inquiries",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("conversation_id", sa.String(200), nullable=False),
    sa.Column("channel", sa.String(20), nullable=False),
    sa.Column("text", sa.Text, nullable=False),  # masked
    sa.Column("decision", sa.String(20), nullable=False),
    sa.Column("faq_id", sa.String(64), nullable=True),
    sa.Column("candidates", sa.JSON, nullable=False),  # FAQ ids offered, best first
    sa.Column("top_score", sa.Float, nullable=True),
    sa.Column("resolved", sa.Boolean, nullable=True),  # None: no feedback given
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("feedback_at", sa.DateTime, nullable=True),
    sa.Index("ix_inquiries_created_at", "created_at"),
    sa.Index("ix_inquiries_conversation", "conversation_id"),
)

tickets = sa.Table(
    "tickets",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("conversation_id", sa.String(200), nullable=False),
    sa.Column("channel", sa.String(20), nullable=False),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("status", sa.String(20), nullable=False, server_default="open"),
    sa.Column("reason", sa.Text, nullable=False, server_default=""),
    sa.Column("last_query", sa.Text, nullable=False, server_default=""),
    sa.Column("candidates", sa.JSON, nullable=False),
    # Unmasked: staff need what the resident said to help; shown to operators only.
    sa.Column("transcript", sa.JSON, nullable=False),
    sa.Column("message", sa.Text, nullable=False, server_default=""),
    sa.Column("callback", sa.String(50), nullable=False, server_default=""),
    sa.Column("recording_url", sa.String(1000), nullable=False, server_default=""),
    sa.Column("department", sa.String(200), nullable=False, server_default=""),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("taken_by", sa.String(100), nullable=True),
    sa.Column("taken_at", sa.DateTime, nullable=True),
    sa.Column("closed_by", sa.String(100), nullable=True),
    sa.Column("closed_at", sa.DateTime, nullable=True),
    sa.Index("ix_tickets_status", "status", "created_at"),
    sa.Index("ix_tickets_conversation", "conversation_id"),
)


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


@dataclass(frozen=True)
class Ticket:
    id: int
    conversation_id: str
    channel: str
    kind: str
    status: str
    reason: str
    last_query: str
    candidates: List[str]
    transcript: List[Dict[str, Any]]
    message: str
    callback: str
    recording_url: str
    department: str
    created_at: datetime
    taken_by: Optional[str]
    closed_at: Optional[datetime]


def channel_of(conversation_id: str) -> str:
    """Conversation ids are prefixed by channel: line:U…, tel:CA…, web:…"""
    return conversation.channel_of(conversation_id) or "rest"


class Records:
    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine

    @classmethod
    def open(cls, url: str) -> "Records":
        engine = make_engine(url)
        upgrade(engine)
        return cls(engine)

    # --- inquiries -------------------------------------------------------------------
    def log_inquiry(
        self,
        conversation_id: str,
        text: str,
        decision: str,
        *,
        faq_id: Optional[str] = None,
        candidates: Sequence[str] = (),
        top_score: Optional[float] = None,
    ) -> int:
        if decision not in DECISIONS:
            raise ValueError(f"unknown decision {decision!r}")
        with self.engine.begin() as conn:
            result = conn.execute(
                inquiries.insert().values(
                    conversation_id=conversation_id,
                    channel=channel_of(conversation_id),
                    text=mask_pii(text or "")[:2000],
                    decision=decision,
                    faq_id=faq_id,
                    candidates=list(candidates),
                    top_score=top_score,
                    created_at=utcnow(),
                )
            )
            return int(result.inserted_primary_key[0])

    def record_feedback(self, inquiry_id: int, resolved: bool) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                inquiries.update()
                .where(inquiries.c.id == inquiry_id)
                .values(resolved=resolved, feedback_at=utcnow())
            )

    def inquiry(self, inquiry_id: int) -> Optional[Dict[str, Any]]:
        with self.engine.connect() as conn:
            row = conn.execute(inquiries.select().where(inquiries.c.id == inquiry_id)).mappings().first()
            return dict(row) if row else None

    def inquiries_of(self, conversation_id: str) -> List[Dict[str, Any]]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                inquiries.select()
                .where(inquiries.c.conversation_id == conversation_id)
                .order_by(inquiries.c.id)
            ).mappings()
            return [dict(row) for row in rows]

    # --- tickets ---------------------------------------------------------------------
    def open_ticket(
        self,
        conversation_id: str,
        kind: str,
        *,
        reason: str = "",
        last_query: str = "",
        candidates: Sequence[str] = (),
        transcript: Sequence[Dict[str, Any]] = (),
        message: str = "",
        callback: str = "",
        department: str = "",
        channel: Optional[str] = None,
    ) -> int:
        if kind not in TICKET_KINDS:
            raise ValueError(f"unknown ticket kind {kind!r}")
        with self.engine.begin() as conn:
            result = conn.execute(
                tickets.insert().values(
                    conversation_id=conversation_id,
                    channel=channel or channel_of(conversation_id),
                    kind=kind,
                    status="open",
                    reason=reason,
                    last_query=last_query,
                    candidates=list(candidates),
                    transcript=list(transcript),
                    message=message,
                    callback=callback,
                    department=department,
                    created_at=utcnow(),
                )
            )
            return int(result.inserted_primary_key[0])

    def record_voicemail(
        self,
        conversation_id: str,
        *,
        caller: str,
        recording_url: str,
        transcription: Optional[str],
        ticket_id: Optional[int] = None,
    ) -> int:
        """Puts a recorded message on the call's ticket, opening a `voicemail` ticket if it has none."""
        with self.engine.begin() as conn:
            query = tickets.select().where(tickets.c.conversation_id == conversation_id)
            if ticket_id is not None:
                query = tickets.select().where(tickets.c.id == ticket_id)
            else:
                query = query.where(tickets.c.kind == "voicemail")
            row = conn.execute(query.order_by(tickets.c.id.desc())).mappings().first()
            if row is None:
                result = conn.execute(
                    tickets.insert().values(
                        conversation_id=conversation_id, channel="phone", kind="voicemail",
                        status="open", reason="recorded phone message", last_query="",
                        candidates=[], transcript=[], message=transcription or "",
                        callback=caller or "", recording_url=recording_url or "",
                        department="", created_at=utcnow(),
                    )
                )
                return int(result.inserted_primary_key[0])
            changes = {}
            if transcription:
                changes["message"] = transcription
            if recording_url:
                changes["recording_url"] = recording_url
            if caller and not row["callback"]:
                changes["callback"] = caller
            if changes:
                conn.execute(tickets.update().where(tickets.c.id == row["id"]).values(**changes))
            return int(row["id"])

    def tickets(
        self,
        *,
        status: Optional[str] = None,
        conversation_id: Optional[str] = None,
        kind: Optional[str] = None,
    ) -> List[Ticket]:
        query = tickets.select().order_by(tickets.c.created_at, tickets.c.id)
        if status:
            query = query.where(tickets.c.status == status)
        if kind:
            query = query.where(tickets.c.kind == kind)
        if conversation_id:
            query = query.where(tickets.c.conversation_id == conversation_id)
        with self.engine.connect() as conn:
            return [self._ticket(row) for row in conn.execute(query).mappings()]

    def ticket(self, ticket_id: int) -> Optional[Ticket]:
        with self.engine.connect() as conn:
            row = conn.execute(tickets.select().where(tickets.c.id == ticket_id)).mappings().first()
            return self._ticket(row) if row else None

    def take_ticket(self, ticket_id: int, by: str) -> None:
        self._set_ticket(ticket_id, status="taken", taken_by=by, taken_at=utcnow())

    def close_ticket(self, ticket_id: int, by: str) -> None:
        self._set_ticket(ticket_id, status="closed", closed_by=by, closed_at=utcnow())

    def _set_ticket(self, ticket_id: int, **values: Any) -> None:
        with self.engine.begin() as conn:
            result = conn.execute(tickets.update().where(tickets.c.id == ticket_id).values(**values))
            if result.rowcount == 0:
                raise KeyError(f"ticket {ticket_id} does not exist")

    @staticmethod
    def _ticket(row: Any) -> Ticket:
        return Ticket(**{name: row[name] for name in Ticket.__dataclass_fields__})


_shared: Dict[str, Records] = {}
_shared_lock = threading.Lock()


def shared_records(url: str) -> Records:
    with _shared_lock:
        if url not in _shared:
            _shared[url] = Records.open(url)
        return _shared[url]
