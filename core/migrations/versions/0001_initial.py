"""FAQ entries, their history and the revision counter.

Revision ID: 0001_initial
Revises:
Create Date: 2025-01-01
"""
import uuid

import sqlalchemy as sa
from alembic import op

revision = "0001_initial"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "faq_entries",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("question", sa.Text, nullable=False),
        sa.Column("alternatives", sa.JSON, nullable=False),
        sa.Column("answer", sa.Text, nullable=False),
        sa.Column("short_answer", sa.Text, nullable=False, server_default=""),
        sa.Column("category", sa.String(100), nullable=False, server_default=""),
        sa.Column("department", sa.String(200), nullable=False, server_default=""),
        sa.Column("phone", sa.String(50), nullable=False, server_default=""),
        sa.Column("url", sa.String(1000), nullable=False, server_default=""),
        sa.Column("keywords", sa.JSON, nullable=False),
        sa.Column("publish_start", sa.DateTime, nullable=True),
        sa.Column("publish_end", sa.DateTime, nullable=True),
        sa.Column("status", sa.String(16), nullable=False, server_default="draft"),
        sa.Column("updated_by", sa.String(100), nullable=False, server_default=""),
        sa.Column("updated_at", sa.DateTime, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("revision", sa.BigInteger, nullable=False),
        sa.CheckConstraint("status IN ('draft', 'published')", name="ck_faq_entries_status"),
    )
    op.create_index("ix_faq_entries_revision", "faq_entries", ["revision"])
    op.create_index("ix_faq_entries_category", "faq_entries", ["category"])
    op.create_table(
        "faq_entry_history",
        sa.Column("history_id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("faq_id", sa.String(64), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("snapshot", sa.JSON, nullable=False),
        sa.Column("changed_by", sa.String(100), nullable=False, server_default=""),
        sa.Column("changed_at", sa.DateTime, nullable=False),
        sa.Column("revision", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_faq_entry_history_faq_id", "faq_entry_history", ["faq_id", "version"])
    op.create_index("ix_faq_entry_history_revision", "faq_entry_history", ["revision"])
    state = op.create_table(
        "faq_state",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("revision", sa.BigInteger, nullable=False),
        sa.Column("store_id", sa.String(36), nullable=False),
    )
    op.bulk_insert(state, [{"id": 1, "revision": 0, "store_id": str(uuid.uuid4())}])


def downgrade() -> None:
    op.drop_table("faq_state")
    op.drop_index("ix_faq_entry_history_revision", "faq_entry_history")
    op.drop_index("ix_faq_entry_history_faq_id", "faq_entry_history")
    op.drop_table("faq_entry_history")
    op.drop_index("ix_faq_entries_category", "faq_entries")
    op.drop_index("ix_faq_entries_revision", "faq_entries")
    op.drop_table("faq_entries")
