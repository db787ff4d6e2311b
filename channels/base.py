"""What a channel is: an adapter between one platform (the web widget, LINE, the phone) and the bot.

In the spirit of Rasa's `InputChannel.blueprint(on_new_message)`: a channel owns its HTTP routes
(`router()`, a FastAPI APIRouter the gateway includes) and receives what it needs from the
gateway as `ChannelServices` (ask the bot, the handoff desk, office hours, whether the app is
closing), never the gateway itself.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Awaitable, Callable, ClassVar, Optional, Protocol

from fastapi import APIRouter

from channels.config import GatewayConfig
from channels.handoff import HandoffDesk
from channels.rasa import Turn


class Ask(Protocol):
    """Sends a resident's message to the bot and returns its turn; raises RasaUnavailable."""

    def __call__(self, conversation_id: str, text: str, timeout: Optional[float] = None,
                 language: Optional[str] = None) -> Awaitable[Turn]: ...


@dataclass
class ChannelServices:
    """What the gateway lends its channels."""

    ask: Ask
    office_open: Callable[..., bool]  # office_open(at: Optional[datetime] = None): the city office is open
    desk: HandoffDesk  # conversations handed off to staff
    closing: Callable[[], bool]  # True once the app shuts down: open event streams end


class InputChannel(ABC):
    """A channel: its routes, built on the services it was given."""

    path: ClassVar[str]  # where its routes live: "/web", "/line", "/twilio"
    plain_errors: ClassVar[bool] = False  # client errors as plain text (platform webhooks), else JSON

    def __init__(self, config: GatewayConfig, services: ChannelServices) -> None:
        self.config = config
        self.services = services

    @abstractmethod
    def router(self) -> APIRouter:
        """The channel's routes (full paths), for the gateway to include."""

    @classmethod
    def unconfigured_router(cls) -> APIRouter:
        """The routes of the channel when it is off (credentials missing): none unless it says so."""
        return APIRouter()

    async def close(self) -> None:
        """Releases what the channel holds (HTTP clients, pending work) at shutdown."""

