"""`madoguchi tickets`: list the handoff tickets, release a conversation back to the bot
(records.handoff.release, which the staff console uses too)."""
from __future__ import annotations

import json

from core.settings import load_settings
from records.handoff import release
from records.store import Records


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
