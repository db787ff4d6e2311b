"""The console's front door: sends each role to its first page; own password change."""
from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request

from console.auth import AuthError, StaffSession, verify_password
from console.core import audit, get_state, guard, home_path, redirect, render
from console.models import users

router = APIRouter()


@router.get("/", name="home")
def home(request: Request, session: StaffSession = Depends(guard)):
    return redirect(request, home_path(session.user))


@router.get("/password", name="password_page")
def password_page(request: Request, session: StaffSession = Depends(guard)):
    return render(request, "password.html", title="パスワードの変更")


@router.post("/password", name="password_change")
def password_change(request: Request, current: str = Form(""), new: str = Form(""), confirm: str = Form(""),
                    session: StaffSession = Depends(guard)):
    import sqlalchemy as sa

    state = get_state(request)
    with state.engine.connect() as conn:
        stored = conn.execute(sa.select(users.c.password_hash).where(users.c.id == session.user.id)).scalar_one()
    error = ""
    if not verify_password(stored, current):
        error = "今のパスワードが違います"
    elif new != confirm:
        error = "新しいパスワードが確認用と一致しません"
    else:
        try:
            state.auth.set_password(session.user.name, new)
        except AuthError as exc:
            error = str(exc)
    if error:
        return render(request, "password.html", status_code=400, title="パスワードの変更", error=error)
    audit(request, "user.passwd", session.user.name)
    return redirect(request, "/login")  # set_password logged every session out, this one too
