"""Admin: staff users (add, role, disable/enable, reset password)."""
from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request

from console.auth import ROLE_LABELS, AuthError, StaffUser
from console.core import audit, flash, get_state, redirect, render, require

router = APIRouter()


def _page(request: Request, status_code: int = 200, **ctx):
    state = get_state(request)
    return render(request, "users.html", status_code=status_code, title="ユーザー", users=state.auth.list_users(),
                  roles=ROLE_LABELS, min_length=state.settings.min_password_length, **ctx)


@router.get("/users", name="users")
def users_page(request: Request, user: StaffUser = Depends(require("users"))):
    return _page(request)


@router.post("/users", name="users_add")
def users_add(request: Request, name: str = Form(""), display_name: str = Form(""), role: str = Form("editor"),
              password: str = Form(""), user: StaffUser = Depends(require("users"))):
    state = get_state(request)
    try:
        added = state.auth.add_user(name, password, role, display_name)
    except AuthError as error:
        return _page(request, 400, error=str(error), form={"name": name, "display_name": display_name, "role": role})
    audit(request, "user.add", added.name, role=added.role, display_name=added.display_name)
    flash(request, f"ユーザー「{added.name}」（{added.role_label}）を追加しました")
    return redirect(request, "/users")


@router.post("/users/{name}/role", name="users_role")
def users_role(request: Request, name: str, role: str = Form(""), user: StaffUser = Depends(require("users"))):
    state = get_state(request)
    before = state.auth.get_user(name)
    try:
        changed = state.auth.set_role(name, role)
    except AuthError as error:
        flash(request, str(error), "error")
        return redirect(request, "/users")
    if before and before.role != changed.role:
        audit(request, "user.role", name, before=before.role, after=changed.role)
        flash(request, f"「{name}」の役割を{changed.role_label}にしました")
    return redirect(request, "/users")


@router.post("/users/{name}/active", name="users_active")
def users_active(request: Request, name: str, active: str = Form(""), user: StaffUser = Depends(require("users"))):
    state = get_state(request)
    enable = active == "1"
    if not enable and name == user.name:
        flash(request, "自分自身は無効にできません", "error")
        return redirect(request, "/users")
    try:
        state.auth.set_active(name, enable)
    except AuthError as error:
        flash(request, str(error), "error")
        return redirect(request, "/users")
    audit(request, "user.enable" if enable else "user.disable", name)
    flash(request, f"「{name}」を{'有効' if enable else '無効'}にしました")
    return redirect(request, "/users")


@router.post("/users/{name}/password", name="users_password")
def users_password(request: Request, name: str, password: str = Form(""), user: StaffUser = Depends(require("users"))):
    state = get_state(request)
    try:
        state.auth.set_password(name, password)
    except AuthError as error:
        flash(request, str(error), "error")
        return redirect(request, "/users")
    audit(request, "user.passwd", name, by_admin=True)
    flash(request, f"「{name}」のパスワードを変更しました（ログイン中の画面はログアウトされます）")
    if name == user.name:
        return redirect(request, "/login")
    return redirect(request, "/users")
