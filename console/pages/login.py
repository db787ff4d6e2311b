"""Login and logout (the only public pages, with the static files)."""
from __future__ import annotations

import secrets
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Form, Request
from starlette.concurrency import run_in_threadpool

from console import audit as audit_log
from console.auth import LoginError, StaffSession
from console.core import (
    LOGIN_COOKIE,
    SESSION_COOKIE,
    base_path,
    client_ip,
    get_state,
    guard,
    home_path,
    redirect,
    render,
)

router = APIRouter()


def _safe_next(value: str) -> str:
    """Only a path inside the console (no other site, no scheme)."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return ""
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return ""
    return value


def _cookie_args(request: Request) -> dict:
    secure = get_state(request).settings.secure_cookie
    return dict(httponly=True, samesite="strict", secure=secure, path=base_path(request) or "/")


def _login_form(request: Request, next_path: str = "", error: str = "", name: str = "", status_code: int = 200):
    token = secrets.token_urlsafe(32)
    response = render(request, "login.html", status_code=status_code, title="ログイン", csrf_token=token,
                      next_path=next_path, error=error, name=name)
    response.set_cookie(LOGIN_COOKIE, token, max_age=3600, **_cookie_args(request))
    return response


@router.get("/login", name="login_page")
async def login_page(request: Request, next: str = ""):
    return _login_form(request, _safe_next(next))


@router.post("/login", name="login_submit")
async def login_submit(request: Request, name: str = Form(""), password: str = Form(""),
                       csrf_token: str = Form(""), next: str = Form("")):
    expected = request.cookies.get(LOGIN_COOKIE, "")
    if not expected or not csrf_token or not secrets.compare_digest(expected, csrf_token):
        return _login_form(request, _safe_next(next), "ページの有効期限が切れました。もう一度ログインしてください。",
                           name, status_code=403)
    state = get_state(request)
    ip = client_ip(request)
    try:
        session, token = await run_in_threadpool(
            state.auth.login, name, password, ip=ip, user_agent=request.headers.get("user-agent", "")
        )
    except LoginError as error:
        audit_log.record(state.engine, name[:100], "login.failed", name[:100], {"reason": str(error)[:200]}, ip=ip)
        return _login_form(request, _safe_next(next), str(error), name, status_code=401)
    audit_log.record(state.engine, session.user.name, "login", session.user.name, None, ip=ip)
    target = _safe_next(next) or home_path(session.user)
    response = redirect(request, target)
    response.set_cookie(SESSION_COOKIE, token, **_cookie_args(request))
    response.delete_cookie(LOGIN_COOKIE, path=base_path(request) or "/")
    return response


@router.post("/logout", name="logout")
async def logout(request: Request, session: StaffSession = Depends(guard)):
    state = get_state(request)
    await run_in_threadpool(state.auth.logout, session.id)
    audit_log.record(state.engine, session.user.name, "logout", session.user.name, None, ip=client_ip(request))
    response = redirect(request, "/login")
    response.delete_cookie(SESSION_COOKIE, path=base_path(request) or "/")
    return response
