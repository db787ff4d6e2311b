"""Staff accounts: argon2 hashing, password rules, sessions (idle and absolute expiry, logout),
login throttling, disabled users, the last admin, cookies and CSRF over HTTP."""
from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from console.auth import Auth, AuthError, LoginError, hash_password, token_digest, utcnow, verify_password
from console.config import ConsoleSettings
from console.models import staff_sessions, users
from console_support import PASSWORD, csrf_of, login


@pytest.fixture
def auth(console_state) -> Auth:
    return console_state.auth


def test_argon2_hash_and_verify():
    digest = hash_password("とても長い合言葉 2026")
    assert digest.startswith("$argon2id$")
    assert "とても長い合言葉" not in digest
    assert verify_password(digest, "とても長い合言葉 2026")
    assert not verify_password(digest, "とても長い合言葉 2025")
    assert not verify_password("not-a-hash", "x")
    assert hash_password("same") != hash_password("same")  # salted


def test_password_stored_only_as_hash(auth, console_state):
    auth.add_user("sato", "correct-horse-battery", "editor")
    with console_state.engine.connect() as conn:
        stored = conn.execute(sa.select(users.c.password_hash).where(users.c.name == "sato")).scalar_one()
    assert stored.startswith("$argon2id$") and "correct-horse-battery" not in stored


@pytest.mark.parametrize("name,password,role,message", [
    ("tanaka", "short", "editor", "10 文字以上"),
    ("tanaka", "tanaka-is-my-password", "editor", "ログイン名を含め"),
    ("田中", "good-password-123", "editor", "英数字"),
    ("tanaka", "good-password-123", "boss", "役割"),
])
def test_user_rules(auth, name, password, role, message):
    with pytest.raises(AuthError, match=message):
        auth.add_user(name, password, role)


def test_duplicate_name_refused(auth):
    auth.add_user("suzuki", "long-enough-pass-1", "operator")
    with pytest.raises(AuthError, match="すでに使われています"):
        auth.add_user("Suzuki", "another-pass-long", "editor")


def test_login_and_session(auth):
    auth.add_user("kato", PASSWORD, "editor")
    session, token = auth.login("kato", PASSWORD, ip="10.0.0.1")
    assert session.user.name == "kato" and session.user.role == "editor"
    assert session.id == token_digest(token) and session.id != token  # the token itself is not stored
    again = auth.session(token)
    assert again is not None and again.csrf_token == session.csrf_token
    with pytest.raises(LoginError, match="違います"):
        auth.login("kato", "wrong-password", ip="10.0.0.1")
    with pytest.raises(LoginError, match="違います"):  # same message for an unknown name
        auth.login("nobody", PASSWORD, ip="10.0.0.1")
    assert auth.session("made-up-token") is None


def test_idle_and_absolute_expiry(auth, console_state):
    auth.add_user("ito", PASSWORD, "editor")
    now = utcnow()
    session, token = auth.login("ito", PASSWORD, now=now)
    # used every 20 minutes: stays alive past the idle limit
    t = now
    for _ in range(5):
        t += timedelta(minutes=20)
        assert auth.session(token, now=t) is not None
    # idle for more than 30 minutes: gone, and the row deleted
    assert auth.session(token, now=t + timedelta(minutes=31)) is None
    with console_state.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(staff_sessions)).scalar_one() == 0
    # absolute: 12 hours after login even when used all the time
    session, token = auth.login("ito", PASSWORD, now=now)
    t = now
    while t + timedelta(minutes=25) < now + timedelta(hours=12):
        t += timedelta(minutes=25)
        assert auth.session(token, now=t) is not None, t - now
    assert auth.session(token, now=now + timedelta(hours=12, minutes=1)) is None


def test_settings_change_expiry(console_state):
    auth = Auth(console_state.engine, console_state.settings.with_(idle_minutes=5, session_hours=1))
    auth.add_user("mori", PASSWORD, "operator")
    now = utcnow()
    _, token = auth.login("mori", PASSWORD, now=now)
    assert auth.session(token, now=now + timedelta(minutes=4)) is not None
    assert auth.session(token, now=now + timedelta(minutes=10)) is None


