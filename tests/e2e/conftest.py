from __future__ import annotations

import pytest
import yaml

from e2e.talk import Conversation
from core.settings import REPO_ROOT


def _responses() -> dict:
    return yaml.safe_load((REPO_ROOT / "bot" / "domain.yml").read_text(encoding="utf-8"))["responses"]


@pytest.fixture(scope="session")
def domain_texts() -> dict:
    """Each response's Japanese text (the variant without a condition)."""
    return {name: [v["text"] for v in variants if not v.get("condition")]
            for name, variants in _responses().items()}


@pytest.fixture(scope="session")
def localized_domain_texts() -> dict:
    """{response: {language: text}} of the variants for the slot `language`."""
    out: dict = {}
    for name, variants in _responses().items():
        for variant in variants:
            for condition in variant.get("condition") or []:
                if condition.get("name") == "language":
                    out.setdefault(name, {})[condition["value"]] = variant["text"]
    return out


@pytest.fixture
def conversation(running_stack) -> Conversation:
    return Conversation(running_stack.settings)
