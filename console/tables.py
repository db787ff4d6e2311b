"""Tables of the inbox (未回答・低評価) and handoff (有人対応) pages.

In the app database beside the FAQ (one Alembic history: core/migrations, 0210_inbox).
Times are naive UTC.
"""
from __future__ import annotations

import sqlalchemy as sa

from core.db import metadata

INBOX_ACTIONS = ("new_faq", "phrasings", "dismissed")

# Inquiries taken out of the inbox, and what was done with them.
inbox_handled = sa.Table(
    "inbox_handled",
    metadata,
    sa.Column("inquiry_id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("action", sa.String(20), nullable=False),  # new_faq | phrasings | dismissed
    sa.Column("faq_id", sa.String(64), nullable=True),
    sa.Column("handled_by", sa.String(100), nullable=False),
    sa.Column("handled_at", sa.DateTime, nullable=False),
)

# Embeddings of inquiry texts for grouping, keyed by a hash of the model, prefix and text:
# a page load encodes only texts it has never seen.
inquiry_embeddings = sa.Table(
    "inquiry_embeddings",
    metadata,
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("vector", sa.LargeBinary, nullable=False),  # float32, L2-normalised
    sa.Column("created_at", sa.DateTime, nullable=False),
)

# What was said in a conversation after it was handed to staff: the resident's new messages
# (from the gateway's HandoffDesk) and the staff's replies. Unmasked, like tickets.transcript.
ticket_messages = sa.Table(
    "ticket_messages",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("ticket_id", sa.Integer, nullable=False),
    sa.Column("role", sa.String(20), nullable=False),  # resident | staff | system
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("author", sa.String(100), nullable=False, server_default=""),
    sa.Column("delivered", sa.Boolean, nullable=True),  # staff messages: reached the resident
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Index("ix_ticket_messages_ticket", "ticket_id", "id"),
)
