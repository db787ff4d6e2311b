"""The web chat widget: a page the city embeds (iframe, or one <script> tag), its JSON API,
and server-sent events for staff replies. Plain JS/CSS served from channels/static/."""
from __future__ import annotations

import asyncio
import html
import json
import logging
import re
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Deque, Dict, List, Set

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response, StreamingResponse

from channels import texts
from channels.base import ChannelServices, InputChannel
from channels.config import GatewayConfig
from channels.http import BadRequest, parse_json_object, read_body
from faq.language import normalize_language
from channels.rasa import RasaUnavailable, Turn
from core.conversation import WEB, build_conversation_id
from core.turn import Kind

log = logging.getLogger(__name__)

STATIC = Path(__file__).resolve().parent / "static"
STATIC_FILES = {"chat.js": "text/javascript", "chat.css": "text/css"}
_SESSION = re.compile(r"^[0-9a-f]{32}$")
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
PAGE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'"
)


@dataclass
class WebSession:
    id: str
    listeners: Set[asyncio.Queue] = field(default_factory=set)
    pending: Deque[Dict[str, Any]] = field(default_factory=lambda: deque(maxlen=50))
    touched: float = field(default_factory=time.time)

    @property
    def conversation_id(self) -> str:
        return build_conversation_id(WEB, self.id)

    def publish(self, item: Dict[str, Any]) -> None:
        if self.listeners:
            for queue in list(self.listeners):
                queue.put_nowait(item)
        else:
            self.pending.append(item)


def _button(title: str, payload: str, hint: str = "") -> Dict[str, str]:
    return {"title": title, "payload": payload, **({"hint": hint} if hint else {})}


def render_turn(turn: Turn) -> List[Dict[str, Any]]:
    """A bot turn as widget messages: text plus buttons (choices, はい／いいえ)."""
    out = []
    hints = {b.payload: b.hint for b in turn.choices} if turn.kind == Kind.CHOICES else {}
    for bubble in turn.bubbles:
        out.append({
            "role": "bot",
            "text": bubble.text,
            "buttons": [_button(b.title, b.payload, hints.get(b.payload, "")) for b in bubble.buttons],
        })
    if turn.kind == Kind.CHOICES and not any(m["buttons"] for m in out) and turn.choices:
        out.append({
            "role": "bot", "text": "",
            "buttons": [_button(b.title, b.payload, b.hint) for b in turn.choices],
        })
    return out


