"""The gateway: one ASGI app serving LINE, the phone (Twilio) and the web chat, talking to Rasa.

It only composes: the Rasa client, the handoff desk and office hours are lent to each channel
(channels.base.ChannelServices); each channel brings its own routes. The staff console is mounted
by the app (madoguchi.server), not here.
"""
from __future__ import annotations

import hmac
import logging
from contextlib import asynccontextmanager
from datetime import datetime, time as dtime, timedelta, timezone
from typing import List, Optional, Tuple, Type

from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from channels.base import ChannelServices, InputChannel
from channels.config import GatewayConfig, load_config
from channels.handoff import HandoffDesk
from channels.http import BadRequest, parse_json_object, read_body
from channels.line import LineChannel
from channels.phone import PhoneChannel
from channels.rasa import RasaClient, Turn
from channels.web import WebChannel
from core.conversation import LINE, PHONE, WEB, parse_conversation_id
from core.office import Office

log = logging.getLogger(__name__)

CHANNELS: Tuple[Type[InputChannel], ...] = (WebChannel, LineChannel, PhoneChannel)
# client errors of the platforms' webhooks are plain text; the widget's API answers JSON
PLAIN_ERROR_PATHS = tuple(channel.path + "/" for channel in CHANNELS if channel.plain_errors)


class Gateway:
    def __init__(self, config: GatewayConfig) -> None:
        self.config = config
        self.rasa = RasaClient(config.rasa_url, timeout=config.rasa_timeout)
        self.desk = HandoffDesk()
        self._office: Optional[Office] = None
        self.closing = False  # set on shutdown: open event streams end
        self.services = ChannelServices(
            ask=self.ask, office_open=self.office_open, desk=self.desk, closing=lambda: self.closing,
        )
        self.web = WebChannel(config, self.services)
        self.line: Optional[LineChannel] = LineChannel(config, self.services) if config.line_enabled else None
        self.phone: Optional[PhoneChannel] = PhoneChannel(config, self.services) if config.twilio_enabled else None

    def routers(self) -> List[APIRouter]:
        """Every channel's routes; a channel that is off answers 503 on its webhooks."""
        return [
            self.web.router(),
            self.line.router() if self.line is not None else LineChannel.unconfigured_router(),
            self.phone.router() if self.phone is not None else PhoneChannel.unconfigured_router(),
        ]

    def describe(self) -> None:
        if self.line is None:
            log.warning(
                "LINE is off: set %s (environment or channels.yml) to turn it on",
                " and ".join(self.config.line_missing()),
            )
        if self.phone is None:
            log.warning(
                "The phone (Twilio) is off: set %s (environment or channels.yml) to turn it on",
                " and ".join(self.config.twilio_missing()),
            )

    async def close(self) -> None:
        for channel in (self.web, self.line, self.phone):
            if channel is not None:
                await channel.close()
        await self.rasa.close()

    async def ask(self, conversation_id: str, text: str, timeout: Optional[float] = None,
                  language: Optional[str] = None) -> Turn:
        """Sends the resident's message to Rasa and keeps track of handoffs. Raises RasaUnavailable."""
        async with self.rasa.lock(conversation_id):
            turn = await self.rasa.send(conversation_id, text, timeout=timeout, language=language)
        if turn.is_empty:  # Rasa is paused for staff: it recorded the message, staff answer
            if not self.desk.is_open(conversation_id):
                self.desk.start(conversation_id)
            await self.desk.resident_wrote(conversation_id, text)
        elif turn.kind.hands_off:
            ticket = turn.custom.get("ticket_id")
            self.desk.start(conversation_id, None if ticket in (None, "") else str(ticket))
        elif self.desk.is_open(conversation_id):
            self.desk.end(conversation_id)  # the bot answers again: the handoff is over
        return turn

    async def deliver_staff_message(self, conversation_id: str, text: str) -> bool:
        """A staff reply to a resident: LINE push or the web widget's event stream."""
        if not isinstance(text, str) or not text.strip():
            raise ValueError("empty staff message")
        parsed = parse_conversation_id(conversation_id)
        if parsed is None:
            raise ValueError(f"not a conversation id: {conversation_id!r}")
        channel, ident = parsed.channel, parsed.resident
        if channel == LINE:
            if self.line is None:
                log.error("Staff message for %s, but LINE is off", conversation_id)
                return False
            delivered = await self.line.deliver_staff(ident, text.strip())
        elif channel == WEB:
            delivered = await self.web.deliver_staff(ident, text.strip())
        elif channel == PHONE:
            log.warning("Staff message for the phone call %s cannot be delivered (the call is over)", conversation_id)
            return False
        else:
            raise ValueError(f"unknown channel in {conversation_id!r}")
        log.info("Staff message to %s: %s", conversation_id, "delivered" if delivered else "not delivered")
        return delivered

    def office_open(self, at: Optional[datetime] = None) -> bool:
        try:
            if self._office is None:
                self._office = Office.load()
            return self._office.is_open(at)
        except Exception:  # no office.yml: weekdays 8:30-17:15 Japan time
            now = (at or datetime.now(timezone.utc)).astimezone(timezone(timedelta(hours=9)))
            return now.weekday() < 5 and dtime(8, 30) <= now.time() < dtime(17, 15)


