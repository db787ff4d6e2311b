"""Fixtures of the channel tests: the gateway on a free port, with fakes of Rasa, LINE and Twilio."""
from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest

from channels.config import City, GatewayConfig
from channels_support import (
    ARTIFACTS,
    LINE_SECRET,
    LINE_TOKEN,
    PUBLIC_URL,
    TWILIO_NUMBER,
    TWILIO_SID,
    TWILIO_TOKEN,
    FakeLineApi,
    FakeRasa,
    FakeTwilioApi,
    Running,
    ServerThread,
    start_gateway,
)


@pytest.fixture(scope="session")
def rasa_server() -> Iterator[FakeRasa]:
    fake = FakeRasa()
    with ServerThread(fake.app) as server:
        fake.url = server.url
        yield fake


@pytest.fixture(scope="session")
def line_server() -> Iterator[FakeLineApi]:
    fake = FakeLineApi()
    with ServerThread(fake.app) as server:
        fake.url = server.url
        yield fake


@pytest.fixture(scope="session")
def twilio_server() -> Iterator[FakeTwilioApi]:
    fake = FakeTwilioApi()
    with ServerThread(fake.app) as server:
        fake.url = server.url
        yield fake


@pytest.fixture
def fake_rasa(rasa_server) -> FakeRasa:
    rasa_server.received.clear()
    rasa_server.replies.clear()
    rasa_server.delays.clear()
    rasa_server.delay, rasa_server.status, rasa_server.raw = 0.0, 200, None
    return rasa_server


@pytest.fixture
def fake_line(line_server) -> FakeLineApi:
    line_server.requests.clear()
    line_server.expired_tokens.clear()
    line_server.slow_tokens.clear()
    line_server.fail_push = False
    line_server.profile_languages.clear()
    return line_server


@pytest.fixture
def fake_twilio(twilio_server) -> FakeTwilioApi:
    twilio_server.messages.clear()
    twilio_server.auth.clear()
    return twilio_server


@pytest.fixture
def config(tmp_path, fake_rasa, fake_line, fake_twilio) -> GatewayConfig:
    return GatewayConfig(
        rasa_url=fake_rasa.url,
        public_url=PUBLIC_URL,
        home=tmp_path,
        db_url=f"sqlite:///{tmp_path / 'app.db'}",
        rasa_timeout=5,
        phone_rasa_timeout=5,
        max_body_bytes=64 * 1024,
        city=City(),
        line_channel_secret=LINE_SECRET,
        line_channel_access_token=LINE_TOKEN,
        line_api_url=fake_line.url,
        twilio_account_sid=TWILIO_SID,
        twilio_auth_token=TWILIO_TOKEN,
        twilio_phone_number=TWILIO_NUMBER,
        twilio_api_url=fake_twilio.url,
        staff_api_token="staff-secret",
    )


@pytest.fixture
def gateway(config) -> Iterator[Running]:
    yield from start_gateway(config)


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS
