"""Database tables of the FAQ store (SQLAlchemy Core), shared by the store and the migrations."""
from __future__ import annotations

import sqlalchemy as sa

from core.db import metadata


STATUSES = ("draft", "published")

faq_entries = sa.Table(
    "faq_entries",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("question", sa.Text, nullable=False),
    sa.Column("alternatives", sa.JSON, nullable=False),  # list of str (言い換え)
    sa.Column("answer", sa.Text, nullable=False),
    sa.Column("short_answer", sa.Text, nullable=False, server_default=""),
    sa.Column("category", sa.String(100), nullable=False, server_default=""),
    sa.Column("department", sa.String(200), nullable=False, server_default=""),
    sa.Column("phone", sa.String(50), nullable=False, server_default=""),
    sa.Column("url", sa.String(1000), nullable=False, server_default=""),
    sa.Column("keywords", sa.JSON, nullable=False),  # list of str
    # Naive UTC; None = open-ended.
    sa.Column("publish_start", sa.DateTime, nullable=True),
    sa.Column("publish_end", sa.DateTime, nullable=True),
    sa.Column("status", sa.String(16), nullable=False, server_default="draft"),
    # {"question_en": …, "answer_en": …, "short_answer_en": …, "answer_zh": …} (faq/entry.py)
    sa.Column("translations", sa.JSON, nullable=False, server_default="{}"),
    sa.Column("easy_ja", sa.Text, nullable=False, server_default=""),  # やさしい日本語 answer
    sa.Column("updated_by", sa.String(100), nullable=False, server_default=""),
    sa.Column("updated_at", sa.DateTime, nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    # Value of faq_state.revision at the last write of this row (for incremental index sync).
    sa.Column("revision", sa.BigInteger, nullable=False),
    sa.CheckConstraint("status IN ('draft', 'published')", name="ck_faq_entries_status"),
    sa.Index("ix_faq_entries_revision", "revision"),
    sa.Index("ix_faq_entries_category", "category"),
)

# Each save keeps the state before it (snapshot of the row as a dict): diffs and revert.
faq_entry_history = sa.Table(
    "faq_entry_history",
    metadata,
    sa.Column("history_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("faq_id", sa.String(64), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),  # version of the snapshot
    sa.Column("action", sa.String(16), nullable=False),  # what replaced it
    sa.Column("snapshot", sa.JSON, nullable=False),
    sa.Column("changed_by", sa.String(100), nullable=False, server_default=""),
    sa.Column("changed_at", sa.DateTime, nullable=False),
    sa.Column("revision", sa.BigInteger, nullable=False),
    sa.Index("ix_faq_entry_history_faq_id", "faq_id", "version"),
    sa.Index("ix_faq_entry_history_revision", "revision"),
)

# One row: the revision counter bumped by every write, and the store's identity.
faq_state = sa.Table(
    "faq_state",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("revision", sa.BigInteger, nullable=False),
    sa.Column("store_id", sa.String(36), nullable=False),
)
