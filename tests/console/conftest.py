"""Console fixtures: the real gateway app (console mounted at /staff) on a real SQLite copy of
the sample FAQ, staff users of each role, logged-in TestClients; PostgreSQL when reachable."""
from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path
from typing import Callable, Iterator

import pytest
from fastapi.testclient import TestClient

from console_support import CHROMIUM, CHROMIUM_ARGS, PASSWORD, USERS, login
from core.settings import REPO_ROOT

SAMPLE_CSV = REPO_ROOT / "faq" / "data" / "sample_faq.csv"
ARTIFACTS = REPO_ROOT / "tests" / "artifacts"


@pytest.fixture(scope="session")
def console_template_db(tmp_path_factory) -> Path:
    """A SQLite file migrated to head with the sample FAQ (copied for each test)."""
    from faq.csvio import import_csv
    from faq.store import FaqStore

    path = tmp_path_factory.mktemp("console_template") / "app.db"
    store = FaqStore(f"sqlite:///{path}")
    import_csv(store, SAMPLE_CSV, by="sample")
    store.close()
    return path


@pytest.fixture
def console_db(tmp_path, console_template_db) -> str:
    """URL of a fresh copy of the sample database for one test."""
    target = tmp_path / "app.db"
    src, dst = sqlite3.connect(console_template_db), sqlite3.connect(target)
    src.backup(dst)
    src.close()
    dst.close()
    return f"sqlite:///{target}"


@pytest.fixture
def gateway_app(tmp_path, console_db):
    """madoguchi.server.create_app: the gateway with the console mounted at /staff (Rasa is not needed)."""
    from channels.config import GatewayConfig
    from madoguchi.server import create_app

    config = GatewayConfig(rasa_url="http://127.0.0.1:9", public_url="http://testserver", home=tmp_path,
                           db_url=console_db)
    return create_app(config)


@pytest.fixture
def console_app(gateway_app):
    """The mounted console sub-app (its route table is what the route scan walks)."""
    from console.app import find_console

    return find_console(gateway_app)


@pytest.fixture
def console_state(console_app):
    """console.core.ConsoleState: .store (FaqStore), .engine, .auth, .records, .settings."""
    return console_app.state.console


@pytest.fixture
def staff_users(console_state) -> dict:
    """Users admin / editor / operator (their role is their name), all with PASSWORD."""
    return {name: console_state.auth.add_user(name, PASSWORD, role) for name, role in USERS.items()}


@pytest.fixture
def client(gateway_app) -> Iterator[TestClient]:
    """An anonymous TestClient of the whole gateway app."""
    with TestClient(gateway_app) as c:
        yield c


@pytest.fixture
def logged_in(gateway_app, staff_users) -> Iterator[Callable[[str], TestClient]]:
    """logged_in("editor") -> a TestClient logged in as that user; `.csrf` holds its token."""
    clients = []

    def make(name: str) -> TestClient:
        c = TestClient(gateway_app)
        c.__enter__()
        clients.append(c)
        assert login(c, name) is not None, f"could not log in as {name}"
        return c

    yield make
    for c in clients:
        c.__exit__(None, None, None)


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="session")
def stack_console(running_stack) -> str:
    """The running stack's console URL ("http://127.0.0.1:PORT/staff"), with the users
    admin / editor / operator (role = name, password PASSWORD) in its database."""
    from console.auth import Auth
    from console.config import ConsoleSettings
    from faq.store import FaqStore
    from core.settings import load_settings

    settings = load_settings()
    store = FaqStore(settings.db_url)
    auth = Auth(store.engine, ConsoleSettings.from_env(settings.db_url))
    for name, role in USERS.items():
        if auth.get_user(name) is None:
            auth.add_user(name, PASSWORD, role)
    store.close()
    return f"http://127.0.0.1:{settings.app_port}/staff"


@pytest.fixture(scope="module")  # not longer: Playwright's loop would stay running for later tests
def browser():
    if not shutil.which(CHROMIUM):
        pytest.fail("chromium is missing: run scripts/install_browser.sh (make test does)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()
