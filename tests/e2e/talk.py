"""Talking to the bot through Rasa's REST channel, as the gateway does."""
from __future__ import annotations

import uuid
from typing import List, Optional

import httpx

# Office-hours file the tests start with (the action server reads the file on every use).
ALWAYS_OPEN = """
city: テスト市
switchboard: 099-000-1000
hours: {mon: ["00:00", "23:59"], tue: ["00:00", "23:59"], wed: ["00:00", "23:59"],
        thu: ["00:00", "23:59"], fri: ["00:00", "23:59"], sat: ["00:00", "23:59"], sun: ["00:00", "23:59"]}
national_holidays: false
"""


class Conversation:
    """One resident talking to the bot through Rasa's REST channel."""

    def __init__(self, settings) -> None:
        self.settings = settings
        self.sender = f"test-{uuid.uuid4().hex[:12]}"

    def say(self, text: str, channel: Optional[str] = None) -> List[dict]:
        body = {"sender": self.sender, "message": text}
        if channel:
            body["metadata"] = {"channel": channel}
        response = httpx.post(
            f"{self.settings.rasa_url}/webhooks/rest/webhook", json=body, timeout=60
        )
        response.raise_for_status()
        return response.json()

    def tracker(self) -> dict:
        response = httpx.get(
            f"{self.settings.rasa_url}/conversations/{self.sender}/tracker", timeout=30
        )
        response.raise_for_status()
        return response.json()

    def slot(self, name: str):
        return self.tracker()["slots"].get(name)


def texts(messages: List[dict]) -> List[str]:
    return [m["text"] for m in messages if m.get("text")]


def buttons(messages: List[dict]) -> List[dict]:
    return [b for m in messages for b in m.get("buttons") or []]


def custom(messages: List[dict]) -> dict:
    """The machine-readable part of a turn (for the channels)."""
    parts = [m["custom"]["madoguchi"] for m in messages if isinstance(m.get("custom"), dict)]
    assert len(parts) <= 1, messages
    return parts[0] if parts else {}
