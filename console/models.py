"""Tables of the staff console: staff users, their sessions and the audit log.

They live in the app database beside the FAQ (one Alembic history: core/migrations).
Times are naive UTC.
"""
from __future__ import annotations

import sqlalchemy as sa

from core.db import metadata

ROLES = ("admin", "editor", "operator")

users = sa.Table(
    "users",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(100), nullable=False, unique=True),  # login name
    sa.Column("display_name", sa.String(200), nullable=False, server_default=""),
    sa.Column("role", sa.String(20), nullable=False),
    sa.Column("password_hash", sa.String(300), nullable=False),  # argon2id
    sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("failed_logins", sa.Integer, nullable=False, server_default="0"),
    sa.Column("locked_until", sa.DateTime, nullable=True),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("updated_at", sa.DateTime, nullable=False),
    sa.Column("password_changed_at", sa.DateTime, nullable=True),
    sa.Column("last_login_at", sa.DateTime, nullable=True),
    sa.CheckConstraint("role IN ('admin', 'editor', 'operator')", name="ck_users_role"),
)

# One row per logged-in browser. `id` is the SHA-256 of the cookie's token (the token itself
# is never stored), so a copy of the database does not hand out sessions.
staff_sessions = sa.Table(
    "staff_sessions",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    sa.Column("csrf_token", sa.String(64), nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("last_seen_at", sa.DateTime, nullable=False),
    sa.Column("ip", sa.String(64), nullable=False, server_default=""),
    sa.Column("user_agent", sa.String(300), nullable=False, server_default=""),
    sa.Column("flash", sa.JSON, nullable=True),  # messages shown on the next page
    sa.Index("ix_staff_sessions_user", "user_id"),
)

audit_log = sa.Table(
    "audit_log",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", sa.DateTime, nullable=False),
    sa.Column("actor", sa.String(100), nullable=False),  # user name ("" for the system)
    sa.Column("action", sa.String(50), nullable=False),  # e.g. faq.update, user.add, ticket.release
    sa.Column("target", sa.String(300), nullable=False, server_default=""),
    sa.Column("detail", sa.JSON, nullable=True),  # short, JSON-friendly
    sa.Column("ip", sa.String(64), nullable=False, server_default=""),
    sa.Index("ix_audit_log_at", "at"),
    sa.Index("ix_audit_log_action", "action", "at"),
)
