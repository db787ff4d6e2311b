"""Conversation ids: the channel's prefix and the resident's id on that channel.

    line:U4af4980629…   a LINE user
    tel:CA5f0e…         a phone call (Twilio's call sid)
    web:3f2a…           a web chat session

Rasa, the records and the staff console know a conversation by this id alone.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

LINE = "line"
PHONE = "phone"
WEB = "web"
PREFIXES = {LINE: "line", PHONE: "tel", WEB: "web"}  # channel -> prefix
CHANNELS = {prefix: channel for channel, prefix in PREFIXES.items()}  # prefix -> channel


def build_conversation_id(channel: str, resident: str) -> str:
    """("line", "U123") -> "line:U123". Raises ValueError for an unknown channel."""
    if channel not in PREFIXES:
        raise ValueError(f"unknown channel: {channel!r}")
    return f"{PREFIXES[channel]}:{resident}"


@dataclass(frozen=True)
class ConversationId:
    prefix: str
    resident: str  # the resident's id on the channel (LINE user id, call sid, web session)

    @property
    def channel(self) -> Optional[str]:
        """line / phone / web, or None for a prefix no channel uses."""
        return CHANNELS.get(self.prefix)

    def __str__(self) -> str:
        return f"{self.prefix}:{self.resident}"


def parse_conversation_id(value: str) -> Optional[ConversationId]:
    """"tel:CA1" -> ConversationId("tel", "CA1"); None when it is not "<prefix>:<id>"."""
    prefix, sep, resident = value.partition(":")
    if not sep or not resident:
        return None
    return ConversationId(prefix, resident)


def channel_of(value: str) -> Optional[str]:
    """The channel of a conversation id (line / phone / web), or None (another prefix, or none)."""
    prefix, sep, _ = value.partition(":")
    return CHANNELS.get(prefix) if sep else None
