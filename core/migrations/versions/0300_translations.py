"""FAQ entries in the residents' languages: curated translations (question, answer, short answer
per language, as JSON) and the answer in やさしい日本語.

Revision ID: 0300_translations
Revises: 0210_inbox
Create Date: 2026-12-06
"""
import sqlalchemy as sa
from alembic import op

revision = "0300_translations"
down_revision = "0210_inbox"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("faq_entries") as batch:
        batch.add_column(sa.Column("translations", sa.JSON, nullable=False, server_default="{}"))
        batch.add_column(sa.Column("easy_ja", sa.Text, nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("faq_entries") as batch:
        batch.drop_column("easy_ja")
        batch.drop_column("translations")
