from __future__ import annotations

import pytest
import yaml

from e2e.talk import Conversation
from madoguchi.settings import REPO_ROOT


@pytest.fixture(scope="session")
def domain_texts() -> dict:
    domain = yaml.safe_load((REPO_ROOT / "bot" / "domain.yml").read_text(encoding="utf-8"))
    return {name: [v["text"] for v in variants] for name, variants in domain["responses"].items()}


@pytest.fixture
def conversation(running_stack) -> Conversation:
    return Conversation(running_stack.settings)