def test_console_settings_from_env():
    s = ConsoleSettings.from_env("sqlite://", env={"MADOGUCHI_CONSOLE_IDLE_MINUTES": "10",
                                                    "MADOGUCHI_CONSOLE_SESSION_HOURS": "8"})
    assert (s.idle_minutes, s.session_hours, s.secure_cookie) == (10, 8, False)
    assert ConsoleSettings.from_env("sqlite://", public_url="https://city.example", env={}).secure_cookie
    assert not ConsoleSettings.from_env("sqlite://", public_url="https://x",
                                        env={"MADOGUCHI_CONSOLE_SECURE_COOKIE": "0"}).secure_cookie
    with pytest.raises(ValueError, match="MADOGUCHI_CONSOLE_IDLE_MINUTES must be a number, got 'soon'"):
        ConsoleSettings.from_env("sqlite://", env={"MADOGUCHI_CONSOLE_IDLE_MINUTES": "soon"})


def test_lockout_after_repeated_failures(auth):
    auth.add_user("abe", PASSWORD, "editor")
    for _ in range(4):
        with pytest.raises(LoginError, match="違います"):
            auth.login("abe", "nope-nope-nope", ip="10.0.0.2")
    with pytest.raises(LoginError, match="ロックしました"):
        auth.login("abe", "nope-nope-nope", ip="10.0.0.2")
    # locked: even the right password is refused for now
    with pytest.raises(LoginError, match="ロックされています"):
        auth.login("abe", PASSWORD, ip="10.0.0.3")
    # after the lock time it works again
    later = utcnow() + timedelta(minutes=16)
    session, _ = auth.login("abe", PASSWORD, ip="10.0.0.3", now=later)
    assert session.user.failed_logins == 0


def test_ip_throttle(console_state):
    auth = Auth(console_state.engine, console_state.settings.with_(ip_attempts=3))
    for name in ("a1", "a2", "a3"):
        with pytest.raises(LoginError):
            auth.login(name, "whatever-long", ip="10.9.9.9")
    with pytest.raises(LoginError, match="しばらくログインできません"):
        auth.login("a4", "whatever-long", ip="10.9.9.9")
    with pytest.raises(LoginError, match="違います"):  # another address is not blocked
        auth.login("a4", "whatever-long", ip="10.9.9.8")


def test_disable_ends_sessions_and_blocks_login(auth):
    auth.add_user("admin1", PASSWORD, "admin")
    auth.add_user("ueda", PASSWORD, "editor")
    _, token = auth.login("ueda", PASSWORD)
    auth.set_active("ueda", False)
    assert auth.session(token) is None
    with pytest.raises(LoginError, match="無効"):
        auth.login("ueda", PASSWORD)
    auth.set_active("ueda", True)
    assert auth.login("ueda", PASSWORD)[0].user.active


def test_password_change_logs_out(auth):
    auth.add_user("oda", PASSWORD, "editor")
    _, token = auth.login("oda", PASSWORD)
    auth.set_password("oda", "a-brand-new-passphrase")
    assert auth.session(token) is None
    with pytest.raises(LoginError):
        auth.login("oda", PASSWORD)
    assert auth.login("oda", "a-brand-new-passphrase")


def test_last_admin_cannot_be_removed(auth):
    auth.add_user("boss", PASSWORD, "admin")
    with pytest.raises(AuthError, match="最後の管理者"):
        auth.set_active("boss", False)
    with pytest.raises(AuthError, match="最後の管理者"):
        auth.set_role("boss", "editor")
    auth.add_user("boss2", PASSWORD, "admin")
    auth.set_role("boss", "editor")
    assert auth.get_user("boss").role == "editor"


# ---- over HTTP ---------------------------------------------------------------------------------

