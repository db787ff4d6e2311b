"""Live updates of handed-off conversations for the ticket page (server-sent events).

The gateway's HandoffDesk calls our listener when a resident writes in a paused conversation:
the message is stored on the conversation's open ticket (`ticket_messages`) and the pages
watching that ticket are woken. The event stream also re-reads the database every second, so a
message stored by another process shows up too.
"""
from __future__ import annotations

import asyncio
import logging
import threading
from typing import Any, Dict, List, Tuple

from starlette.concurrency import run_in_threadpool

from console.services import handoff_data

log = logging.getLogger(__name__)


class Notifier:
    """Wakes the event streams of a ticket (from any thread or event loop)."""

    def __init__(self) -> None:
        self._waiters: Dict[int, List[Tuple[asyncio.AbstractEventLoop, asyncio.Event]]] = {}
        self._lock = threading.Lock()

    def notify(self, ticket_id: int) -> None:
        with self._lock:
            waiters = self._waiters.pop(int(ticket_id), [])
        for loop, event in waiters:
            try:
                loop.call_soon_threadsafe(event.set)
            except RuntimeError:  # that loop is closed
                pass

    async def wait(self, ticket_id: int, timeout: float) -> bool:
        """True when notified within `timeout` seconds."""
        event = asyncio.Event()
        entry = (asyncio.get_running_loop(), event)
        with self._lock:
            self._waiters.setdefault(int(ticket_id), []).append(entry)
        try:
            await asyncio.wait_for(event.wait(), timeout)
            return True
        except asyncio.TimeoutError:
            return False
        finally:
            with self._lock:
                waiters = self._waiters.get(int(ticket_id))
                if waiters and entry in waiters:
                    waiters.remove(entry)
                    if not waiters:
                        self._waiters.pop(int(ticket_id), None)


def notifier(state: Any) -> Notifier:
    found = getattr(state, "notifier", None)
    if found is None:
        found = state.notifier = Notifier()
    return found


def watch_desk(gateway: Any, state: Any) -> None:
    """Registers the listener on the gateway's HandoffDesk (once per console state)."""
    if gateway is None or getattr(state, "desk_watched", False):
        return
    state.desk_watched = True

    async def resident_wrote(conversation_id: str, text: str) -> None:
        ticket_id = await run_in_threadpool(handoff_data(state).record_resident_message, conversation_id, text)
        if ticket_id is not None:
            notifier(state).notify(ticket_id)

    gateway.desk.listeners.append(resident_wrote)
