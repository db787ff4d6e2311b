"""Handing a conversation back to the bot: close its ticket and resume it in Rasa (over HTTP).
Used by the staff console (対応終了) and by `madoguchi tickets release`."""
from __future__ import annotations

from typing import Any, Optional

import httpx

from core.settings import load_settings
from records.store import Records


def is_paused(conversation_id: str, settings: Optional[Any] = None) -> bool:
    """Whether Rasa holds the conversation paused (`settings`: anything with rasa_url)."""
    settings = settings or load_settings()
    response = httpx.get(
        f"{settings.rasa_url}/conversations/{conversation_id}/tracker",
        params={"include_events": "NONE"},
        timeout=10,
    )
    response.raise_for_status()
    return bool(response.json().get("paused"))


def release(ticket_id: int, by: str, settings: Optional[Any] = None) -> None:
    """Closes the ticket and lets the bot answer that resident again (`settings`: anything with
    db_url and rasa_url; default: the app's settings)."""
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
