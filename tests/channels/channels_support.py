"""Test doubles for the gateway's peers, served over real HTTP on localhost:
a scripted Rasa REST channel, and fakes of the LINE and Twilio APIs that record what they got."""
from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import socket
import threading
import time
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Optional
from urllib.parse import parse_qsl

import httpx
import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from twilio.request_validator import RequestValidator

from channels.config import GatewayConfig
from channels.gateway import create_app


LINE_SECRET = "test-line-channel-secret"
LINE_TOKEN = "test-line-access-token"
TWILIO_SID = "AC" + "1" * 32
TWILIO_TOKEN = "test-twilio-auth-token"
TWILIO_NUMBER = "+815012345678"
PUBLIC_URL = "https://madoguchi.hidamari.example"
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"

CHROMIUM = "/usr/bin/chromium"  # Debian's (scripts/install_browser.sh); Playwright's download does not work here
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run",
                 "--disable-component-update", "--disable-sync", "--disable-quic"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ServerThread:
    """An ASGI app served by uvicorn in a background thread."""

    def __init__(self, app, port: Optional[int] = None) -> None:
        self.app = app
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = uvicorn.Server(uvicorn.Config(
            app, host="127.0.0.1", port=self.port, log_config=None, lifespan="on",
            timeout_graceful_shutdown=1,
        ))
        self.loop: Optional[asyncio.AbstractEventLoop] = None
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        self.loop = asyncio.new_event_loop()
        asyncio.set_event_loop(self.loop)
        self.loop.run_until_complete(self.server.serve())
        self.loop.close()

    def __enter__(self) -> "ServerThread":
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("test server did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc) -> None:
        gateway = getattr(getattr(self.app, "state", None), "gateway", None)
        if gateway is not None:
            gateway.closing = True
        self.server.should_exit = True
        self.thread.join(timeout=10)

    def run(self, coro, timeout: float = 30):
        """Runs a coroutine on the server's event loop (e.g. deliver_staff_message)."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout=timeout)


# --- Rasa ------------------------------------------------------------------------------

Script = Callable[[str, str], Any]


class FakeRasa:
    """Rasa's REST channel: answers from `replies` (message -> list) or `default`."""

    def __init__(self) -> None:
        self.received: List[Dict[str, Any]] = []
        self.replies: Dict[str, Any] = {}
        self.delay = 0.0
        self.delays: Dict[str, float] = {}
        self.status = 200
        self.raw: Optional[bytes] = None
        app = FastAPI()

        @app.post("/webhooks/rest/webhook")
        async def webhook(request: Request):
            body = await request.json()
            self.received.append(body)
            delay = self.delays.get(body["message"], self.delay)
            if delay:
                await asyncio.sleep(delay)
            if self.status != 200:
                return JSONResponse({"error": "boom"}, status_code=self.status)
            if self.raw is not None:
                from fastapi.responses import Response

                return Response(self.raw, media_type="application/json")
            reply = self.replies.get(body["message"])
            if callable(reply):
                reply = reply(body["sender"], body["message"])
            if reply is None:
                reply = [{"text": f"「{body['message']}」についてのお答えです。"}]
            return [dict(m, recipient_id=body["sender"]) for m in reply]

        @app.get("/webhooks/rest/")
        async def health():
            return {"status": "ok"}

        self.app = app

    def messages(self) -> List[str]:
        return [r["message"] for r in self.received]


# --- LINE ------------------------------------------------------------------------------


def line_signature(secret: str, body: bytes) -> str:
    """X-Line-Signature as LINE computes it: base64(HMAC-SHA256(channel secret, body))."""
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


class FakeLineApi:
    """The parts of api.line.me the gateway uses; records every request."""

    def __init__(self) -> None:
        self.requests: List[Dict[str, Any]] = []
        self.expired_tokens = set()
        self.slow_tokens: Dict[str, float] = {}
        self.fail_push = False
        self.profile_languages: Dict[str, str] = {}  # userId -> the LINE app's language
        app = FastAPI()

        async def record(request: Request, kind: str) -> Dict[str, Any]:
            entry = {
                "kind": kind,
                "json": await request.json(),
                "authorization": request.headers.get("authorization"),
                "retry_key": request.headers.get("x-line-retry-key"),
            }
            self.requests.append(entry)
            return entry

        @app.post("/v2/bot/message/reply")
        async def reply(request: Request):
            token = json.loads(await request.body()).get("replyToken")
            if token in self.slow_tokens:  # a slow network: recorded late
                await asyncio.sleep(self.slow_tokens[token])
            entry = await record(request, "reply")
            if entry["json"].get("replyToken") in self.expired_tokens:
                return JSONResponse({"message": "Invalid reply token"}, status_code=400)
            return {"sentMessages": [{"id": "1", "quoteToken": "q"}]}

        @app.post("/v2/bot/message/push")
        async def push(request: Request):
            await record(request, "push")
            if self.fail_push:
                return JSONResponse({"message": "The request body has 1 error(s)"}, status_code=400)
            return {"sentMessages": [{"id": "2", "quoteToken": "q"}]}

        @app.get("/v2/bot/profile/{user_id}")
        async def profile(user_id: str):
            if user_id not in self.profile_languages:
                return JSONResponse({"message": "Not found"}, status_code=404)
            return {"userId": user_id, "displayName": "住民", "language": self.profile_languages[user_id]}

        @app.post("/v2/bot/chat/loading/start")
        async def loading(request: Request):
            await record(request, "loading")
            return JSONResponse({}, status_code=202)

        self.app = app

    def of(self, kind: str) -> List[Dict[str, Any]]:
        return [r for r in self.requests if r["kind"] == kind]

    def sent(self) -> List[Dict[str, Any]]:
        return [r for r in self.requests if r["kind"] in ("reply", "push")]


def line_event(kind: str = "text", text: str = "", user: str = "U" + "a" * 32, **extra) -> Dict[str, Any]:
    """One webhook event as LINE sends it."""
    event: Dict[str, Any] = {
        "type": "message",
        "mode": "active",
        "timestamp": int(time.time() * 1000),
        "source": {"type": "user", "userId": user},
        "webhookEventId": extra.pop("event_id", "01H" + hashlib.sha1(f"{time.time_ns()}{text}".encode()).hexdigest()[:23].upper()),
        "deliveryContext": {"isRedelivery": extra.pop("redelivery", False)},
        "replyToken": extra.pop("reply_token", "rt-" + hashlib.sha1(str(time.time_ns()).encode()).hexdigest()[:16]),
    }
    if kind == "text":
        event["message"] = {"type": "text", "id": "100", "text": text, "quoteToken": "qt"}
    elif kind == "sticker":
        event["message"] = {"type": "sticker", "id": "101", "packageId": "446", "stickerId": "1988",
                            "stickerResourceType": "STATIC", "quoteToken": "qt"}
    elif kind == "image":
        event["message"] = {"type": "image", "id": "102", "contentProvider": {"type": "line"}, "quoteToken": "qt"}
    elif kind == "location":
        event["message"] = {"type": "location", "id": "103", "title": "市役所", "address": "ひだまり市1-1",
                            "latitude": 35.0, "longitude": 139.0}
    elif kind == "audio":
        event["message"] = {"type": "audio", "id": "104", "duration": 3000, "contentProvider": {"type": "line"}}
    elif kind == "follow":
        event["type"] = "follow"
        event["follow"] = {"isUnblocked": False}
    elif kind == "postback":
        event["type"] = "postback"
        event["postback"] = {"data": extra.pop("data")}
    event.update(extra)
    return event


def line_body(*events: Dict[str, Any]) -> bytes:
    return json.dumps({"destination": "Uxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "events": list(events)},
                      ensure_ascii=False).encode()


# --- Twilio ----------------------------------------------------------------------------


class FakeTwilioApi:
    """api.twilio.com's Messages resource; records the SMS sent."""

    def __init__(self) -> None:
        self.messages: List[Dict[str, str]] = []
        self.auth: List[Optional[str]] = []
        app = FastAPI()

        @app.post("/2010-04-01/Accounts/{account}/Messages.json")
        async def create(account: str, request: Request):
            form = dict(parse_qsl((await request.body()).decode()))
            form["_account"] = account
            self.messages.append(form)
            self.auth.append(request.headers.get("authorization"))
            return JSONResponse({
                "sid": "SM" + "0" * 32, "account_sid": account, "to": form.get("To"), "from": form.get("From"),
                "body": form.get("Body"), "status": "queued", "num_segments": "1", "direction": "outbound-api",
                "api_version": "2010-04-01", "uri": f"/2010-04-01/Accounts/{account}/Messages/SM0.json",
            }, status_code=201)

        self.app = app


def twilio_signature(token: str, url: str, params: Dict[str, str]) -> str:
    return RequestValidator(token).compute_signature(url, params)


# --- the gateway under test -------------------------------------------------------------


class Running:
    """The gateway under test: its URL, its Gateway object, and an HTTP client."""

    def __init__(self, server: ServerThread, app) -> None:
        self.server = server
        self.url = server.url
        self.gateway = app.state.gateway
        self.http = httpx.Client(base_url=server.url, timeout=30, trust_env=False)

    def run(self, coro):
        return self.server.run(coro)

    def line_idle(self) -> None:
        self.run(self.gateway.line.idle())

    def post_line(self, body: bytes, signature: str = None, **headers) -> httpx.Response:
        sig = line_signature(LINE_SECRET, body) if signature is None else signature
        all_headers = {"Content-Type": "application/json"}
        if sig:
            all_headers["X-Line-Signature"] = sig
        all_headers.update(headers)
        return self.http.post("/line/webhook", content=body, headers=all_headers)

    def post_twilio(self, path: str, params: Dict[str, str], sign: bool = True) -> httpx.Response:
        """A Twilio webhook, signed as Twilio signs it: over the PUBLIC URL and the form."""
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        if sign:
            headers["X-Twilio-Signature"] = twilio_signature(TWILIO_TOKEN, PUBLIC_URL + path, params)
        return self.http.post(path, data=params, headers=headers)


def start_gateway(config: GatewayConfig) -> Iterator[Running]:
    app = create_app(config)
    with ServerThread(app) as server:
        running = Running(server, app)
        try:
            yield running
        finally:
            running.http.close()
