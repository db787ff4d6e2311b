"""The channel contract (channels.base): a channel owns its routes and works with the services
it is given, mounted in any FastAPI app; the gateway only composes them."""
from __future__ import annotations

from typing import List, Optional, Tuple

from fastapi import FastAPI, Request
from fastapi.responses import PlainTextResponse
from fastapi.testclient import TestClient

from channels.base import ChannelServices
from channels.config import GatewayConfig
from channels.gateway import create_app
from channels.handoff import HandoffDesk
from channels.http import BadRequest
from channels.line import LineChannel
from channels.phone import PhoneChannel
from channels.rasa import RasaUnavailable, Turn, parse_turn
from channels.web import WebChannel

TWILIO_PATHS = ["/twilio/voice", "/twilio/voice/input", "/twilio/voice/silence", "/twilio/voice/dial-status",
                "/twilio/voice/recorded", "/twilio/voice/transcribed", "/twilio/voice/status"]


class FakeBot:
    """Answers every message with a handoff turn, or raises RasaUnavailable when `down`."""

    def __init__(self, desk: HandoffDesk) -> None:
        self.desk = desk
        self.asked: List[Tuple[str, str, Optional[str]]] = []
        self.down = False

    async def ask(self, conversation_id: str, text: str, timeout: Optional[float] = None,
                  language: Optional[str] = None) -> Turn:
        self.asked.append((conversation_id, text, language))
        if self.down:
            raise RasaUnavailable("down")
        self.desk.start(conversation_id)
        return parse_turn([{"text": "職員におつなぎします。"}, {"custom": {"madoguchi": {"kind": "handoff"}}}])


def bare_app(*routers) -> FastAPI:
    app = FastAPI()
    for router in routers:
        app.include_router(router)

    @app.exception_handler(BadRequest)
    async def _bad_request(request: Request, error: BadRequest):
        return PlainTextResponse(error.reason, status_code=error.status)

    return app


def test_web_channel_works_in_a_bare_app_with_the_services_it_is_given(tmp_path):
    desk = HandoffDesk()
    bot = FakeBot(desk)
    services = ChannelServices(ask=bot.ask, office_open=lambda at=None: True, desk=desk, closing=lambda: True)
    config = GatewayConfig(rasa_url="http://127.0.0.1:9", public_url="http://testserver", home=tmp_path)
    client = TestClient(bare_app(WebChannel(config, services).router()))

    session = client.post("/web/api/session").json()["session"]
    body = client.post("/web/api/message", json={"session": session, "text": "職員と話したい", "language": "en"}).json()
    assert bot.asked == [(f"web:{session}", "職員と話したい", "en")]
    assert body["kind"] == "handoff" and body["handoff"] is True  # read from the desk it was given
    assert body["messages"][0]["text"] == "職員におつなぎします。"

    bot.down = True
    down = client.post("/web/api/message", json={"session": session, "text": "もしもし"}).json()
    assert down["kind"] == "unavailable" and down["handoff"] is True
    # closing() is True: the event stream says hello and ends instead of waiting for staff
    assert client.get("/web/api/events", params={"session": session}).text == "retry: 3000\n\n"
    assert client.get("/web/").status_code == 200


def test_channels_that_are_off_answer_503_on_their_webhooks(tmp_path):
    config = GatewayConfig(rasa_url="http://127.0.0.1:9", public_url="http://testserver", home=tmp_path)
    client = TestClient(create_app(config))
    assert client.get("/health").json() == {"status": "ok", "web": True, "line": False, "phone": False}
    line = client.post("/line/webhook", content=b"{}")
    assert (line.status_code, line.text) == (503, "LINE is not configured (LINE_CHANNEL_SECRET, LINE_CHANNEL_ACCESS_TOKEN)")
    for path in TWILIO_PATHS:
        phone = client.post(path, data={"CallSid": "CA1"})
        assert phone.status_code == 503, path
        assert phone.text == "Twilio is not configured (TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, TWILIO_PHONE_NUMBER)"
    # the same routes, from the channels themselves
    bare = TestClient(bare_app(LineChannel.unconfigured_router(), PhoneChannel.unconfigured_router()))
    assert bare.post("/line/webhook").status_code == 503
    assert [bare.post(path).status_code for path in TWILIO_PATHS] == [503] * len(TWILIO_PATHS)

