"""Sources, passages and import errors in the app database (SQLite or PostgreSQL)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Dict, Iterable, List, Optional, Sequence

import sqlalchemy as sa

from core import migrations
from core.db import make_engine

from documents.models import doc_import_errors, doc_passages, doc_sources, doc_state
from documents.passages import Passage


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


@dataclass(frozen=True)
class Source:
    id: str
    origin: str
    path: str
    url: str
    title: str
    kind: str
    content_hash: str
    size: int
    modified_at: Optional[datetime]
    read_at: datetime
    status: str
    publish_end: Optional[datetime]
    passage_count: int
    revision: int

    def is_live(self, now: Optional[datetime] = None) -> bool:
        """Residents may be answered from it: published and not expired."""
        now = now or utcnow()
        return self.status == "published" and (self.publish_end is None or now < self.publish_end)

    def to_dict(self) -> Dict[str, Any]:
        out = dict(self.__dict__)
        for key in ("modified_at", "read_at", "publish_end"):
            out[key] = out[key].isoformat() if out[key] else None
        return out


@dataclass(frozen=True)
class StoredPassage:
    id: int
    source_id: str
    position: int
    heading: str
    text: str
    page: Optional[int]


@dataclass(frozen=True)
class ImportError_:
    path: str
    origin: str
    source_id: str
    error: str
    at: datetime


class DocumentStore:
    """Opening it upgrades the app database's schema to head (one Alembic history with the FAQ)."""

    def __init__(self, url: str, *, migrate: bool = True, engine: Optional[sa.Engine] = None) -> None:
        self.url = url
        self.engine = engine or make_engine(url)
        self._own_engine = engine is None
        if migrate:
            migrations.upgrade(self.engine)
        self._store_id: Optional[str] = None

    def close(self) -> None:
        if self._own_engine:
            self.engine.dispose()

    # ---- state --------------------------------------------------------------------------

    def revision(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(sa.select(doc_state.c.revision)).scalar_one())

    @property
    def store_id(self) -> str:
        if self._store_id is None:
            with self.engine.connect() as conn:
                self._store_id = str(conn.execute(sa.select(doc_state.c.store_id)).scalar_one())
        return self._store_id

    @staticmethod
    def _bump(conn: sa.Connection) -> int:
        conn.execute(sa.update(doc_state).values(revision=doc_state.c.revision + 1))
        return int(conn.execute(sa.select(doc_state.c.revision)).scalar_one())

    # ---- reading ------------------------------------------------------------------------

    def sources(self, origin: Optional[str] = None) -> List[Source]:
        query = sa.select(doc_sources).order_by(doc_sources.c.id)
        if origin is not None:
            query = query.where(doc_sources.c.origin == origin)
        with self.engine.connect() as conn:
            return [Source(**row._mapping) for row in conn.execute(query)]

    def _one(self, condition: Any) -> Optional[Source]:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(doc_sources).where(condition)).first()
        return Source(**row._mapping) if row else None

    def get(self, source_id: str) -> Optional[Source]:
        return self._one(doc_sources.c.id == source_id)

    def by_path(self, path: str) -> Optional[Source]:
        return self._one(doc_sources.c.path == path)

    def passages(self, source_ids: Optional[Sequence[str]] = None) -> List[StoredPassage]:
        query = sa.select(doc_passages).order_by(doc_passages.c.source_id, doc_passages.c.position)
        out: List[StoredPassage] = []
        with self.engine.connect() as conn:
            if source_ids is None:
                return [StoredPassage(**row._mapping) for row in conn.execute(query)]
            ids = list(source_ids)
            for start in range(0, len(ids), 500):
                chunk = ids[start:start + 500]
                rows = conn.execute(query.where(doc_passages.c.source_id.in_(chunk)))
                out.extend(StoredPassage(**row._mapping) for row in rows)
        return out

    def errors(self, origin: Optional[str] = None) -> List[ImportError_]:
        query = sa.select(doc_import_errors).order_by(doc_import_errors.c.path)
        if origin is not None:
            query = query.where(doc_import_errors.c.origin == origin)
        with self.engine.connect() as conn:
            return [ImportError_(**row._mapping) for row in conn.execute(query)]

    def count(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(sa.select(sa.func.count()).select_from(doc_sources)).scalar_one())

    # ---- writing ------------------------------------------------------------------------

    def save(self, fields: Dict[str, Any], passages: Sequence[Passage]) -> Source:
        """Inserts or replaces a source and all its passages, and clears the file's error."""
        with self.engine.begin() as conn:
            revision = self._bump(conn)
            values = dict(fields, passage_count=len(passages), revision=revision,
                          read_at=fields.get("read_at") or utcnow())
            source_id = values["id"]
            exists = conn.execute(sa.select(doc_sources.c.id).where(doc_sources.c.id == source_id)).first()
            if exists:  # staff's unpublish stays unless the caller sets a status
                conn.execute(sa.update(doc_sources).where(doc_sources.c.id == source_id).values(**values))
            else:
                conn.execute(sa.insert(doc_sources).values(**values))
            conn.execute(sa.delete(doc_passages).where(doc_passages.c.source_id == source_id))
            if passages:
                conn.execute(sa.insert(doc_passages), [
                    {"source_id": source_id, "position": n, "heading": p.heading[:1000],
                     "text": p.text, "page": p.page}
                    for n, p in enumerate(passages)
                ])
            if values.get("path"):
                conn.execute(sa.delete(doc_import_errors).where(doc_import_errors.c.path == values["path"]))
        return self.get(source_id)  # type: ignore[return-value]

    def touch(self, source_id: str) -> None:
        """An unchanged file was read again: only its read_at changes (no new revision)."""
        with self.engine.begin() as conn:
            conn.execute(sa.update(doc_sources).where(doc_sources.c.id == source_id).values(read_at=utcnow()))

    def record_error(self, path: str, error: str, *, origin: str = "", source_id: str = "") -> None:
        with self.engine.begin() as conn:
            conn.execute(sa.delete(doc_import_errors).where(doc_import_errors.c.path == path))
            conn.execute(sa.insert(doc_import_errors).values(
                path=path, origin=origin, source_id=source_id, error=error[:2000], at=utcnow()))

    def clear_errors(self, paths: Iterable[str]) -> None:
        paths = list(paths)
        if paths:
            with self.engine.begin() as conn:
                conn.execute(sa.delete(doc_import_errors).where(doc_import_errors.c.path.in_(paths)))

    def remove(self, source_id: str) -> bool:
        with self.engine.begin() as conn:
            found = conn.execute(sa.delete(doc_sources).where(doc_sources.c.id == source_id)).rowcount
            conn.execute(sa.delete(doc_passages).where(doc_passages.c.source_id == source_id))
            conn.execute(sa.delete(doc_import_errors).where(doc_import_errors.c.source_id == source_id))
            if found:
                self._bump(conn)
        return bool(found)

    def set_status(self, source_id: str, status: str) -> bool:
        if status not in ("published", "unpublished"):
            raise ValueError(f"unknown status {status!r}")
        with self.engine.begin() as conn:
            found = conn.execute(
                sa.update(doc_sources).where(doc_sources.c.id == source_id).values(status=status)
            ).rowcount
            if found:
                revision = self._bump(conn)
                conn.execute(sa.update(doc_sources).where(doc_sources.c.id == source_id).values(revision=revision))
        return bool(found)
