"""The console app: a FastAPI sub-app mounted by madoguchi.server.create_app at /staff.

    from console.app import create_console
    app.mount("/staff", create_console(gateway, settings))

Page modules (console/pages/<name>.py, each with `router = APIRouter()`) listed in
GUARDED_PAGES are included behind the session guard. Public routes: the login page, its POST
and the static files (PUBLIC_ROUTES); everything else needs a session.
"""
from __future__ import annotations

import logging
from typing import Any, Optional

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from console.config import ConsoleSettings
from console.core import (
    HERE,
    ConsoleState,
    CsrfError,
    Forbidden,
    NotAuthenticated,
    forbidden_response,
    guard,
    login_url,
    render,
    wants_json,
)
from console.pages import audit, dashboard, documents, faq, glossary, handoff, home, inbox, login, users
from core.settings import load_settings

log = logging.getLogger(__name__)

# Included in this order behind `guard`.
GUARDED_PAGES = (home, faq, glossary, inbox, documents, handoff, dashboard, users, audit)
# Route names reachable without a session (the route scan test checks this list).
PUBLIC_ROUTES = ("login_page", "login_submit", "static")

_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'"
)


def console_settings(settings: Any, gateway: Any = None) -> ConsoleSettings:
    """ConsoleSettings from a ConsoleSettings, a madoguchi Settings or a GatewayConfig."""
    if isinstance(settings, ConsoleSettings):
        return settings
    config = getattr(gateway, "config", None)
    db_url = getattr(settings, "db_url", "") or getattr(config, "db_url", "")
    if not db_url:
        db_url = load_settings().db_url
    city = getattr(getattr(config, "city", None), "name", None) or getattr(getattr(settings, "city", None), "name", None)
    public_url = getattr(config, "public_url", "") or getattr(settings, "public_url", "")
    return ConsoleSettings.from_env(db_url, city_name=city or "ひだまり市", public_url=public_url)


def create_console(gateway: Optional[Any] = None, settings: Any = None) -> FastAPI:
    """The console as an ASGI app. `gateway`: the channels Gateway in this process (staff
    replies, handoff desk) or None; `settings`: ConsoleSettings, Settings or GatewayConfig."""
    if settings is None:
        settings = load_settings()
    state = ConsoleState(console_settings(settings, gateway), gateway)
    app = FastAPI(title="madoguchi staff console", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.console = state

    @app.middleware("http")
    async def security_headers(request: Request, call_next):
        response = await call_next(request)
        response.headers.setdefault("Content-Security-Policy", _CSP)
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if not request.url.path.startswith(request.scope.get("root_path", "") + "/static/"):
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    @app.exception_handler(NotAuthenticated)
    async def _not_authenticated(request: Request, error: NotAuthenticated):
        if wants_json(request):
            return JSONResponse({"error": "unauthenticated", "message": "ログインしてください"}, status_code=401)
        return RedirectResponse(login_url(request), status_code=303)

    @app.exception_handler(Forbidden)
    async def _forbidden(request: Request, error: Forbidden):
        return forbidden_response(request, error.permission)

    @app.exception_handler(CsrfError)
    async def _csrf(request: Request, error: CsrfError):
        message = "フォームの有効期限が切れたか、不正な送信です。ページを読み込み直してからもう一度操作してください。"
        if wants_json(request):
            return JSONResponse({"error": "csrf", "message": message}, status_code=403)
        return render(request, "error.html", status_code=403, title="送信できませんでした", message=message)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, error: StarletteHTTPException):
        messages = {404: "ページが見つかりません", 405: "この方法では開けません"}
        message = str(error.detail) if error.detail and not str(error.detail).isascii() else messages.get(error.status_code, "エラーが発生しました")
        if wants_json(request):
            return JSONResponse({"error": error.status_code, "message": message}, status_code=error.status_code)
        return render(request, "error.html", status_code=error.status_code, title=message, message=message)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, error: RequestValidationError):
        message = "送信された内容が正しくありません"
        if wants_json(request):
            return JSONResponse({"error": "invalid", "message": message}, status_code=400)
        return render(request, "error.html", status_code=400, title=message, message=message)

    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")

    app.include_router(login.router)  # public: login_page, login_submit; logout is guarded inside
    for page in GUARDED_PAGES:
        app.include_router(page.router, dependencies=[Depends(guard)])
    return app


def find_console(app: Any) -> FastAPI:
    """The console sub-app mounted in a gateway app (for tests and tools)."""
    for route in getattr(app, "routes", ()):
        if getattr(route, "path", None) == "/staff" and isinstance(getattr(route, "app", None), FastAPI):
            return route.app
    raise LookupError("no console mounted at /staff")


def route_table(app: FastAPI) -> list:
    """(name, methods, path, is_mount) of every route of `app`, included routers flattened
    (FastAPI ≥ 0.13x keeps included routers as lazy branches; older versions flatten them)."""
    from fastapi import routing
    from starlette.routing import Mount

    if hasattr(routing, "iter_route_contexts"):
        routes = list(routing.iter_route_contexts(app.routes))
    else:  # pragma: no cover - older FastAPI
        routes = list(app.routes)
    table = []
    for route in routes:
        original = getattr(route, "original_route", route)
        table.append((route.name, set(route.methods or ()), route.path, isinstance(original, Mount)))
    return table
