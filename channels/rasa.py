"""The Rasa server seen from the gateway: its REST channel, and the turn it answers."""
from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional

import httpx

from core.conversation import channel_of
from core.privacy import mask_pii
from core.turn import Kind, parse_kind, read_part

log = logging.getLogger(__name__)


class RasaUnavailable(Exception):
    """Rasa is down, slow, or answered something that is not a list of messages."""


@dataclass
class Button:
    title: str
    payload: str
    hint: str = ""  # a choice's first words of its answer


@dataclass
class Bubble:
    """One displayable message: text and the buttons under it."""

    text: str = ""
    buttons: List[Button] = field(default_factory=list)


@dataclass
class Turn:
    """What the bot answered to one resident message."""

    bubbles: List[Bubble] = field(default_factory=list)
    custom: Dict[str, Any] = field(default_factory=dict)  # the "madoguchi" part, if any

    @property
    def kind(self) -> Kind:
        """The kind the actions wrote; else (none, or one this gateway does not know) text or empty."""
        return parse_kind(self.custom.get("kind")) or (Kind.EMPTY if self.is_empty else Kind.TEXT)

    @property
    def is_empty(self) -> bool:
        return not self.bubbles and not self.custom

    @property
    def texts(self) -> List[str]:
        return [b.text for b in self.bubbles if b.text]

    @property
    def buttons(self) -> List[Button]:
        return [button for bubble in self.bubbles for button in bubble.buttons]

    @property
    def choices(self) -> List[Button]:
        """The choices of a "choices" turn (from the custom part, else the buttons)."""
        raw = self.custom.get("choices")
        if isinstance(raw, list):
            out = []
            for item in raw:
                if isinstance(item, dict) and item.get("title") and item.get("payload"):
                    out.append(Button(str(item["title"]), str(item["payload"]), str(item.get("hint") or "")))
            if out:
                return out
        return [b for b in self.buttons if b.payload not in ("/affirm", "/deny") or self.kind == Kind.CHOICES]


def _button(raw: Any) -> Optional[Button]:
    if not isinstance(raw, dict):
        return None
    title, payload = raw.get("title"), raw.get("payload")
    if not isinstance(title, str) or not title.strip():
        return None
    if not isinstance(payload, str) or not payload:
        payload = title
    return Button(title.strip(), payload)


def parse_turn(messages: Any) -> Turn:
    """Rasa's REST answer -> Turn. Unknown parts are ignored, never fatal."""
    if not isinstance(messages, list):
        raise RasaUnavailable(f"Rasa answered {type(messages).__name__}, not a list")
    turn = Turn()
    for message in messages:
        if not isinstance(message, dict):
            continue
        part = read_part(message.get("custom"))
        if part is not None:
            if not part.is_known:  # read as text (or empty): the channels show what it says
                log.warning("A turn's part of unknown kind %r", part.named)
            turn.custom.update(part.values if part.named is None else {"kind": part.named, **part.values})
        text = message.get("text")
        buttons = [b for b in (_button(raw) for raw in message.get("buttons") or []) if b]
        if isinstance(text, str) and text.strip() or buttons:
            turn.bubbles.append(Bubble(text.strip() if isinstance(text, str) else "", buttons))
    return turn


class RasaClient:
    def __init__(self, base_url: str, timeout: float = 25.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self._client: Optional[httpx.AsyncClient] = None
        self._locks: Dict[str, asyncio.Lock] = {}

    @property
    def client(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=self.timeout, trust_env=False)
        return self._client

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    def lock(self, conversation_id: str) -> asyncio.Lock:
        """One message at a time per conversation, so answers keep their order."""
        if len(self._locks) > 10000:
            for key in [k for k, v in self._locks.items() if not v.locked()][:5000]:
                self._locks.pop(key, None)
        return self._locks.setdefault(conversation_id, asyncio.Lock())

    async def send(self, conversation_id: str, text: str, timeout: Optional[float] = None,
                   language: Optional[str] = None) -> Turn:
        """`language`: the channel's idea of the resident's language (the widget's switch, the
        phone's 9 for English, LINE's profile); the message's own language wins in the actions."""
        metadata = {"channel": channel_of(conversation_id) or "unknown"}
        if language:
            metadata["language"] = language
        body = {"sender": conversation_id, "message": text, "metadata": metadata}
        try:
            response = await self.client.post(
                f"{self.base_url}/webhooks/rest/webhook",
                json=body,
                timeout=timeout or self.timeout,
            )
        except httpx.TimeoutException as error:
            log.warning("Rasa did not answer in time for %s: %s", conversation_id, type(error).__name__)
            raise RasaUnavailable("timeout") from error
        except httpx.HTTPError as error:
            log.warning("Rasa unreachable for %s: %s", conversation_id, type(error).__name__)
            raise RasaUnavailable(str(error)) from error
        if response.status_code != 200:
            log.warning("Rasa answered HTTP %s for %s", response.status_code, conversation_id)
            raise RasaUnavailable(f"HTTP {response.status_code}")
        try:
            data = response.json()
        except ValueError as error:
            raise RasaUnavailable("invalid JSON") from error
        turn = parse_turn(data)
        log.info(
            "%s: %s -> %s", conversation_id, mask_pii(text[:80]), turn.kind,
        )
        return turn