class WebChannel(InputChannel):
    path = "/web"

    def __init__(self, config: GatewayConfig, services: ChannelServices) -> None:
        super().__init__(config, services)
        self.sessions: Dict[str, WebSession] = {}

    def router(self) -> APIRouter:
        router = APIRouter()

        @router.get("/web/")
        async def web_page(request: Request):
            return self.page(request)

        @router.get("/web", include_in_schema=False)
        async def web_page_slash():
            return RedirectResponse("/web/")

        @router.get("/web/embed.js")
        async def web_embed():
            return self.embed_script()

        @router.get("/web/static/{name}")
        async def web_static(name: str):
            return self.static(name)

        @router.post("/web/api/session")
        async def web_session(request: Request):
            return await self.new_session(request)

        @router.post("/web/api/message")
        async def web_message(request: Request):
            return await self.message(request)

        @router.get("/web/api/events")
        async def web_events(request: Request):
            return await self.events(request)

        return router

    def session(self, session_id: Any, create: bool = True) -> WebSession:
        if not isinstance(session_id, str) or not _SESSION.match(session_id):
            raise BadRequest(400, "missing or malformed session")
        session = self.sessions.get(session_id)
        if session is None:
            if not create:
                raise BadRequest(404, "unknown session")
            self._prune()
            session = self.sessions[session_id] = WebSession(session_id)
        session.touched = time.time()
        return session

    def _prune(self) -> None:
        if len(self.sessions) < 20000:
            return
        cutoff = time.time() - 6 * 3600
        for key in [k for k, s in self.sessions.items() if s.touched < cutoff and not s.listeners]:
            self.sessions.pop(key, None)

    # --- pages --------------------------------------------------------------------------

    def page(self, request: Request) -> Response:
        template = (STATIC / "chat.html").read_text(encoding="utf-8")
        city = self.config.city
        page = (
            template.replace("{{CITY}}", html.escape(city.name))
            .replace("{{SWITCHBOARD}}", html.escape(city.switchboard))
            .replace("{{HOURS}}", html.escape(city.hours_text))
            .replace("{{MAX_CHARS}}", str(self.config.max_message_chars))
            .replace("{{TOPICS}}", html.escape(json.dumps(list(self.config.line_topics), ensure_ascii=False)))
        )
        headers = dict(SECURITY_HEADERS)
        csp = PAGE_CSP
        if self.config.web_frame_ancestors:  # which sites may embed the chat (default: any)
            csp += f"; frame-ancestors {self.config.web_frame_ancestors}"
        headers["Content-Security-Policy"] = csp
        headers["Cache-Control"] = "no-cache"
        return HTMLResponse(page, headers=headers)

    def static(self, name: str) -> Response:
        if name not in STATIC_FILES:
            raise BadRequest(404, f"no static file {name!r}")
        return FileResponse(STATIC / name, media_type=STATIC_FILES[name], headers=SECURITY_HEADERS)

    def embed_script(self) -> Response:
        script = (STATIC / "embed.js").read_text(encoding="utf-8")
        script = script.replace("{{CITY}}", json.dumps(self.config.city.name, ensure_ascii=False)[1:-1])
        headers = dict(SECURITY_HEADERS)
        headers["Access-Control-Allow-Origin"] = "*"
        return Response(script, media_type="text/javascript; charset=utf-8", headers=headers)

    # --- API ----------------------------------------------------------------------------

    async def new_session(self, request: Request) -> Response:
        await read_body(request, 1024)
        session = self.session(uuid.uuid4().hex)
        return JSONResponse({"session": session.id}, headers=SECURITY_HEADERS)

    async def message(self, request: Request) -> Response:
        data = parse_json_object(await read_body(request, self.config.max_body_bytes))
        session = self.session(data.get("session"))
        text = data.get("text")
        if not isinstance(text, str):
            raise BadRequest(400, "missing text")
        text = text.strip()
        if not text:
            raise BadRequest(400, "empty text")
        if len(text) > self.config.max_message_chars:
            raise BadRequest(413, f"text longer than {self.config.max_message_chars} characters")
        # the widget's language (browser or switch): the bot's fixed texts follow it when
        # the message itself does not tell (「1」, a button); the gateway's own texts follow it
        language = normalize_language(data.get("language"))
        try:
            turn = await self.services.ask(session.conversation_id, text, language=language)
        except RasaUnavailable:
            return JSONResponse({
                "kind": "unavailable",
                "handoff": self.services.desk.is_open(session.conversation_id),
                "messages": [{"role": "bot", "text": texts.unavailable(self.config.city, language), "buttons": []}],
            }, headers=SECURITY_HEADERS)
        return JSONResponse({
            "kind": turn.kind.value,
            "handoff": self.services.desk.is_open(session.conversation_id),
            "messages": render_turn(turn),
        }, headers=SECURITY_HEADERS)

    async def events(self, request: Request) -> Response:
        session = self.session(request.query_params.get("session"))
        queue: asyncio.Queue = asyncio.Queue()
        while session.pending:
            queue.put_nowait(session.pending.popleft())
        session.listeners.add(queue)

        async def stream():
            try:
                yield "retry: 3000\n\n"
                idle = 0.0
                while not self.services.closing():
                    try:
                        item = await asyncio.wait_for(queue.get(), timeout=1)
                    except asyncio.TimeoutError:
                        idle += 1
                        if await request.is_disconnected():
                            break
                        if idle >= 15:
                            idle = 0.0
                            yield ": ping\n\n"
                        continue
                    yield f"event: {item.get('role', 'staff')}\ndata: {json.dumps(item, ensure_ascii=False)}\n\n"
            finally:
                session.listeners.discard(queue)
                while not queue.empty():  # not shown yet: keep for the next connection
                    session.pending.append(queue.get_nowait())

        headers = dict(SECURITY_HEADERS)
        headers.update({"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
        return StreamingResponse(stream(), media_type="text/event-stream", headers=headers)

    async def deliver_staff(self, session_id: str, text: str) -> bool:
        session = self.session(session_id)
        session.publish({"role": "staff", "text": text, "buttons": []})
        return True
