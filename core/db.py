"""The app database: one MetaData for every table, the engine, and (core.migrations) one Alembic history.

Each library defines its own tables on `metadata`; the migrations create them all.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa

metadata = sa.MetaData()


def _with_available_driver(u: sa.URL) -> sa.URL:
    """postgresql:// means psycopg (3) to SQLAlchemy 2.1; use psycopg2 when only it is
    installed (it is what pyproject.toml lists)."""
    if u.drivername in ("postgresql", "postgres"):
        import importlib.util

        if importlib.util.find_spec("psycopg") is None and importlib.util.find_spec("psycopg2"):
            return u.set(drivername="postgresql+psycopg2")
        return u.set(drivername="postgresql")
    return u


def make_engine(url: str, **kwargs: Any) -> sa.Engine:
    """An engine with the SQLite settings several processes need (WAL, busy timeout)."""
    u = _with_available_driver(sa.make_url(url))
    url = u
    if u.get_backend_name() == "sqlite":
        database = u.database or ""
        if database and database != ":memory:" and not database.startswith("file:"):
            Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        if not database or database == ":memory:":
            kwargs.setdefault("poolclass", sa.pool.StaticPool)
        connect_args = kwargs.setdefault("connect_args", {})
        connect_args.setdefault("timeout", 30)
        connect_args.setdefault("check_same_thread", False)
        engine = sa.create_engine(url, **kwargs)

        @sa.event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn, _record):  # noqa: ANN001
            cur = dbapi_conn.cursor()
            if database and database != ":memory:":
                cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return sa.create_engine(url, **kwargs)
