"""Recorded phone messages (after hours, or when nobody picked up) become staff tickets.

A call may be reported twice: when the recording ends, then with the transcription. Both land
on one `voicemail` ticket (or on the handoff ticket the call already has). The caller's number is
kept unmasked in the ticket's callback field: operators need it to call back.
"""
from __future__ import annotations

from typing import Optional

from core.conversation import PHONE, build_conversation_id
from records.store import shared_records
from core.settings import load_settings


def record_voicemail(
    call_sid: str,
    caller: str,
    recording_url: str,
    transcription: Optional[str],
    *,
    ticket_id: Optional[str] = None,
    db_url: str = "",
) -> int:
    """Returns the id of the ticket that holds the message."""
    records = shared_records(db_url or load_settings().db_url)
    return records.record_voicemail(
        build_conversation_id(PHONE, call_sid),
        caller=caller,
        recording_url=recording_url,
        transcription=transcription,
        ticket_id=int(ticket_id) if ticket_id and str(ticket_id).isdigit() else None,
    )
