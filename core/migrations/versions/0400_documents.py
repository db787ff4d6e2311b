"""The city's pages and files as answer sources: sources, their passages, import errors.

Revision ID: 0400_documents
Revises: 0210_inbox
Create Date: 2026-12-06
"""
import uuid

import sqlalchemy as sa
from alembic import op

revision = "0400_documents"
down_revision = "0300_translations"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "doc_sources",
        sa.Column("id", sa.String(500), primary_key=True),
        sa.Column("origin", sa.String(1000), nullable=False, server_default=""),
        sa.Column("path", sa.String(1000), nullable=False, server_default=""),
        sa.Column("url", sa.String(1000), nullable=False, server_default=""),
        sa.Column("title", sa.String(500), nullable=False, server_default=""),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("size", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("modified_at", sa.DateTime, nullable=True),
        sa.Column("read_at", sa.DateTime, nullable=False),
        sa.Column("status", sa.String(16), nullable=False, server_default="published"),
        sa.Column("publish_end", sa.DateTime, nullable=True),
        sa.Column("passage_count", sa.Integer, nullable=False, server_default="0"),
        sa.Column("revision", sa.BigInteger, nullable=False),
        sa.CheckConstraint("status IN ('published', 'unpublished')", name="ck_doc_sources_status"),
    )
    op.create_index("ix_doc_sources_path", "doc_sources", ["path"])
    op.create_table(
        "doc_passages",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("source_id", sa.String(500), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("heading", sa.String(1000), nullable=False, server_default=""),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("page", sa.Integer, nullable=True),
    )
    op.create_index("ix_doc_passages_source", "doc_passages", ["source_id", "position"])
    op.create_table(
        "doc_import_errors",
        sa.Column("path", sa.String(1000), primary_key=True),
        sa.Column("origin", sa.String(1000), nullable=False, server_default=""),
        sa.Column("source_id", sa.String(500), nullable=False, server_default=""),
        sa.Column("error", sa.Text, nullable=False),
        sa.Column("at", sa.DateTime, nullable=False),
    )
    state = op.create_table(
        "doc_state",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("revision", sa.BigInteger, nullable=False),
        sa.Column("store_id", sa.String(36), nullable=False),
    )
    op.bulk_insert(state, [{"id": 1, "revision": 0, "store_id": str(uuid.uuid4())}])


def downgrade() -> None:
    op.drop_table("doc_state")
    op.drop_table("doc_import_errors")
    op.drop_index("ix_doc_passages_source", table_name="doc_passages")
    op.drop_table("doc_passages")
    op.drop_index("ix_doc_sources_path", table_name="doc_sources")
    op.drop_table("doc_sources")
