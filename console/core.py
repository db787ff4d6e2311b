"""What every console page uses: the shared state, the session guard, role checks, render().

Pages live in console/pages/*.py, each with `router = APIRouter()`; console.app includes
them behind `guard` (a session is required, and the CSRF token on POST/PUT/PATCH/DELETE).
"""
from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Dict, List, Optional
from urllib.parse import quote

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from markupsafe import Markup, escape
from starlette.concurrency import run_in_threadpool

from console import audit as audit_log
from console.auth import Auth, StaffSession, StaffUser, allowed
from console.config import ConsoleSettings
from faq.store import FaqStore
from records.store import Records

HERE = Path(__file__).resolve().parent
SESSION_COOKIE = "madoguchi_staff"
LOGIN_COOKIE = "madoguchi_login"  # CSRF token of the login form (before there is a session)
UNSAFE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
JST = timezone(timedelta(hours=9), "JST")


class NotAuthenticated(Exception):
    """No live session: HTML → redirect to the login page, JSON → 401."""


class Forbidden(Exception):
    """Logged in, but the role may not do this: 403 with a Japanese page."""

    def __init__(self, permission: str = "") -> None:
        self.permission = permission
        super().__init__(permission)


class CsrfError(Exception):
    """An unsafe request without the session's CSRF token: 403."""


class ConsoleState:
    """One per console app: settings, the gateway (or None), and the database opened lazily."""

    def __init__(self, settings: ConsoleSettings, gateway: Any = None) -> None:
        self.settings = settings
        self.gateway = gateway
        self._lock = threading.Lock()
        self._store = None
        self._auth: Optional[Auth] = None
        self._records = None

    @property
    def store(self):
        """faq.store.FaqStore of the app database (opening it migrates to head)."""
        if self._store is None:
            with self._lock:
                if self._store is None:
                    self._store = FaqStore(self.settings.db_url)
        return self._store

    @property
    def engine(self):
        return self.store.engine

    @property
    def auth(self) -> Auth:
        if self._auth is None:
            engine = self.engine
            with self._lock:
                if self._auth is None:
                    self._auth = Auth(engine, self.settings)
        return self._auth

    @property
    def records(self):
        """records.store.Records on the same engine (inquiries, tickets)."""
        if self._records is None:
            engine = self.engine
            with self._lock:
                if self._records is None:
                    self._records = Records(engine)
        return self._records

    def close(self) -> None:
        if self._store is not None:
            self._store.close()


def get_state(request: Request) -> ConsoleState:
    return request.app.state.console


# ---- navigation ---------------------------------------------------------------------------

@dataclass(frozen=True)
class NavItem:
    label: str
    href: str  # console-relative
    permission: str


NAV: List[NavItem] = [
    NavItem("FAQ", "/faq", "faq"),
    NavItem("用語集", "/glossary", "faq"),
    NavItem("未回答", "/inbox", "inbox"),
    NavItem("資料", "/documents", "documents"),
    NavItem("有人対応", "/handoff", "handoff"),
    NavItem("数値", "/dashboard", "dashboard"),
    NavItem("ユーザー", "/users", "users"),
    NavItem("操作記録", "/audit", "audit"),
]


def home_path(user: StaffUser) -> str:
    for item in NAV:
        if user.can(item.permission):
            return item.href
    return "/password"


# ---- request helpers ----------------------------------------------------------------------

def base_path(request: Request) -> str:
    """Where the console is mounted ("/staff")."""
    return (request.scope.get("root_path") or "").rstrip("/")


def console_path(request: Request) -> str:
    """The path inside the console ("/faq/abc")."""
    path, base = request.url.path, base_path(request)
    return path[len(base):] or "/" if base and path.startswith(base) else path


def wants_json(request: Request) -> bool:
    if console_path(request).startswith("/api/"):
        return True
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/html" not in accept


def client_ip(request: Request) -> str:
    return request.client.host if request.client else ""


def redirect(request: Request, path: str, status_code: int = 303) -> RedirectResponse:
    """Redirect to a console-relative path ("/faq?saved=1")."""
    return RedirectResponse(base_path(request) + path, status_code=status_code)


def current_session(request: Request) -> Optional[StaffSession]:
    return getattr(request.state, "session", None)


def current_user(request: Request) -> Optional[StaffUser]:
    session = current_session(request)
    return session.user if session else None


# ---- the guard and role checks ------------------------------------------------------------

