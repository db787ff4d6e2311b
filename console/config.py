"""Settings of the staff console, from environment variables (all optional)."""
from __future__ import annotations

import os
from dataclasses import dataclass, replace
from typing import Any, Mapping, Optional


def _number(env: Mapping[str, str], name: str, default: float) -> float:
    raw = (env.get(name) or "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise SystemExit(f"{name} must be a number, got {raw!r}") from None
    if value <= 0:
        raise SystemExit(f"{name} must be positive, got {raw!r}")
    return value


@dataclass(frozen=True)
class ConsoleSettings:
    db_url: str
    city_name: str = "ひだまり市"
    idle_minutes: float = 30  # a session unused this long ends
    session_hours: float = 12  # a session ends this long after login, used or not
    lockout_attempts: int = 5  # failed logins in a row before a name is locked
    lockout_minutes: float = 15
    ip_attempts: int = 30  # failed logins from one address within lockout_minutes
    secure_cookie: bool = False  # Secure flag (on when the public URL is https)
    min_password_length: int = 10

    @classmethod
    def from_env(
        cls,
        db_url: str,
        *,
        city_name: str = "ひだまり市",
        public_url: str = "",
        env: Optional[Mapping[str, str]] = None,
    ) -> "ConsoleSettings":
        env = os.environ if env is None else env
        secure_raw = (env.get("MADOGUCHI_CONSOLE_SECURE_COOKIE") or "auto").strip().lower()
        secure = public_url.startswith("https://") if secure_raw == "auto" else secure_raw in ("1", "true", "yes", "on")
        return cls(
            db_url=db_url,
            city_name=city_name,
            idle_minutes=_number(env, "MADOGUCHI_CONSOLE_IDLE_MINUTES", 30),
            session_hours=_number(env, "MADOGUCHI_CONSOLE_SESSION_HOURS", 12),
            lockout_attempts=int(_number(env, "MADOGUCHI_CONSOLE_LOCKOUT_ATTEMPTS", 5)),
            lockout_minutes=_number(env, "MADOGUCHI_CONSOLE_LOCKOUT_MINUTES", 15),
            secure_cookie=secure,
        )

    def with_(self, **changes: Any) -> "ConsoleSettings":
        return replace(self, **changes)
