"""Staff users, passwords (argon2id), DB-backed sessions with CSRF tokens, login throttling.

All times are naive UTC in the database. Messages of AuthError are for staff (Japanese).
"""
from __future__ import annotations

import functools
import hashlib
import hmac
import re
import secrets
import threading
import time
import unicodedata
from collections import defaultdict, deque
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Deque, Dict, List, Optional, Tuple

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from console.config import ConsoleSettings
from console.models import ROLES, staff_sessions, users

ROLE_LABELS = {"admin": "管理者", "editor": "編集者", "operator": "オペレーター"}

# What each role may open. admin may do everything.
PERMISSIONS: Dict[str, Tuple[str, ...]] = {
    "faq": ("admin", "editor"),  # FAQ curation, CSV import/export
    "inbox": ("admin", "editor"),  # 未回答・低評価
    "documents": ("admin", "editor"),  # 資料 (the city's pages and files the bot answers from)
    "handoff": ("admin", "operator"),  # 有人対応, voicemails
    "dashboard": ("admin", "editor", "operator"),  # 数値
    "users": ("admin",),
    "audit": ("admin",),
    "settings": ("admin",),
}

_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-@]{0,99}$")
_hasher = PasswordHasher()  # argon2id with the library's current defaults


@functools.lru_cache(maxsize=1)
def _dummy_hash() -> str:
    """Verified against when the name is unknown, so both cases take the same time. Made by the
    first Auth, not at import: hashing takes a moment every `madoguchi` command would pay."""
    return _hasher.hash(secrets.token_urlsafe(16))


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def allowed(role: str, permission: str) -> bool:
    if permission not in PERMISSIONS:
        raise KeyError(f"unknown permission {permission!r}")
    return role in PERMISSIONS[permission]


class AuthError(Exception):
    """A refused user change or login; str() is for staff (Japanese)."""


class LoginError(AuthError):
    pass


@dataclass(frozen=True)
class StaffUser:
    id: int
    name: str
    display_name: str
    role: str
    active: bool
    created_at: datetime
    last_login_at: Optional[datetime] = None
    locked_until: Optional[datetime] = None
    failed_logins: int = 0

    @property
    def label(self) -> str:
        """The name shown in the header."""
        return self.display_name or self.name

    @property
    def role_label(self) -> str:
        return ROLE_LABELS.get(self.role, self.role)

    def can(self, permission: str) -> bool:
        return allowed(self.role, permission)


@dataclass(frozen=True)
class StaffSession:
    id: str  # digest of the cookie token
    user: StaffUser
    csrf_token: str
    created_at: datetime
    last_seen_at: datetime


def _user(row: Any) -> StaffUser:
    return StaffUser(
        id=row.id,
        name=row.name,
        display_name=row.display_name or "",
        role=row.role,
        active=bool(row.active),
        created_at=row.created_at,
        last_login_at=row.last_login_at,
        locked_until=row.locked_until,
        failed_logins=int(row.failed_logins or 0),
    )


