"""`madoguchi users …`: staff accounts of the console (the first admin is made here)."""
from __future__ import annotations

import getpass
import sys
from typing import Optional

from console import audit
from console.auth import Auth, AuthError
from console.config import ConsoleSettings
from console.models import ROLES
from core.settings import load_settings
from faq.store import FaqStore


def _auth(db_url: Optional[str]):
    url = db_url or load_settings().db_url
    store = FaqStore(url)  # migrates to head
    return Auth(store.engine, ConsoleSettings.from_env(url)), store


def _read_password(args, name: str) -> str:
    if args.password_stdin:
        line = sys.stdin.readline()
        return line.rstrip("\r\n")
    if not sys.stdin.isatty():
        raise SystemExit("No terminal to ask for the password: use --password-stdin")
    first = getpass.getpass(f"Password for {name}: ")
    second = getpass.getpass("Repeat the password: ")
    if first != second:
        raise SystemExit("The two passwords differ; nothing changed")
    return first


def _audit(auth, action: str, target: str, **detail) -> None:
    actor = f"cli:{getpass.getuser()}"
    audit.record(auth.engine, actor, action, target, detail or None)


def _cmd_add(args) -> int:
    auth, store = _auth(args.db)
    try:
        password = _read_password(args, args.name)
        user = auth.add_user(args.name, password, args.role, args.display_name or "")
    except AuthError as error:
        print(str(error), file=sys.stderr)
        return 1
    finally:
        store.close()
    _audit(auth, "user.add", user.name, role=user.role)
    print(f"Added {user.name} ({user.role}).")
    return 0


def _cmd_list(args) -> int:
    auth, store = _auth(args.db)
    try:
        users = auth.list_users()
    finally:
        store.close()
    if not users:
        print("No users yet. Create the first admin: madoguchi users add NAME --role admin")
        return 0
    for user in users:
        state = "active" if user.active else "disabled"
        last = user.last_login_at.strftime("%Y-%m-%d %H:%M UTC") if user.last_login_at else "never"
        print(f"{user.name}\t{user.role}\t{state}\tlast login: {last}\t{user.display_name}")
    return 0


def _cmd_passwd(args) -> int:
    auth, store = _auth(args.db)
    try:
        if auth.get_user(args.name) is None:
            print(f"No user {args.name}", file=sys.stderr)
            return 1
        auth.set_password(args.name, _read_password(args, args.name))
    except AuthError as error:
        print(str(error), file=sys.stderr)
        return 1
    finally:
        store.close()
    _audit(auth, "user.passwd", args.name)
    print(f"Password of {args.name} changed; its sessions were logged out.")
    return 0


def _cmd_disable(args) -> int:
    auth, store = _auth(args.db)
    try:
        auth.set_active(args.name, args.enable)
    except AuthError as error:
        print(str(error), file=sys.stderr)
        return 1
    finally:
        store.close()
    _audit(auth, "user.enable" if args.enable else "user.disable", args.name)
    print(f"{args.name} {'enabled' if args.enable else 'disabled'}.")
    return 0


def register(sub) -> None:
    parser = sub.add_parser("users", help="staff accounts of the console (first admin, passwords)")
    users_sub = parser.add_subparsers(dest="users_command", required=True, metavar="ACTION")

    def common(p):
        p.add_argument("--db", help="app database URL (default: MADOGUCHI_DB_URL)")
        return p

    add = common(users_sub.add_parser("add", help="add a user (asks for the password)"))
    add.add_argument("name")
    add.add_argument("--role", choices=ROLES, required=True)
    add.add_argument("--display-name", default="")
    add.add_argument("--password-stdin", action="store_true", help="read the password from the first line of stdin")
    add.set_defaults(func=_cmd_add)

    lst = common(users_sub.add_parser("list", help="list users"))
    lst.set_defaults(func=_cmd_list)

    passwd = common(users_sub.add_parser("passwd", help="set a user's password (asks for it)"))
    passwd.add_argument("name")
    passwd.add_argument("--password-stdin", action="store_true")
    passwd.set_defaults(func=_cmd_passwd)

    disable = common(users_sub.add_parser("disable", help="disable a user (logs its sessions out)"))
    disable.add_argument("name")
    disable.add_argument("--enable", action="store_true", help="enable the user again instead")
    disable.set_defaults(func=_cmd_disable)


def console_banner(settings, public_url: str) -> str:
    """`madoguchi run`'s lines about the console: its URL (under the gateway's public URL), and how
    to make the first admin."""
    url = public_url.rstrip("/") + "/staff/"
    lines = [f"  Staff console     : {url}"]
    try:
        auth, store = _auth(settings.db_url)
        try:
            has_admin = any(u.role == "admin" and u.active for u in auth.list_users())
        finally:
            store.close()
    except Exception:  # the banner never stops the start
        has_admin = True
    if not has_admin:
        lines.append("    no admin yet    : create one with  .venv/bin/madoguchi users add NAME --role admin")
    return "\n".join(lines) + "\n"