async def guard(request: Request) -> StaffSession:
    """Dependency of every non-public console route: a live session, and on POST/PUT/PATCH/
    DELETE the session's CSRF token (form field `csrf_token` or header `X-CSRF-Token`)."""
    state = get_state(request)
    token = request.cookies.get(SESSION_COOKIE)
    session = await run_in_threadpool(state.auth.session, token) if token else None
    if session is None:
        raise NotAuthenticated()
    if request.method in UNSAFE_METHODS:
        given = request.headers.get("x-csrf-token")
        if not given:
            content_type = request.headers.get("content-type", "")
            if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
                form = await request.form()
                value = form.get("csrf_token")
                given = value if isinstance(value, str) else None
        if not state.auth.csrf_ok(session, given):
            raise CsrfError()
    request.state.session = session
    request.state.user = session.user
    return session


def require(permission: str):
    """Dependency: the logged-in user, if the role has `permission` (see console.auth.PERMISSIONS).

        @router.get("/inbox")
        def inbox(request: Request, user: StaffUser = Depends(require("inbox"))): ...
    """
    allowed("admin", permission)  # unknown permission names fail at import time

    async def dependency(session: StaffSession = Depends(guard)) -> StaffUser:
        if not session.user.can(permission):
            raise Forbidden(permission)
        return session.user

    return dependency


# ---- rendering ------------------------------------------------------------------------

def _jst(value: Optional[datetime], fmt: str = "%Y/%m/%d %H:%M") -> str:
    """Naive UTC or aware datetime → Japan time text."""
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(JST).strftime(fmt)


def page_link(request: Request, page: int) -> str:
    """"?…&page=N" keeping the other query parameters."""
    from urllib.parse import urlencode

    params = [(k, v) for k, v in request.query_params.multi_items() if k != "page"]
    return "?" + urlencode(params + [("page", str(page))])


templates = Jinja2Templates(directory=str(HERE / "templates"))
templates.env.filters["jst"] = _jst
templates.env.globals["page_link"] = page_link


def flash(request: Request, text: str, kind: str = "ok") -> None:
    """A message shown once on the next rendered page (kind: ok, error, warn, info)."""
    session = current_session(request)
    if session is not None:
        get_state(request).auth.push_flash(session.id, text, kind)


def render(request: Request, template: str, status_code: int = 200, **ctx: Any) -> HTMLResponse:
    """Renders console/templates/<template> inside base.html's frame.

    The context always has: request, user (StaffUser or None), csrf_token, csrf_input (the
    hidden form field, ready to put in a <form>), base ("/staff"), city, nav, flashes, and
    `title` when given."""
    state = get_state(request)
    session = current_session(request)
    user = session.user if session else None
    csrf = session.csrf_token if session else ctx.pop("csrf_token", "")
    base = base_path(request)
    path = console_path(request)
    nav = [
        {"label": i.label, "href": i.href, "active": path == i.href or path.startswith(i.href + "/")}
        for i in NAV
        if user is not None and user.can(i.permission)
    ]
    context: Dict[str, Any] = {
        "user": user,
        "csrf_token": csrf,
        "csrf_input": Markup(f'<input type="hidden" name="csrf_token" value="{escape(csrf)}">'),
        "base": base,
        "city": state.settings.city_name,
        "nav": nav,
        "flashes": state.auth.pop_flash(session.id) if session else [],
        "path": path,
    }
    context.update(ctx)
    return templates.TemplateResponse(request, template, context, status_code=status_code)


def audit(request: Request, action: str, target: str = "", **detail: Any) -> None:
    """Writes an audit entry as the logged-in user (see console.audit.ACTION_LABELS)."""
    user = current_user(request)
    audit_log.record(get_state(request).engine, user.name if user else "", action, target, detail or None,
                     ip=client_ip(request))


def login_url(request: Request) -> str:
    path = console_path(request)
    query = request.url.query
    target = path + (f"?{query}" if query else "")
    suffix = f"?next={quote(target, safe='')}" if request.method == "GET" and path not in ("/", "/login") else ""
    return base_path(request) + "/login" + suffix


def forbidden_response(request: Request, permission: str = "") -> Response:
    from fastapi.responses import JSONResponse

    message = "この操作をする権限がありません"
    if wants_json(request):
        return JSONResponse({"error": "forbidden", "message": message}, status_code=403)
    return render(request, "error.html", status_code=403, title="権限がありません",
                  message="このページを開く権限がありません。必要なときは管理者に役割の変更を依頼してください。")