def _client_error(request: Request, status: int, reason: str) -> Response:
    log.warning("%s %s -> %s: %s", request.method, request.url.path, status, reason)
    if request.url.path.startswith(PLAIN_ERROR_PATHS):
        return PlainTextResponse(reason, status_code=status)
    return JSONResponse({"error": reason}, status_code=status)


def create_app(config: Optional[GatewayConfig] = None) -> FastAPI:
    """The gateway's app: its channels, /health, and the staff API for a console in another process."""
    config = config or load_config()
    gateway = Gateway(config)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        gateway.describe()
        try:
            yield
        finally:
            await gateway.close()

    app = FastAPI(title="madoguchi gateway", docs_url=None, redoc_url=None, openapi_url=None, lifespan=lifespan)
    app.state.gateway = gateway

    @app.exception_handler(BadRequest)
    async def _bad_request(request: Request, error: BadRequest):
        return _client_error(request, error.status, error.reason)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, error: StarletteHTTPException):
        return _client_error(request, error.status_code, str(error.detail))

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, error: RequestValidationError):
        return _client_error(request, 400, "invalid request")

    @app.get("/health")
    async def health():
        return {"status": "ok", "web": True, "line": gateway.line is not None, "phone": gateway.phone is not None}

    @app.get("/")
    async def root():
        return RedirectResponse("/web/")

    for router in gateway.routers():
        app.include_router(router)

    # --- staff (for the staff console in another process) ---
    def check_staff(request: Request) -> None:
        token = config.staff_api_token
        if not token:
            raise BadRequest(404, "the staff API is off (MADOGUCHI_STAFF_API_TOKEN)")
        given = request.headers.get("authorization", "")
        if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
            raise BadRequest(401, "staff API token missing or wrong")

    @app.post("/staff/api/messages")
    async def staff_message(request: Request):
        check_staff(request)
        data = parse_json_object(await read_body(request, config.max_body_bytes))
        conversation_id, text = data.get("conversation_id"), data.get("text")
        if not isinstance(conversation_id, str) or not isinstance(text, str) or not text.strip():
            raise BadRequest(400, "conversation_id and text are required")
        try:
            delivered = await gateway.deliver_staff_message(conversation_id, text)
        except ValueError as error:
            raise BadRequest(400, str(error)) from None
        return {"delivered": delivered}

    @app.post("/staff/api/handoff/end")
    async def staff_end_handoff(request: Request):
        check_staff(request)
        data = parse_json_object(await read_body(request, 4096))
        conversation_id = data.get("conversation_id")
        if not isinstance(conversation_id, str):
            raise BadRequest(400, "conversation_id is required")
        return {"ended": gateway.desk.end(conversation_id)}

    return app