def test_login_cookie_flags_and_logout(client, staff_users, console_state):
    page = client.get("/staff/login")
    assert "ログイン名" in page.text and page.headers["x-frame-options"] == "DENY"
    response = client.post("/staff/login", data={"name": "editor", "password": PASSWORD,
                                                 "csrf_token": csrf_of(page.text)}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/staff/faq"
    cookie = next(v for v in response.headers.get_list("set-cookie") if v.startswith("madoguchi_staff="))
    lowered = cookie.lower()
    assert "httponly" in lowered and "samesite=strict" in lowered and "path=/staff" in lowered
    faq = client.get("/staff/faq")
    assert faq.status_code == 200 and "ログアウト" in faq.text and "編集者" in faq.text
    assert faq.headers["cache-control"] == "no-store"
    with console_state.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(staff_sessions)).scalar_one() == 1
    out = client.post("/staff/logout", data={"csrf_token": csrf_of(faq.text)}, follow_redirects=False)
    assert out.status_code == 303 and out.headers["location"] == "/staff/login"
    with console_state.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(staff_sessions)).scalar_one() == 0
    assert client.get("/staff/faq", follow_redirects=False).status_code == 303


def test_login_form_needs_its_token(client, staff_users):
    client.get("/staff/login")
    response = client.post("/staff/login", data={"name": "admin", "password": PASSWORD}, follow_redirects=False)
    assert response.status_code == 403 and "有効期限" in response.text
    assert "madoguchi_staff" not in response.headers.get("set-cookie", "")


def test_wrong_password_page(client, staff_users):
    assert login(client, "admin", "wrong-password-here") is None
    page = client.get("/staff/login")
    response = client.post("/staff/login", data={"name": "admin", "password": "x" * 12,
                                                 "csrf_token": csrf_of(page.text)})
    assert response.status_code == 401 and "ログイン名またはパスワードが違います" in response.text


def test_redirect_to_login_keeps_the_page(client, staff_users):
    response = client.get("/staff/faq?q=ごみ", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/staff/login?next=%2Ffaq%3Fq%3D")
    assert login(client, "editor", next_path="/faq?q=ごみ")
    # an outside address as `next` is ignored
    page = client.get("/staff/login")
    client.cookies.clear()
    page = client.get("/staff/login")
    response = client.post("/staff/login", data={"name": "editor", "password": PASSWORD, "csrf_token": csrf_of(page.text),
                                                 "next": "//evil.example/x"}, follow_redirects=False)
    assert response.headers["location"] == "/staff/faq"


def test_idle_session_over_http(logged_in, console_state):
    c = logged_in("editor")
    assert c.get("/staff/faq").status_code == 200
    with console_state.engine.begin() as conn:
        conn.execute(staff_sessions.update().values(last_seen_at=utcnow() - timedelta(minutes=31)))
    response = c.get("/staff/faq", follow_redirects=False)
    assert response.status_code == 303 and "/staff/login" in response.headers["location"]
    assert c.post("/staff/api/faq/preview", json={}, headers={"X-CSRF-Token": c.csrf}).status_code == 401


def test_csrf_header_and_field(logged_in):
    c = logged_in("editor")
    body = {"answer": "テスト"}
    assert c.post("/staff/api/faq/preview", json=body).status_code == 403
    assert c.post("/staff/api/faq/preview", json=body, headers={"X-CSRF-Token": "wrong"}).status_code == 403
    assert c.post("/staff/api/faq/preview", json=body, headers={"X-CSRF-Token": c.csrf}).status_code == 200
    other = logged_in("admin")  # another session's token does not work
    assert c.post("/staff/api/faq/preview", json=body, headers={"X-CSRF-Token": other.csrf}).status_code == 403


def test_logins_are_audited(client, staff_users, console_state):
    from console import audit

    login(client, "admin", "wrong-password-x")
    login(client, "admin")
    actions = [(e.action, e.actor) for e in audit.entries(console_state.engine)]
    assert ("login", "admin") in actions and ("login.failed", "admin") in actions
