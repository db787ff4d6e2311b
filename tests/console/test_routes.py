"""Route scan: every route of the mounted console, read from its route table (a new page is
scanned without touching this file), refuses an anonymous request, and every unsafe method
refuses a request without the session's CSRF token, even with a valid session."""
from __future__ import annotations

import re

from fastapi.routing import APIRoute

from console.app import PUBLIC_ROUTES, route_table

UNSAFE = ("POST", "PUT", "PATCH", "DELETE")


def concrete(path: str) -> str:
    """A request path for a route path: every {param} becomes "1" (valid for str and int)."""
    return "/staff" + re.sub(r"\{[^}]+\}", "1", path)


def console_routes(console_app):
    """(name, method, path) for every route in the console's route table."""
    routes = []
    for name, methods, path, is_mount in route_table(console_app):
        if is_mount:
            assert name in PUBLIC_ROUTES, f"mount {path} ({name}) is not a known public mount"
            routes.append((name, "GET", path + "/console.css"))
            continue
        assert methods, f"route {path} ({name}) has no methods"
        for method in sorted(methods - {"HEAD"}):
            routes.append((name, method, path))
    return routes


def refused_anonymously(response) -> bool:
    if response.status_code == 401:
        return True
    return response.status_code == 303 and response.headers["location"].startswith("/staff/login")


def test_scan_covers_the_console(console_app):
    routes = console_routes(console_app)
    names = {name for name, _, _ in routes}
    # the scan is not vacuous: the pages of this package are all there
    assert {"faq_list", "faq_save", "faq_import", "faq_revert", "users", "users_add", "audit", "logout"} <= names
    assert len(routes) >= 25
    # only the login form and the static files are public
    assert set(PUBLIC_ROUTES) == {"login_page", "login_submit", "static"}
    assert set(PUBLIC_ROUTES) <= names


def test_every_route_refuses_anonymous(client, console_app):
    checked = 0
    for name, method, path in console_routes(console_app):
        if name in PUBLIC_ROUTES:
            continue
        response = client.request(method, concrete(path), follow_redirects=False,
                                  data={"csrf_token": "x"} if method in UNSAFE else None)
        assert refused_anonymously(response), f"{method} {path} ({name}) -> {response.status_code}"
        # JSON routes say so in JSON
        if path.startswith("/api/"):
            assert response.status_code == 401 and response.json()["error"] == "unauthenticated"
        checked += 1
    assert checked >= 20


def test_every_unsafe_route_needs_the_csrf_token(logged_in, console_app, console_state):
    admin = logged_in("admin")  # admin: the role may do everything, only the token is missing
    before = _snapshot(console_state)
    checked = 0
    for name, method, path in console_routes(console_app):
        if method not in UNSAFE or name in ("login_submit",):
            continue
        for kwargs in ({"data": {"version": "1"}}, {"json": {}}, {"data": {"csrf_token": "forged"}},
                       {"headers": {"X-CSRF-Token": "forged"}}):
            response = admin.request(method, concrete(path), follow_redirects=False, **kwargs)
            assert response.status_code == 403, f"{method} {path} ({name}) {kwargs} -> {response.status_code}"
        checked += 1
    assert checked >= 10
    assert _snapshot(console_state) == before  # nothing changed
    # and the session is still fine: the same request with the token gets through the guard
    assert admin.post("/staff/api/faq/preview", json={"answer": "x"}, headers={"X-CSRF-Token": admin.csrf}).status_code == 200


def test_login_post_without_token_is_refused(client, staff_users):
    response = client.post("/staff/login", data={"name": "admin", "password": "hidamari-test-pass-2026"},
                           follow_redirects=False)
    assert response.status_code == 403


def test_every_get_route_opens_for_admin(logged_in, console_app):
    """With a session, GET pages answer (no crash, no login redirect); ids that do not exist give 404."""
    admin = logged_in("admin")
    for name, method, path in console_routes(console_app):
        if method != "GET" or name in PUBLIC_ROUTES or name == "faq_export":
            continue
        response = admin.get(concrete(path), follow_redirects=False)
        assert response.status_code in (200, 303, 404), f"GET {path} ({name}) -> {response.status_code}"
        if response.status_code == 303:
            assert "/login" not in response.headers["location"], path


def test_gateway_staff_token_routes_refuse_anonymous(client, gateway_app):
    """The gateway's own /staff/api routes (token-protected, outside the console) refuse too."""
    seen = 0
    for route in gateway_app.routes:
        if isinstance(route, APIRoute) and route.path.startswith("/staff/"):
            for method in route.methods - {"HEAD"}:
                response = client.request(method, route.path, json={"conversation_id": "web:x", "text": "x"})
                assert response.status_code in (401, 404), f"{method} {route.path} -> {response.status_code}"
                seen += 1
    assert seen >= 2


def _snapshot(state):
    import sqlalchemy as sa

    from console.models import users
    from faq.models import faq_state

    with state.engine.connect() as conn:
        revision = conn.execute(sa.select(faq_state.c.revision)).scalar_one()
        people = conn.execute(sa.select(users.c.name, users.c.role, users.c.active, users.c.password_hash)
                              .order_by(users.c.name)).all()
    return revision, people
