"""Helpers of the console tests: logging a TestClient in, reading CSRF tokens out of pages."""
from __future__ import annotations

import re
from typing import Optional

from fastapi.testclient import TestClient

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "channels"))
from channels_support import ServerThread  # noqa: E402,F401  (one uvicorn-in-a-thread helper for all tests)

PASSWORD = "hidamari-test-pass-2026"
USERS = {"admin": "admin", "editor": "editor", "operator": "operator"}  # name -> role

_CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')
_META_RE = re.compile(r'<meta name="csrf-token" content="([^"]*)">')


def csrf_of(html: str) -> str:
    """The CSRF token of a console page (the hidden field, or the meta tag)."""
    found = _CSRF_RE.search(html) or _META_RE.search(html)
    assert found, "no CSRF token on the page"
    return found.group(1)


def login(client: TestClient, name: str, password: str = PASSWORD, next_path: str = "") -> Optional[str]:
    """Logs `client` in through the login form; returns the session's CSRF token (None on failure).
    The token is also kept as client.csrf."""
    page = client.get("/staff/login")
    assert page.status_code == 200
    response = client.post(
        "/staff/login",
        data={"name": name, "password": password, "csrf_token": csrf_of(page.text), "next": next_path},
        follow_redirects=False,
    )
    if response.status_code != 303:
        client.csrf = None
        return None
    home = client.get("/staff/password")
    client.csrf = csrf_of(home.text)
    return client.csrf


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def browser_login(page, console_url: str, name: str, password: str = PASSWORD) -> None:
    """Logs a Playwright page in through the login form (console_url: ".../staff")."""
    page.goto(console_url + "/login")
    page.get_by_label("ログイン名").fill(name)
    page.get_by_label("パスワード").fill(password)
    page.get_by_role("button", name="ログイン").click()
    page.wait_for_url(lambda url: "/login" not in url)
