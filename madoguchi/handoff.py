"""Staff side of a handoff: list the tickets, and release a conversation back to the bot."""
from __future__ import annotations

import json
from typing import Optional

import httpx

from records.store import Records
from core.settings import Settings, load_settings


def is_paused(conversation_id: str, settings: Optional[Settings] = None) -> bool:
    settings = settings or load_settings()
    response = httpx.get(
        f"{settings.rasa_url}/conversations/{conversation_id}/tracker",
        params={"include_events": "NONE"},
        timeout=10,
    )
    response.raise_for_status()
    return bool(response.json().get("paused"))


def release(ticket_id: int, by: str, settings: Optional[Settings] = None) -> None:
    """Closes the ticket and lets the bot answer that resident again."""
    settings = settings or load_settings()
    records = Records.open(settings.db_url)
    ticket = records.ticket(ticket_id)
    if ticket is None:
        raise KeyError(f"ticket {ticket_id} does not exist")
    response = httpx.post(
        f"{settings.rasa_url}/conversations/{ticket.conversation_id}/tracker/events",
        # Listening again, as after any bot turn: the resident's next message starts a fresh turn.
        json=[{"event": "resume"}, {"event": "action", "name": "action_listen"}],
        timeout=10,
    )
    response.raise_for_status()
    records.close_ticket(ticket_id, by=by)


def _cmd_list(args) -> int:
    records = Records.open(load_settings().db_url)
    for ticket in records.tickets(status=args.status):
        print(json.dumps(
            {
                "id": ticket.id, "kind": ticket.kind, "status": ticket.status,
                "channel": ticket.channel, "conversation_id": ticket.conversation_id,
                "created_at": ticket.created_at.isoformat(timespec="seconds"),
                "last_query": ticket.last_query, "department": ticket.department,
            },
            ensure_ascii=False,
        ))
    return 0


def _cmd_release(args) -> int:
    release(args.ticket_id, by=args.by)
    print(f"ticket {args.ticket_id} closed; the bot answers that conversation again")
    return 0


def register(sub) -> None:
    parser = sub.add_parser("tickets", help="handoff tickets: list them, release a conversation")
    commands = parser.add_subparsers(dest="tickets_command", required=True)
    listing = commands.add_parser("list", help="tickets as JSON lines, oldest first")
    listing.add_argument("--status", choices=["open", "taken", "closed"], default=None)
    listing.set_defaults(func=_cmd_list)
    releasing = commands.add_parser("release", help="close a ticket and resume the bot")
    releasing.add_argument("ticket_id", type=int)
    releasing.add_argument("--by", required=True, help="who releases it (for the record)")
    releasing.set_defaults(func=_cmd_release)
