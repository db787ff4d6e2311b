from __future__ import annotations

import uuid
from typing import List

import httpx
import pytest
import yaml

from madoguchi.settings import REPO_ROOT


@pytest.fixture(scope="session")
def domain_texts() -> dict:
    domain = yaml.safe_load((REPO_ROOT / "bot" / "domain.yml").read_text(encoding="utf-8"))
    return {name: [v["text"] for v in variants] for name, variants in domain["responses"].items()}


class Conversation:
    """One resident talking to the bot through Rasa's REST channel."""

    def __init__(self, settings) -> None:
        self.settings = settings
        self.sender = f"test-{uuid.uuid4().hex[:12]}"

    def say(self, text: str) -> List[dict]:
        response = httpx.post(
            f"{self.settings.rasa_url}/webhooks/rest/webhook",
            json={"sender": self.sender, "message": text},
            timeout=60,
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


@pytest.fixture
def conversation(running_stack) -> Conversation:
    return Conversation(running_stack)
