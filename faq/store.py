"""The FAQ store: entries in SQLite or PostgreSQL through SQLAlchemy.

Every write runs in one transaction that first bumps the single revision counter (faq_state),
stamps the written row with the new revision and keeps the previous state in
faq_entry_history. The counter row also serialises writers, so revisions commit in order; the
search index asks `changes_since(its revision)` to update only what changed, from any process.

Optimistic concurrency: update/publish/unpublish/delete/revert take the version the caller
edited; if the entry has moved on since, ConflictError is raised and nothing is written.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

import sqlalchemy as sa

from core import migrations
from core.db import make_engine
from core.settings import load_settings
from faq.entry import (
    EDITABLE_FIELDS,
    FaqEntry,
    from_db,
    normalize_fields,
    to_db,
    utcnow,
    validate,
)
from faq.models import faq_entries, faq_entry_history, faq_state

log = logging.getLogger(__name__)

_E = faq_entries.c
_H = faq_entry_history.c


class FaqError(Exception):
    """Base of the store's errors; str() is a message for the staff (Japanese)."""


class NotFoundError(FaqError, KeyError):
    def __init__(self, faq_id: str) -> None:
        self.faq_id = faq_id
        super().__init__(f"FAQ「{faq_id}」は見つかりません")

    def __str__(self) -> str:  # KeyError would quote the message
        return self.args[0]


class DuplicateError(FaqError):
    def __init__(self, faq_id: str) -> None:
        self.faq_id = faq_id
        super().__init__(f"FAQ「{faq_id}」はすでにあります")


class ConflictError(FaqError):
    """The entry changed since the caller read it (stale version)."""

    def __init__(self, faq_id: str, expected_version: int, current_version: int) -> None:
        self.faq_id = faq_id
        self.expected_version = expected_version
        self.current_version = current_version
        super().__init__(
            f"FAQ「{faq_id}」は他の人が先に更新しました（編集元は版 {expected_version}、"
            f"現在は版 {current_version}）。最新の内容を読み込み直してから編集してください。"
        )


class ValidationError(FaqError, ValueError):
    def __init__(self, errors: Sequence[str], faq_id: str = "") -> None:
        self.errors = list(errors)
        self.faq_id = faq_id
        prefix = f"FAQ「{faq_id}」: " if faq_id else ""
        super().__init__(prefix + "、".join(self.errors))


@dataclass(frozen=True)
class HistoryRecord:
    faq_id: str
    version: int  # version of `entry`, the state before the change
    action: str  # the change that replaced it: update, publish, unpublish, delete, revert, import
    entry: FaqEntry
    changed_by: str
    changed_at: datetime


@dataclass(frozen=True)
class Changes:
    revision: int  # the store's revision when read; pass it to the next changes_since
    upserted: Tuple[FaqEntry, ...] = ()
    deleted: Tuple[str, ...] = ()


@dataclass
class ImportSummary:
    created: List[str] = field(default_factory=list)
    updated: List[str] = field(default_factory=list)
    unchanged: List[str] = field(default_factory=list)


def _row_to_entry(row: Any) -> FaqEntry:
    return FaqEntry(
        id=row.id,
        question=row.question,
        alternatives=tuple(row.alternatives or ()),
        answer=row.answer,
        short_answer=row.short_answer or "",
        category=row.category or "",
        department=row.department or "",
        phone=row.phone or "",
        url=row.url or "",
        keywords=tuple(row.keywords or ()),
        publish_start=from_db(row.publish_start),
        publish_end=from_db(row.publish_end),
        status=row.status,
        translations=tuple(sorted((row.translations or {}).items())),
        easy_ja=row.easy_ja or "",
        updated_by=row.updated_by or "",
        updated_at=from_db(row.updated_at),
        created_at=from_db(row.created_at),
        version=row.version,
    )


