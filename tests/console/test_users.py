"""Staff accounts through the admin page and the `madoguchi users` command; the audit page."""
from __future__ import annotations

import subprocess

import pytest

from console import audit
from console_support import PASSWORD, login
from core.settings import REPO_ROOT

MADOGUCHI = str(REPO_ROOT / ".venv" / "bin" / "madoguchi")


def post(c, path, data=None, **kwargs):
    return c.post(path, data={**(data or {}), "csrf_token": c.csrf}, **kwargs)


def test_admin_adds_changes_and_disables_a_user(logged_in, console_state, gateway_app):
    from fastapi.testclient import TestClient

    admin = logged_in("admin")
    response = post(admin, "/staff/users", {"name": "yamada", "display_name": "山田（市民課）", "role": "operator",
                                            "password": "first-pw-of-operator"}, follow_redirects=False)
    assert response.status_code == 303
    page = admin.get("/staff/users").text
    assert "ユーザー「yamada」（オペレーター）を追加しました" in page and "山田（市民課）" in page
    # weak password: refused with the reason, nothing added
    response = post(admin, "/staff/users", {"name": "kimura", "role": "editor", "password": "short"})
    assert response.status_code == 400 and "10 文字以上" in response.text
    assert console_state.auth.get_user("kimura") is None

    with TestClient(gateway_app) as yamada:
        assert login(yamada, "yamada", "first-pw-of-operator")
        assert yamada.get("/staff/faq").status_code == 403  # an operator
        post(admin, "/staff/users/yamada/role", {"role": "editor"})
        assert console_state.auth.get_user("yamada").role == "editor"
        assert yamada.get("/staff/faq").status_code == 200  # the new role applies at once
        post(admin, "/staff/users/yamada/active", {"active": "0"})
        assert not console_state.auth.get_user("yamada").active
        assert yamada.get("/staff/faq", follow_redirects=False).status_code == 303  # logged out
        assert login(yamada, "yamada", "first-pw-of-operator") is None

    # an admin cannot disable themselves
    page = post(admin, "/staff/users/admin/active", {"active": "0"}, follow_redirects=True).text
    assert "自分自身は無効にできません" in page and console_state.auth.get_user("admin").active

    done = [(e.action, e.target) for e in audit.entries(console_state.engine, action="user")]
    assert done[:3] == [("user.disable", "yamada"), ("user.role", "yamada"), ("user.add", "yamada")]
    assert audit.entries(console_state.engine, action="user.role")[0].detail == {"before": "operator", "after": "editor"}


def test_admin_resets_a_password(logged_in, console_state, gateway_app):
    admin = logged_in("admin")
    editor = logged_in("editor")
    post(admin, "/staff/users/editor/password", {"password": "reset-by-the-admin"})
    assert editor.get("/staff/faq", follow_redirects=False).status_code == 303
    assert console_state.auth.login("editor", "reset-by-the-admin")


def test_own_password_change(logged_in, console_state):
    editor = logged_in("editor")
    bad = post(editor, "/staff/password", {"current": "wrong-one-here", "new": "x" * 12, "confirm": "x" * 12})
    assert bad.status_code == 400 and "今のパスワードが違います" in bad.text
    ok = post(editor, "/staff/password", {"current": PASSWORD, "new": "my-new-passphrase", "confirm": "my-new-passphrase"},
              follow_redirects=False)
    assert ok.status_code == 303 and ok.headers["location"] == "/staff/login"
    assert console_state.auth.login("editor", "my-new-passphrase")


def test_only_admin_manages_users(logged_in):
    for name in ("editor", "operator"):
        c = logged_in(name)
        assert c.get("/staff/users").status_code == 403
        assert c.get("/staff/audit").status_code == 403
        assert post(c, "/staff/users", {"name": "intruder", "role": "admin", "password": "intruder-pass-1"}).status_code == 403


def test_audit_page_lists_and_filters(logged_in, console_state):
    admin = logged_in("admin")
    audit.record(console_state.engine, "editor", "faq.update", "F0009", {"version": 3})
    audit.record(console_state.engine, "operator", "ticket.release", "17", {"conversation_id": "web:abc"})
    page = admin.get("/staff/audit").text
    assert "FAQ を編集" in page and "会話をボットに戻す" in page and "ログイン" in page
    page = admin.get("/staff/audit", params={"action": "faq"}).text
    assert "F0009" in page and "web:abc" not in page
    page = admin.get("/staff/audit", params={"actor": "operator"}).text
    assert "web:abc" in page and "F0009" not in page
    assert "1 件" in admin.get("/staff/audit", params={"target": "17"}).text


# ---- the command -----------------------------------------------------------------------------

def run(*args, stdin=""):
    return subprocess.run([MADOGUCHI, "users", *args], input=stdin, capture_output=True, text=True, timeout=120)


def test_users_command(tmp_path):
    db = f"sqlite:///{tmp_path / 'app.db'}"
    listing = run("list", "--db", db)
    assert listing.returncode == 0 and "No users yet" in listing.stdout
    # no terminal and no --password-stdin: refuses rather than inventing a password
    refused = run("add", "chief", "--role", "admin", "--db", db)
    assert refused.returncode != 0 and "--password-stdin" in refused.stderr
    weak = run("add", "chief", "--role", "admin", "--db", db, "--password-stdin", stdin="short\n")
    assert weak.returncode == 1 and "10 文字以上" in weak.stderr
    added = run("add", "chief", "--role", "admin", "--display-name", "情報政策課", "--db", db, "--password-stdin",
                stdin="first-admin-password\n")
    assert added.returncode == 0, added.stderr
    assert "chief\tadmin\tactive" in run("list", "--db", db).stdout
    assert run("passwd", "chief", "--db", db, "--password-stdin", stdin="second-admin-password\n").returncode == 0
    last = run("disable", "chief", "--db", db)
    assert last.returncode == 1 and "最後の管理者" in last.stderr

    from console.auth import Auth
    from console.config import ConsoleSettings
    from faq.store import FaqStore

    store = FaqStore(db)
    auth = Auth(store.engine, ConsoleSettings.from_env(db))
    with pytest.raises(Exception):
        auth.login("chief", "first-admin-password")
    assert auth.login("chief", "second-admin-password")[0].user.display_name == "情報政策課"
    actions = [e.action for e in audit.entries(store.engine)]
    assert "user.add" in actions and "user.passwd" in actions
    store.close()
