"""What the dialogue records for staff: inquiries (masked questions + feedback) and tickets.

Revision ID: 0100_conversation_records
Revises: 0001_initial
Create Date: 2026-11-23
"""
import sqlalchemy as sa
from alembic import op

revision = "0100_conversation_records"
down_revision = "0001_initial"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "inquiries",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("conversation_id", sa.String(200), nullable=False),
        sa.Column("channel", sa.String(20), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("decision", sa.String(20), nullable=False),
        sa.Column("faq_id", sa.String(64), nullable=True),
        sa.Column("candidates", sa.JSON, nullable=False),
        sa.Column("top_score", sa.Float, nullable=True),
        sa.Column("resolved", sa.Boolean, nullable=True),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("feedback_at", sa.DateTime, nullable=True),
    )
    op.create_index("ix_inquiries_created_at", "inquiries", ["created_at"])
    op.create_index("ix_inquiries_conversation", "inquiries", ["conversation_id"])
    op.create_table(
        "tickets",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("conversation_id", sa.String(200), nullable=False),
        sa.Column("channel", sa.String(20), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("status", sa.String(20), nullable=False, server_default="open"),
        sa.Column("reason", sa.Text, nullable=False, server_default=""),
        sa.Column("last_query", sa.Text, nullable=False, server_default=""),
        sa.Column("candidates", sa.JSON, nullable=False),
        sa.Column("transcript", sa.JSON, nullable=False),
        sa.Column("message", sa.Text, nullable=False, server_default=""),
        sa.Column("callback", sa.String(50), nullable=False, server_default=""),
        sa.Column("recording_url", sa.String(1000), nullable=False, server_default=""),
        sa.Column("department", sa.String(200), nullable=False, server_default=""),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("taken_by", sa.String(100), nullable=True),
        sa.Column("taken_at", sa.DateTime, nullable=True),
        sa.Column("closed_by", sa.String(100), nullable=True),
        sa.Column("closed_at", sa.DateTime, nullable=True),
    )
    op.create_index("ix_tickets_status", "tickets", ["status", "created_at"])
    op.create_index("ix_tickets_conversation", "tickets", ["conversation_id"])


def downgrade() -> None:
    op.drop_table("tickets")
    op.drop_table("inquiries")