def _entry_values(entry: FaqEntry) -> Dict[str, Any]:
    return {
        "question": entry.question,
        "alternatives": list(entry.alternatives),
        "answer": entry.answer,
        "short_answer": entry.short_answer,
        "category": entry.category,
        "department": entry.department,
        "phone": entry.phone,
        "url": entry.url,
        "keywords": list(entry.keywords),
        "publish_start": to_db(entry.publish_start),
        "publish_end": to_db(entry.publish_end),
        "status": entry.status,
        "translations": dict(entry.translations),
        "easy_ja": entry.easy_ja,
    }


def _same_content(a: FaqEntry, b: FaqEntry) -> bool:
    return all(getattr(a, name) == getattr(b, name) for name in EDITABLE_FIELDS)


class FaqStore:
    """Create, edit, publish and list FAQ entries. Opening it upgrades the schema to head."""

    def __init__(self, url: str, *, migrate: bool = True, engine: Optional[sa.Engine] = None):
        self.url = url
        self.engine = engine or make_engine(url)
        if migrate:
            migrations.upgrade(self.engine)
        self._store_id: Optional[str] = None

    @classmethod
    def from_settings(cls, settings: Any = None, **kwargs: Any) -> "FaqStore":
        if settings is None:
            settings = load_settings()
        return cls(settings.db_url, **kwargs)

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> "FaqStore":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # ---- state ----------------------------------------------------------------------------

    def revision(self) -> int:
        """The write counter; cheap (one primary-key read)."""
        with self.engine.connect() as conn:
            return int(conn.execute(sa.select(faq_state.c.revision)).scalar_one())

    @property
    def store_id(self) -> str:
        """A random id made when the database was created (tells databases apart)."""
        if self._store_id is None:
            with self.engine.connect() as conn:
                self._store_id = str(conn.execute(sa.select(faq_state.c.store_id)).scalar_one())
        return self._store_id

    # ---- reading --------------------------------------------------------------------------

    def get(self, faq_id: str) -> Optional[FaqEntry]:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(faq_entries).where(_E.id == faq_id)).first()
        return _row_to_entry(row) if row is not None else None

    def _filters(
        self,
        status: Optional[str],
        category: Optional[str],
        department: Optional[str],
        text: Optional[str],
        searchable: Optional[bool],
        now: Optional[datetime],
    ) -> List[Any]:
        conds: List[Any] = []
        if status:
            conds.append(_E.status == status)
        if category:
            conds.append(_E.category == category)
        if department:
            conds.append(_E.department == department)
        if text:
            like = f"%{text}%"
            conds.append(sa.or_(_E.id == text, _E.question.like(like), _E.answer.like(like)))
        if searchable is not None:
            at = to_db(now) if now is not None else to_db(utcnow())
            live = sa.and_(
                _E.status == "published",
                sa.or_(_E.publish_start.is_(None), _E.publish_start <= at),
                sa.or_(_E.publish_end.is_(None), _E.publish_end > at),
            )
            conds.append(live if searchable else sa.not_(live))
        return conds

    def list(
        self,
        *,
        status: Optional[str] = None,
        category: Optional[str] = None,
        department: Optional[str] = None,
        text: Optional[str] = None,
        searchable: Optional[bool] = None,
        now: Optional[datetime] = None,
        order_by: str = "id",
        limit: Optional[int] = None,
        offset: int = 0,
    ) -> List[FaqEntry]:
        """Entries matching every given filter. `text` matches id, question or answer;
        `searchable=True` keeps published entries inside their window (at `now`)."""
        order = {"id": _E.id, "updated_at": _E.updated_at.desc(), "category": _E.category}
        query = sa.select(faq_entries).where(
            *self._filters(status, category, department, text, searchable, now)
        )
        query = query.order_by(order.get(order_by, _E.id), _E.id).offset(offset)
        if limit is not None:
            query = query.limit(limit)
        with self.engine.connect() as conn:
            return [_row_to_entry(r) for r in conn.execute(query)]

    def count(self, **filters: Any) -> int:
        conds = self._filters(
            filters.get("status"),
            filters.get("category"),
            filters.get("department"),
            filters.get("text"),
            filters.get("searchable"),
            filters.get("now"),
        )
        with self.engine.connect() as conn:
            return int(
                conn.execute(sa.select(sa.func.count()).select_from(faq_entries).where(*conds))
                .scalar_one()
            )

    def iter_all(self, batch_size: int = 2000) -> Iterable[FaqEntry]:
        with self.engine.connect() as conn:
            result = conn.execution_options(yield_per=batch_size).execute(
                sa.select(faq_entries).order_by(_E.id)
            )
            for row in result:
                yield _row_to_entry(row)

    def changes_since(self, revision: int) -> Changes:
        """Entries written and ids deleted after `revision` (idempotent to apply twice)."""
        with self.engine.connect() as conn:
            current = int(conn.execute(sa.select(faq_state.c.revision)).scalar_one())
            if current == revision:
                return Changes(revision=current)
            rows = conn.execute(
                sa.select(faq_entries).where(_E.revision > revision).order_by(_E.id)
            ).all()
            deleted = conn.execute(
                sa.select(_H.faq_id)
                .where(_H.revision > revision, _H.action == "delete")
                .distinct()
            ).scalars().all()
        upserted = tuple(_row_to_entry(r) for r in rows)
        alive = {e.id for e in upserted}
        # An id deleted and then created again is an upsert.
        gone = tuple(sorted(set(deleted) - alive))
        return Changes(revision=current, upserted=upserted, deleted=gone)

    def history(self, faq_id: str) -> List[HistoryRecord]:
        """Earlier states of an entry, newest first."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.select(faq_entry_history)
                .where(_H.faq_id == faq_id)
                .order_by(_H.history_id.desc())
            ).all()
        return [
            HistoryRecord(
                faq_id=r.faq_id,
                version=r.version,
                action=r.action,
                entry=FaqEntry.from_dict(r.snapshot),
                changed_by=r.changed_by or "",
                changed_at=from_db(r.changed_at),
            )
            for r in rows
        ]

    def version_of(self, faq_id: str, version: int) -> Optional[FaqEntry]:
        """The entry as it was at `version` (current or from the history)."""
        current = self.get(faq_id)
        if current is not None and current.version == version:
            return current
        for record in self.history(faq_id):
            if record.version == version:
                return record.entry
        return None

    # ---- writing --------------------------------------------------------------------------

    def _write(
        self, fn: Callable[[sa.Connection, int, datetime], Any], dry_run: bool = False
    ) -> Any:
        """Runs fn(conn, new_revision, now) in one transaction after bumping the counter.
        The counter update comes first: it takes the write lock before anything is read."""
        with self.engine.connect() as conn:
            with conn.begin() as trans:
                conn.execute(
                    sa.update(faq_state)
                    .where(faq_state.c.id == 1)
                    .values(revision=faq_state.c.revision + 1)
                )
                revision = int(conn.execute(sa.select(faq_state.c.revision)).scalar_one())
                result = fn(conn, revision, utcnow())
                if dry_run:
                    trans.rollback()
            return result

    @staticmethod
    def _load(conn: sa.Connection, faq_id: str) -> Optional[FaqEntry]:
        query = sa.select(faq_entries).where(_E.id == faq_id)
        if conn.dialect.name == "postgresql":
            query = query.with_for_update()
        row = conn.execute(query).first()
        return _row_to_entry(row) if row is not None else None

    @staticmethod
    def _next_version(conn: sa.Connection, faq_id: str) -> int:
        """1 for a new id; after a delete, carries on from the history (revert stays sane)."""
        last = conn.execute(
            sa.select(sa.func.max(_H.version)).where(_H.faq_id == faq_id)
        ).scalar()
        return int(last or 0) + 1

    @staticmethod
    def _build(base: Optional[FaqEntry], data: Mapping[str, Any], faq_id: str) -> FaqEntry:
        unknown = set(data) - set(EDITABLE_FIELDS) - {"id"}
        if unknown:
            raise ValueError(f"unknown or read-only fields: {sorted(unknown)}")
        values = normalize_fields(data)
        values.pop("id", None)
        if base is None:
            values.setdefault("status", "draft")
            entry = FaqEntry(id=faq_id, question="", answer="")
            return entry.replace(**values)
        return base.replace(**values)

    def _insert(
        self, conn: sa.Connection, entry: FaqEntry, revision: int, now: datetime, by: str
    ) -> FaqEntry:
        version = self._next_version(conn, entry.id)
        conn.execute(
            sa.insert(faq_entries).values(
                id=entry.id,
                **_entry_values(entry),
                updated_by=by,
                updated_at=to_db(now),
                created_at=to_db(now),
                version=version,
                revision=revision,
            )
        )
        return entry.replace(updated_by=by, updated_at=now, created_at=now, version=version)

    def _replace(
        self,
        conn: sa.Connection,
        current: FaqEntry,
        new: FaqEntry,
        action: str,
        revision: int,
        now: datetime,
        by: str,
    ) -> FaqEntry:
        conn.execute(
            sa.insert(faq_entry_history).values(
                faq_id=current.id,
                version=current.version,
                action=action,
                snapshot=current.to_dict(),
                changed_by=by,
                changed_at=to_db(now),
                revision=revision,
            )
        )
        result = conn.execute(
            sa.update(faq_entries)
            .where(_E.id == current.id, _E.version == current.version)
            .values(
                **_entry_values(new),
                updated_by=by,
                updated_at=to_db(now),
                version=current.version + 1,
                revision=revision,
            )
        )
        if result.rowcount != 1:  # changed under us (cannot happen while we hold the lock)
            raise ConflictError(current.id, current.version, current.version + 1)
        return new.replace(updated_by=by, updated_at=now, version=current.version + 1)

    def create(self, data: Mapping[str, Any], *, by: str = "") -> FaqEntry:
        """A new entry; `data` holds id and the editable fields (status defaults to draft)."""
        faq_id = normalize_fields({"id": data.get("id", "")})["id"]
        entry = self._build(None, data, faq_id)
        errors = validate(entry)
        if errors:
            raise ValidationError(errors, faq_id)

        def fn(conn: sa.Connection, revision: int, now: datetime) -> FaqEntry:
            if self._load(conn, faq_id) is not None:
                raise DuplicateError(faq_id)
            return self._insert(conn, entry, revision, now, by)

        return self._write(fn)

    def update(
        self,
        faq_id: str,
        changes: Mapping[str, Any],
        *,
        expected_version: int,
        by: str = "",
        action: str = "update",
    ) -> FaqEntry:
        """Changes some fields. Raises ConflictError if the entry is no longer at
        `expected_version`, NotFoundError, ValidationError. A change to identical content
        keeps the version."""

        def fn(conn: sa.Connection, revision: int, now: datetime) -> FaqEntry:
            current = self._load(conn, faq_id)
            if current is None:
                raise NotFoundError(faq_id)
            if current.version != expected_version:
                raise ConflictError(faq_id, expected_version, current.version)
            new = self._build(current, changes, faq_id)
            errors = validate(new)
            if errors:
                raise ValidationError(errors, faq_id)
            if _same_content(current, new):
                return current
            return self._replace(conn, current, new, action, revision, now, by)

        return self._write(fn)

    def publish(
        self,
        faq_id: str,
        *,
        expected_version: int,
        by: str = "",
        start: Any = ...,
        end: Any = ...,
    ) -> FaqEntry:
        """Publishes; `start`/`end` set the window when given (None clears a bound)."""
        changes: Dict[str, Any] = {"status": "published"}
        if start is not ...:
            changes["publish_start"] = start
        if end is not ...:
            changes["publish_end"] = end
        return self.update(
            faq_id, changes, expected_version=expected_version, by=by, action="publish"
        )

    def unpublish(self, faq_id: str, *, expected_version: int, by: str = "") -> FaqEntry:
        return self.update(
            faq_id, {"status": "draft"}, expected_version=expected_version, by=by,
            action="unpublish",
        )

    def revert(
        self, faq_id: str, to_version: int, *, expected_version: int, by: str = ""
    ) -> FaqEntry:
        """Makes a new version whose content is that of `to_version`."""
        old = self.version_of(faq_id, to_version)
        if old is None:
            raise FaqError(f"FAQ「{faq_id}」の版 {to_version} は履歴にありません")
        content = {name: getattr(old, name) for name in EDITABLE_FIELDS}
        return self.update(
            faq_id, content, expected_version=expected_version, by=by, action="revert"
        )

    def delete(self, faq_id: str, *, expected_version: int, by: str = "") -> None:
        """Removes the entry; its last state stays in the history."""

        def fn(conn: sa.Connection, revision: int, now: datetime) -> None:
            current = self._load(conn, faq_id)
            if current is None:
                raise NotFoundError(faq_id)
            if current.version != expected_version:
                raise ConflictError(faq_id, expected_version, current.version)
            conn.execute(
                sa.insert(faq_entry_history).values(
                    faq_id=faq_id,
                    version=current.version,
                    action="delete",
                    snapshot=current.to_dict(),
                    changed_by=by,
                    changed_at=to_db(now),
                    revision=revision,
                )
            )
            conn.execute(
                sa.delete(faq_entries).where(
                    _E.id == faq_id, _E.version == expected_version
                )
            )

        self._write(fn)

    def import_entries(
        self,
        rows: Sequence[Tuple[Mapping[str, Any], Optional[int]]],
        *,
        by: str = "",
        dry_run: bool = False,
    ) -> ImportSummary:
        """Creates or updates many entries in one transaction (all or nothing).

        `rows` holds (fields with id, expected version or None). Fields not given keep their
        value for an existing entry. Raises ValidationError/ConflictError before committing
        anything; the CSV importer validates first so that it can report every bad row.
        """
        summary = ImportSummary()

        def fn(conn: sa.Connection, revision: int, now: datetime) -> ImportSummary:
            existing: Dict[str, FaqEntry] = {}
            past: Dict[str, int] = {}  # highest version in the history (deleted ids)
            ids = [normalize_fields({"id": d.get("id", "")})["id"] for d, _ in rows]
            for start in range(0, len(ids), 500):
                chunk = ids[start : start + 500]
                for row in conn.execute(sa.select(faq_entries).where(_E.id.in_(chunk))):
                    existing[row.id] = _row_to_entry(row)
                past.update(
                    conn.execute(
                        sa.select(_H.faq_id, sa.func.max(_H.version))
                        .where(_H.faq_id.in_(chunk))
                        .group_by(_H.faq_id)
                    ).all()
                )
            inserts: List[Dict[str, Any]] = []
            for (data, expected), faq_id in zip(rows, ids):
                current = existing.get(faq_id)
                fields_only = {k: v for k, v in data.items() if k != "id"}
                if current is None:
                    entry = self._build(None, fields_only, faq_id)
                    if "status" not in data:
                        entry = entry.replace(status="published")
                    errors = validate(entry)
                    if errors:
                        raise ValidationError(errors, faq_id)
                    inserts.append(
                        {
                            "id": faq_id,
                            **_entry_values(entry),
                            "updated_by": by,
                            "updated_at": to_db(now),
                            "created_at": to_db(now),
                            "version": int(past.get(faq_id) or 0) + 1,
                            "revision": revision,
                        }
                    )
                    summary.created.append(faq_id)
                    continue
                if expected is not None and current.version != expected:
                    raise ConflictError(faq_id, expected, current.version)
                new = self._build(current, fields_only, faq_id)
                errors = validate(new)
                if errors:
                    raise ValidationError(errors, faq_id)
                if _same_content(current, new):
                    summary.unchanged.append(faq_id)
                    continue
                self._replace(conn, current, new, "import", revision, now, by)
                summary.updated.append(faq_id)
            if inserts:
                conn.execute(sa.insert(faq_entries), inserts)
            return summary

        return self._write(fn, dry_run=dry_run)
