"""Alembic migrations: opening a store upgrades to head; downgrade and upgrade again; CLI."""
from __future__ import annotations

import subprocess

import sqlalchemy as sa

from core import migrations
from core.db import make_engine
from faq.store import FaqStore
from core.settings import REPO_ROOT


def test_open_upgrades_empty_database_to_head(db_url):
    engine = make_engine(db_url)
    assert migrations.current_revision(engine) is None
    store = FaqStore(db_url)
    assert migrations.current_revision(engine) == migrations.head_revision()
    tables = set(sa.inspect(engine).get_table_names())
    assert {"faq_entries", "faq_entry_history", "faq_state", "alembic_version"} <= tables
    assert store.revision() == 0 and len(store.store_id) == 36
    # opening again applies nothing
    assert migrations.upgrade(engine) is False
    store.close()
    engine.dispose()


def test_downgrade_to_base_and_up_again(db_url):
    engine = make_engine(db_url)
    migrations.upgrade(engine)
    migrations.downgrade(engine, "base")
    assert "faq_entries" not in sa.inspect(engine).get_table_names()
    assert migrations.upgrade(engine) is True
    assert "faq_entries" in sa.inspect(engine).get_table_names()
    engine.dispose()


def test_cli_migrate(sqlite_url):
    proc = subprocess.run(
        [str(REPO_ROOT / ".venv" / "bin" / "madoguchi"), "faq", "migrate", "--db", sqlite_url],
        capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    engine = make_engine(sqlite_url)
    assert migrations.current_revision(engine) == migrations.head_revision()
    engine.dispose()