class _IpThrottle:
    """Failed logins per client address in a sliding window (in memory, per process)."""

    def __init__(self) -> None:
        self._failures: Dict[str, Deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def _trim(self, ip: str, window: float) -> Deque[float]:
        q = self._failures[ip]
        limit = time.monotonic() - window
        while q and q[0] < limit:
            q.popleft()
        return q

    def blocked(self, ip: str, attempts: int, window: float) -> bool:
        with self._lock:
            return len(self._trim(ip, window)) >= attempts

    def failed(self, ip: str) -> None:
        with self._lock:
            self._failures[ip].append(time.monotonic())

    def clear(self, ip: str) -> None:
        with self._lock:
            self._failures.pop(ip, None)


class Auth:
    """Users and sessions in the app database."""

    def __init__(self, engine: sa.Engine, settings: ConsoleSettings) -> None:
        self.engine = engine
        self.settings = settings
        self.ip_throttle = _IpThrottle()
        _dummy_hash()  # made now, so that the first unknown name takes no longer than later ones

    # ---- users ------------------------------------------------------------------------

    def check_password_rules(self, name: str, password: str) -> None:
        if len(password) < self.settings.min_password_length:
            raise AuthError(f"パスワードは {self.settings.min_password_length} 文字以上にしてください")
        if password.strip() != password or not password.strip():
            raise AuthError("パスワードの前後に空白は使えません")
        if name and name.lower() in password.lower():
            raise AuthError("パスワードにログイン名を含めないでください")

    @staticmethod
    def clean_name(name: str) -> str:
        name = unicodedata.normalize("NFKC", name or "").strip()
        if not _NAME_RE.match(name):
            raise AuthError("ログイン名には英数字と - _ . @ を使ってください（100 文字まで）")
        return name

    @staticmethod
    def check_role(role: str) -> str:
        if role not in ROLES:
            raise AuthError(f"役割「{role}」はありません（admin・editor・operator のどれか）")
        return role

    def add_user(self, name: str, password: str, role: str, display_name: str = "") -> StaffUser:
        name = self.clean_name(name)
        self.check_role(role)
        self.check_password_rules(name, password)
        now = utcnow()
        with self.engine.begin() as conn:
            exists = conn.execute(sa.select(users.c.id).where(sa.func.lower(users.c.name) == name.lower())).first()
            if exists:
                raise AuthError(f"ログイン名「{name}」はすでに使われています")
            conn.execute(
                users.insert().values(
                    name=name,
                    display_name=(display_name or "").strip()[:200],
                    role=role,
                    password_hash=hash_password(password),
                    active=True,
                    failed_logins=0,
                    created_at=now,
                    updated_at=now,
                    password_changed_at=now,
                )
            )
        user = self.get_user(name)
        assert user is not None
        return user

    def get_user(self, name: str) -> Optional[StaffUser]:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(users).where(users.c.name == name)).first()
        return _user(row) if row else None

    def get_user_by_id(self, user_id: int) -> Optional[StaffUser]:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(users).where(users.c.id == user_id)).first()
        return _user(row) if row else None

    def list_users(self) -> List[StaffUser]:
        with self.engine.connect() as conn:
            return [_user(r) for r in conn.execute(sa.select(users).order_by(users.c.name))]

    def count_users(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(sa.select(sa.func.count()).select_from(users)).scalar_one())

    def _active_admins(self, conn: sa.Connection) -> int:
        return int(
            conn.execute(
                sa.select(sa.func.count()).select_from(users).where(users.c.role == "admin", users.c.active.is_(True))
            ).scalar_one()
        )

    def _require(self, conn: sa.Connection, name: str) -> Any:
        row = conn.execute(sa.select(users).where(users.c.name == name)).first()
        if row is None:
            raise AuthError(f"ユーザー「{name}」はいません")
        return row

    def set_password(self, name: str, password: str) -> None:
        self.check_password_rules(name, password)
        now = utcnow()
        with self.engine.begin() as conn:
            row = self._require(conn, name)
            conn.execute(
                users.update()
                .where(users.c.id == row.id)
                .values(password_hash=hash_password(password), password_changed_at=now, updated_at=now,
                        failed_logins=0, locked_until=None)
            )
            # Every browser logged in with the old password is logged out.
            conn.execute(staff_sessions.delete().where(staff_sessions.c.user_id == row.id))

    def set_role(self, name: str, role: str) -> StaffUser:
        self.check_role(role)
        with self.engine.begin() as conn:
            row = self._require(conn, name)
            if row.role == "admin" and role != "admin" and row.active and self._active_admins(conn) <= 1:
                raise AuthError("最後の管理者の役割は変えられません。先に別の管理者を作ってください")
            conn.execute(users.update().where(users.c.id == row.id).values(role=role, updated_at=utcnow()))
        return self.get_user(name)  # type: ignore[return-value]

    def set_active(self, name: str, active: bool) -> StaffUser:
        with self.engine.begin() as conn:
            row = self._require(conn, name)
            if not active and row.role == "admin" and row.active and self._active_admins(conn) <= 1:
                raise AuthError("最後の管理者は無効にできません。先に別の管理者を作ってください")
            values: Dict[str, Any] = {"active": active, "updated_at": utcnow()}
            if active:
                values.update(failed_logins=0, locked_until=None)
            conn.execute(users.update().where(users.c.id == row.id).values(**values))
            if not active:
                conn.execute(staff_sessions.delete().where(staff_sessions.c.user_id == row.id))
        return self.get_user(name)  # type: ignore[return-value]

    # ---- login and sessions --------------------------------------------------------------

    def login(self, name: str, password: str, *, ip: str = "", user_agent: str = "",
              now: Optional[datetime] = None) -> Tuple[StaffSession, str]:
        """A new session and its cookie token. Raises LoginError (one vague message for a
        wrong name or password; a clear one when locked)."""
        now = now or utcnow()
        window = self.settings.lockout_minutes * 60
        wrong = LoginError("ログイン名またはパスワードが違います")
        if ip and self.ip_throttle.blocked(ip, self.settings.ip_attempts, window):
            raise LoginError("ログインの失敗が続いたため、しばらくログインできません。時間をおいてお試しください")
        name = unicodedata.normalize("NFKC", name or "").strip()
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(users).where(users.c.name == name)).first()
        if row is None:
            verify_password(_dummy_hash(), password)
            self.ip_throttle.failed(ip)
            raise wrong
        if row.locked_until is not None and row.locked_until > now:
            self.ip_throttle.failed(ip)
            minutes = max(1, int((row.locked_until - now).total_seconds() // 60) + 1)
            raise LoginError(
                f"ログインの失敗が続いたため、このログイン名は約 {minutes} 分間ロックされています。"
                "急ぐときは管理者に連絡してください"
            )
        ok = verify_password(row.password_hash, password)
        if not ok or not row.active:
            self.ip_throttle.failed(ip)
            if ok and not row.active:
                raise LoginError("このログイン名は無効になっています。管理者に連絡してください")
            failures = int(row.failed_logins or 0) + 1
            values: Dict[str, Any] = {"failed_logins": failures}
            if failures >= self.settings.lockout_attempts:
                values.update(failed_logins=0, locked_until=now + timedelta(minutes=self.settings.lockout_minutes))
            with self.engine.begin() as conn:
                conn.execute(users.update().where(users.c.id == row.id).values(**values))
            if "locked_until" in values:
                raise LoginError(
                    f"ログインの失敗が {self.settings.lockout_attempts} 回続いたため、"
                    f"このログイン名を {self.settings.lockout_minutes:g} 分間ロックしました"
                )
            raise wrong
        self.ip_throttle.clear(ip)
        token = secrets.token_urlsafe(32)
        session_id = token_digest(token)
        csrf = secrets.token_urlsafe(32)
        values = {"failed_logins": 0, "locked_until": None, "last_login_at": now}
        if _hasher.check_needs_rehash(row.password_hash):
            values["password_hash"] = hash_password(password)
        with self.engine.begin() as conn:
            conn.execute(users.update().where(users.c.id == row.id).values(**values))
            conn.execute(
                staff_sessions.insert().values(
                    id=session_id, user_id=row.id, csrf_token=csrf, created_at=now, last_seen_at=now,
                    ip=(ip or "")[:64], user_agent=(user_agent or "")[:300],
                )
            )
        self.purge_expired(now)
        user = self.get_user_by_id(row.id)
        assert user is not None
        return StaffSession(session_id, user, csrf, now, now), token

    def _expired(self, created_at: datetime, last_seen_at: datetime, now: datetime) -> bool:
        return (
            now - last_seen_at > timedelta(minutes=self.settings.idle_minutes)
            or now - created_at > timedelta(hours=self.settings.session_hours)
        )

    def session(self, token: Optional[str], now: Optional[datetime] = None, touch: bool = True) -> Optional[StaffSession]:
        """The live session of a cookie token, or None (unknown, expired, user disabled).
        Counts as activity: the idle clock restarts."""
        if not token or len(token) > 200:
            return None
        now = now or utcnow()
        session_id = token_digest(token)
        with self.engine.connect() as conn:
            row = conn.execute(
                sa.select(staff_sessions, users)
                .join(users, users.c.id == staff_sessions.c.user_id)
                .where(staff_sessions.c.id == session_id)
            ).first()
        if row is None:
            return None
        m = row._mapping
        created, seen = m[staff_sessions.c.created_at], m[staff_sessions.c.last_seen_at]
        if self._expired(created, seen, now) or not m[users.c.active]:
            with self.engine.begin() as conn:
                conn.execute(staff_sessions.delete().where(staff_sessions.c.id == session_id))
            return None
        if touch and (now - seen).total_seconds() >= 15:  # fewer writes: the clock is in minutes
            with self.engine.begin() as conn:
                conn.execute(staff_sessions.update().where(staff_sessions.c.id == session_id).values(last_seen_at=now))
            seen = now
        user = StaffUser(
            id=m[users.c.id], name=m[users.c.name], display_name=m[users.c.display_name] or "",
            role=m[users.c.role], active=bool(m[users.c.active]), created_at=m[users.c.created_at],
            last_login_at=m[users.c.last_login_at], locked_until=m[users.c.locked_until],
            failed_logins=int(m[users.c.failed_logins] or 0),
        )
        return StaffSession(session_id, user, m[staff_sessions.c.csrf_token], created, seen)

    def logout(self, session_id: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(staff_sessions.delete().where(staff_sessions.c.id == session_id))

    def purge_expired(self, now: Optional[datetime] = None) -> int:
        now = now or utcnow()
        idle = now - timedelta(minutes=self.settings.idle_minutes)
        absolute = now - timedelta(hours=self.settings.session_hours)
        with self.engine.begin() as conn:
            result = conn.execute(
                staff_sessions.delete().where(
                    sa.or_(staff_sessions.c.last_seen_at < idle, staff_sessions.c.created_at < absolute)
                )
            )
        return int(result.rowcount or 0)

    @staticmethod
    def csrf_ok(session: StaffSession, given: Optional[str]) -> bool:
        return bool(given) and hmac.compare_digest(session.csrf_token.encode(), str(given).encode())

    # ---- flash messages (shown once, on the next page) ---------------------------------

    def push_flash(self, session_id: str, text: str, kind: str = "ok") -> None:
        with self.engine.begin() as conn:
            current = conn.execute(
                sa.select(staff_sessions.c.flash).where(staff_sessions.c.id == session_id)
            ).scalar()
            messages = list(current or []) + [{"kind": kind, "text": text}]
            conn.execute(staff_sessions.update().where(staff_sessions.c.id == session_id).values(flash=messages[-5:]))

    def pop_flash(self, session_id: str) -> List[Dict[str, str]]:
        with self.engine.begin() as conn:
            current = conn.execute(
                sa.select(staff_sessions.c.flash).where(staff_sessions.c.id == session_id)
            ).scalar()
            if current:
                conn.execute(staff_sessions.update().where(staff_sessions.c.id == session_id).values(flash=None))
        return list(current or [])
