"""Database tables of the documents (SQLAlchemy Core), shared by the store and the migration
`core/migrations/versions/0400_documents.py` (the app database has one Alembic history)."""
from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

# One file or page. id: its URL when known, else its path under the imported folder, without
# the extension.
doc_sources = sa.Table(
    "doc_sources",
    metadata,
    sa.Column("id", sa.String(500), primary_key=True),
    sa.Column("origin", sa.String(1000), nullable=False, server_default=""),  # the folder imported
    sa.Column("path", sa.String(1000), nullable=False, server_default=""),  # the file
    sa.Column("url", sa.String(1000), nullable=False, server_default=""),
    sa.Column("title", sa.String(500), nullable=False, server_default=""),
    sa.Column("kind", sa.String(10), nullable=False),  # html pdf docx xlsx txt
    sa.Column("content_hash", sa.String(64), nullable=False),
    sa.Column("size", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("modified_at", sa.DateTime, nullable=True),  # the page's last-modified date
    sa.Column("read_at", sa.DateTime, nullable=False),
    sa.Column("status", sa.String(16), nullable=False, server_default="published"),
    sa.Column("publish_end", sa.DateTime, nullable=True),  # naive UTC; not answered from then on
    sa.Column("passage_count", sa.Integer, nullable=False, server_default="0"),
    sa.Column("revision", sa.BigInteger, nullable=False),
    sa.CheckConstraint("status IN ('published', 'unpublished')", name="ck_doc_sources_status"),
    sa.Index("ix_doc_sources_path", "path"),
)

doc_passages = sa.Table(
    "doc_passages",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("source_id", sa.String(500), nullable=False),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("heading", sa.String(1000), nullable=False, server_default=""),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("page", sa.Integer, nullable=True),
    sa.Index("ix_doc_passages_source", "source_id", "position"),
)

# The last failure reading a file (cleared when it is read again successfully).
doc_import_errors = sa.Table(
    "doc_import_errors",
    metadata,
    sa.Column("path", sa.String(1000), primary_key=True),
    sa.Column("origin", sa.String(1000), nullable=False, server_default=""),
    sa.Column("source_id", sa.String(500), nullable=False, server_default=""),
    sa.Column("error", sa.Text, nullable=False),
    sa.Column("at", sa.DateTime, nullable=False),
)

# One row: the write counter (the passage index catches up from it) and the store's identity.
doc_state = sa.Table(
    "doc_state",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("revision", sa.BigInteger, nullable=False),
    sa.Column("store_id", sa.String(36), nullable=False),
)
