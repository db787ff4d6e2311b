"""Conversations handed off to staff: which ones, and where residents' messages go meanwhile.

Rasa keeps recording a paused conversation (staff read the transcript from its tracker); the
gateway remembers the pause so it shows no bot answer and tells listeners (the staff console)
that a resident wrote.
"""
from __future__ import annotations

import logging
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Awaitable, Callable, List, Optional

from core.privacy import mask_pii

log = logging.getLogger(__name__)

Listener = Callable[[str, str], Awaitable[None]]


@dataclass
class Handoff:
    conversation_id: str
    ticket_id: Optional[str] = None
    since: float = field(default_factory=time.time)


class HandoffDesk:
    def __init__(self, limit: int = 20000) -> None:
        self._open: "OrderedDict[str, Handoff]" = OrderedDict()
        self._limit = limit
        self.listeners: List[Listener] = []

    def start(self, conversation_id: str, ticket_id: Optional[str] = None) -> None:
        if conversation_id not in self._open:
            log.info("Handoff to staff: %s (ticket %s)", conversation_id, ticket_id or "-")
        self._open[conversation_id] = Handoff(conversation_id, ticket_id)
        self._open.move_to_end(conversation_id)
        while len(self._open) > self._limit:
            self._open.popitem(last=False)

    def end(self, conversation_id: str) -> bool:
        return self._open.pop(conversation_id, None) is not None

    def is_open(self, conversation_id: str) -> bool:
        return conversation_id in self._open

    def get(self, conversation_id: str) -> Optional[Handoff]:
        return self._open.get(conversation_id)

    async def resident_wrote(self, conversation_id: str, text: str) -> None:
        """A resident's message in a handed-off conversation: for staff, not the bot."""
        log.info("Message for staff in %s: %s", conversation_id, mask_pii(text[:80]))
        for listener in list(self.listeners):
            try:
                await listener(conversation_id, text)
            except Exception:
                log.exception("A staff listener failed for %s", conversation_id)

