"""Alembic migrations of the FAQ store. Run through core.migrations.upgrade() or `madoguchi faq migrate`."""
from __future__ import annotations

import contextlib
import logging
from pathlib import Path
from typing import Iterator

import sqlalchemy as sa

MIGRATIONS_DIR = Path(__file__).resolve().parent
log = logging.getLogger(__name__)


def alembic_config(url: str | None = None):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    if url:
        cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def head_revision() -> str:
    with _quiet_alembic():
        from alembic.script import ScriptDirectory

        return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(engine: sa.Engine) -> str | None:
    with _quiet_alembic(), engine.connect() as conn:
        from alembic.runtime.migration import MigrationContext

        return MigrationContext.configure(conn).get_current_revision()


@contextlib.contextmanager
def _quiet_alembic() -> Iterator[None]:
    """Alembic's INFO lines (plugins, context) are noise on every start."""
    alembic_log = logging.getLogger("alembic")
    level = alembic_log.level
    if not log.isEnabledFor(logging.DEBUG):
        alembic_log.setLevel(logging.WARNING)
    try:
        yield
    finally:
        alembic_log.setLevel(level)


def upgrade(engine: sa.Engine, target: str = "head") -> bool:
    """Upgrades the database to `target`; returns True when something was applied."""
    with _quiet_alembic():
        from alembic import command

    if target == "head" and current_revision(engine) == head_revision():
        return False
    cfg = alembic_config()
    with _quiet_alembic(), engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            # Two processes opening a fresh database at once: one migrates, the other waits.
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(7305001)"))
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, target)
    log.info("database schema upgraded to %s", target)
    return True


def downgrade(engine: sa.Engine, target: str) -> None:
    from alembic import command

    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, target)
