"""Inbox and handoff pages of the staff console: handled inquiries, cached embeddings of
inquiry texts, messages exchanged after a handoff.

Revision ID: 0210_inbox
Revises: 0200_console
Create Date: 2026-12-01
"""
import sqlalchemy as sa
from alembic import op

revision = "0210_inbox"
down_revision = "0200_console"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "inbox_handled",
        sa.Column("inquiry_id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("action", sa.String(20), nullable=False),
        sa.Column("faq_id", sa.String(64), nullable=True),
        sa.Column("handled_by", sa.String(100), nullable=False),
        sa.Column("handled_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "inquiry_embeddings",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("vector", sa.LargeBinary, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "ticket_messages",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("ticket_id", sa.Integer, nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("author", sa.String(100), nullable=False, server_default=""),
        sa.Column("delivered", sa.Boolean, nullable=True),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_ticket_messages_ticket", "ticket_messages", ["ticket_id", "id"])


def downgrade() -> None:
    op.drop_table("ticket_messages")
    op.drop_table("inquiry_embeddings")
    op.drop_table("inbox_handled")
