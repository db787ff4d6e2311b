"""Alembic environment: uses the connection handed over by core.migrations, or sqlalchemy.url."""
from __future__ import annotations

from alembic import context
from sqlalchemy import engine_from_config, pool

from core.db import metadata
from core.settings import load_settings

# Revisions are written by hand with op.* and import no table module, so the base layer migrates
# every table without knowing the libraries that define them. `metadata` holds the tables of the
# modules imported so far; it is given to Alembic for comparison only.

config = context.config


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = config.get_main_option("sqlalchemy.url")
    if not url:
        url = load_settings().db_url
    engine = engine_from_config(
        {"sqlalchemy.url": url}, prefix="sqlalchemy.", poolclass=pool.NullPool
    )
    with engine.begin() as conn:
        _run(conn)


if context.is_offline_mode():
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=metadata,
        literal_binds=True,
    )
    with context.begin_transaction():
        context.run_migrations()
else:
    run_migrations_online()
