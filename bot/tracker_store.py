"""Rasa's SQL tracker store, with SQLite in write-ahead-log mode.

Rasa's tracker store is synchronous: while SQLite waits for the disk on a commit, the whole
Rasa server waits. In WAL mode with synchronous=NORMAL a commit appends to the log without an
fsync (the database stays consistent; a power cut may lose the last turns), readers do not block
the writer, and several Rasa workers can share the file. PostgreSQL is used as it is.
"""
from __future__ import annotations

import sqlite3
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm
from rasa.core.tracker_store import SQLTrackerStore
from sqlalchemy import event
from sqlalchemy.pool import QueuePool

BUSY_TIMEOUT_MS = 10_000
SQLITE_POOL_SIZE = 4


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cursor.close()


class MadoguchiTrackerStore(SQLTrackerStore):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.engine.dialect.name == "sqlite":
            # SQLAlchemy 1.4 opens and closes a new SQLite connection for every session of a
            # file database (NullPool); keeping a few open saves the connect and the pragmas
            # on each of a turn's reads and writes.
            url = self.engine.url
            self.engine.dispose()
            self.engine = sa.create_engine(
                url, poolclass=QueuePool, pool_size=SQLITE_POOL_SIZE, max_overflow=SQLITE_POOL_SIZE,
                connect_args={"check_same_thread": False},
            )
            event.listen(self.engine, "connect", _sqlite_pragmas)
            self.sessionmaker = sa.orm.sessionmaker(bind=self.engine)
