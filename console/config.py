"""Settings of the staff console, from environment variables (all optional; core.settings.read)."""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Mapping, Optional

from core.settings import positive_number, read


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
        secure_raw = read("MADOGUCHI_CONSOLE_SECURE_COOKIE", "auto", str, env).lower()
        secure = public_url.startswith("https://") if secure_raw == "auto" else secure_raw in ("1", "true", "yes", "on")
        return cls(
            db_url=db_url,
            city_name=city_name,
            idle_minutes=read("MADOGUCHI_CONSOLE_IDLE_MINUTES", 30, positive_number, env),
            session_hours=read("MADOGUCHI_CONSOLE_SESSION_HOURS", 12, positive_number, env),
            lockout_attempts=int(read("MADOGUCHI_CONSOLE_LOCKOUT_ATTEMPTS", 5, positive_number, env)),
            lockout_minutes=read("MADOGUCHI_CONSOLE_LOCKOUT_MINUTES", 15, positive_number, env),
            secure_cookie=secure,
        )

    def with_(self, **changes: Any) -> "ConsoleSettings":
        return replace(self, **changes)
