"""The inbox of questions the bot could not answer confidently (未回答・低評価), grouped by meaning.

An inquiry is in the inbox when its decision was none / suggest / out_of_scope / error, or the
resident answered 「解決しなかった」 (resolved False), and no staff member has handled it yet.
Texts are embedded with the FAQ search's encoder (cached in `inquiry_embeddings`) and grouped
by average-linkage clustering on cosine similarity: two groups merge while the mean similarity
between their texts is at least the threshold (MADOGUCHI_INBOX_SIMILARITY).

From a group, staff create a new FAQ entry or add the texts as phrasings (言い換え) of an
existing one, or dismiss it (対応不要); its inquiries are then recorded in `inbox_handled`.
"""
from __future__ import annotations

import hashlib
import logging
import threading
from collections import Counter, OrderedDict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

import numpy as np
import sqlalchemy as sa

from console.period import Period
from console.tables import inbox_handled, inquiry_embeddings
from core.settings import read, share
from faq.entry import clean_text
from faq.store import NotFoundError
from records.store import inquiries, utcnow

log = logging.getLogger(__name__)

UNANSWERED = ("none", "suggest", "out_of_scope", "error")
# Measured with multilingual-e5-small on the sample FAQ's questions, phrasings and single-answer
# dev queries (1,608 texts of 320 entries): at 0.92, 85 % of the pairs put in one group share a
# category and 42 % the same entry (0.90: 72 % / 24 %, groups of a whole topic such as 児童手当;
# 0.94: 58 % same entry but most paraphrases apart). Splitting a question into two groups costs
# less than mixing two questions in one FAQ, hence the high value.
DEFAULT_SIMILARITY = 0.92
# Distinct texts clustered exactly (average linkage is O(n^2) in memory); the rarer rest
# joins the nearest group or stays alone.
MAX_CLUSTERED = 4000
SAMPLES = 5

DECISION_LABELS = {
    "none": "該当なし",
    "suggest": "候補を提示",
    "out_of_scope": "対象外",
    "error": "エラー",
    "unresolved": "解決しなかった",
}
ACTION_LABELS = {"new_faq": "新しいFAQを作成", "phrasings": "言い換えとして追加", "dismissed": "対応不要"}


def similarity_threshold(env: Optional[Mapping[str, str]] = None) -> float:
    return read("MADOGUCHI_INBOX_SIMILARITY", DEFAULT_SIMILARITY, share, env)


@dataclass(frozen=True)
class InboxItem:
    id: int
    conversation_id: str
    channel: str
    text: str
    decision: str
    resolved: Optional[bool]
    candidates: Tuple[str, ...]
    created_at: datetime  # naive UTC

    @property
    def reason(self) -> str:
        return "unresolved" if self.resolved is False else self.decision


@dataclass
class Group:
    representative: str
    items: List[InboxItem]
    texts: List[Tuple[str, int]]  # distinct texts, most frequent first
    candidates: List[Tuple[str, int]] = field(default_factory=list)  # FAQ ids the bot offered

    @property
    def count(self) -> int:
        return len(self.items)

    @property
    def inquiry_ids(self) -> List[int]:
        return sorted(item.id for item in self.items)

    @property
    def key(self) -> str:
        return f"g{min(item.id for item in self.items)}"

    @property
    def last_seen(self) -> datetime:
        return max(item.created_at for item in self.items)

    @property
    def first_seen(self) -> datetime:
        return min(item.created_at for item in self.items)

    @property
    def channels(self) -> List[Tuple[str, int]]:
        return Counter(item.channel for item in self.items).most_common()

    @property
    def reasons(self) -> List[Tuple[str, int]]:
        return Counter(item.reason for item in self.items).most_common()

    @property
    def samples(self) -> List[Tuple[str, int]]:
        return self.texts[:SAMPLES]

    @property
    def phrasings(self) -> List[str]:
        """The distinct texts other than the representative."""
        return [text for text, _ in self.texts if text != self.representative]


# ---- embeddings ---------------------------------------------------------------------------


class EmbeddingCache:
    """Vectors of inquiry texts: in memory, then the database, then the encoder."""

    def __init__(self, engine: sa.Engine, encoder: Any, prefix: str = "query: ", memory: int = 50000) -> None:
        self.engine = engine
        self.encoder = encoder
        self.prefix = prefix
        self.memory = memory
        self._cache: "OrderedDict[str, np.ndarray]" = OrderedDict()
        self._lock = threading.Lock()
        self._salt: Optional[str] = None
        self.encoded = 0  # texts this cache had to encode (for tests and logs)

    def _key(self, text: str) -> str:
        if self._salt is None:
            fingerprint = getattr(self.encoder, "fingerprint", None) or repr(self.encoder)
            self._salt = f"{fingerprint}\0{self.prefix}\0"
        return hashlib.sha256((self._salt + text).encode("utf-8", "replace")).hexdigest()

    def vectors(self, texts: Sequence[str]) -> np.ndarray:
        """One L2-normalised row per text."""
        keys = [self._key(t) for t in texts]
        found: Dict[str, np.ndarray] = {}
        with self._lock:
            for key in keys:
                vec = self._cache.get(key)
                if vec is not None:
                    found[key] = vec
        wanted = sorted({k for k in keys if k not in found})
        if wanted:
            with self.engine.connect() as conn:
                for start in range(0, len(wanted), 500):
                    chunk = wanted[start : start + 500]
                    rows = conn.execute(
                        sa.select(inquiry_embeddings.c.key, inquiry_embeddings.c.vector).where(
                            inquiry_embeddings.c.key.in_(chunk)
                        )
                    )
                    for key, blob in rows:
                        found[key] = np.frombuffer(bytes(blob), dtype=np.float32)
        missing: Dict[str, str] = {}
        for key, text in zip(keys, texts):
            if key not in found:
                missing[key] = text
        if missing:
            new_keys = list(missing)
            vecs = self.encoder.encode([self.prefix + missing[k] for k in new_keys])
            self.encoded += len(new_keys)
            now = utcnow()
            rows = []
            for key, vec in zip(new_keys, vecs):
                vec = np.asarray(vec, dtype=np.float32)
                found[key] = vec
                rows.append({"key": key, "vector": vec.tobytes(), "created_at": now})
            self._store(rows)
        with self._lock:
            for key in keys:
                self._cache[key] = found[key]
                self._cache.move_to_end(key)
            while len(self._cache) > self.memory:
                self._cache.popitem(last=False)
        if not keys:
            return np.zeros((0, int(getattr(self.encoder, "dim", 0) or 0)), dtype=np.float32)
        return np.vstack([found[k] for k in keys]).astype(np.float32, copy=False)

    def _store(self, rows: List[Dict[str, Any]]) -> None:
        try:
            with self.engine.begin() as conn:
                conn.execute(inquiry_embeddings.insert(), rows)
        except sa.exc.IntegrityError:  # another process stored some of them meanwhile
            with self.engine.begin() as conn:
                present = set(
                    conn.execute(
                        sa.select(inquiry_embeddings.c.key).where(
                            inquiry_embeddings.c.key.in_([r["key"] for r in rows])
                        )
                    ).scalars()
                )
                fresh = [r for r in rows if r["key"] not in present]
                if fresh:
                    conn.execute(inquiry_embeddings.insert(), fresh)


# ---- grouping -----------------------------------------------------------------------------


def cluster(vectors: np.ndarray, threshold: float) -> List[int]:
    """Labels 0..k-1 of average-linkage clusters whose mean cosine similarity is >= threshold.

    The first MAX_CLUSTERED rows (pass the most frequent texts first) are clustered exactly;
    each further row joins the group of its most similar clustered row if that similarity is
    >= threshold, else starts its own group."""
    n = len(vectors)
    if n == 0:
        return []
    if n == 1:
        return [0]
    from scipy.cluster.hierarchy import fcluster, linkage

    head = min(n, MAX_CLUSTERED)
    vecs = np.asarray(vectors, dtype=np.float64)
    if head == 1:
        labels = [0]
    else:
        # Cosine distance on unit vectors; clip the float noise (distance must be >= 0).
        sims = np.clip(vecs[:head] @ vecs[:head].T, -1.0, 1.0)
        condensed = 1.0 - sims[np.triu_indices(head, k=1)]
        np.clip(condensed, 0.0, 2.0, out=condensed)
        tree = linkage(condensed, method="average")
        raw = fcluster(tree, t=1.0 - threshold, criterion="distance")
        labels = list(raw - 1)
    # Renumber in order of first appearance (stable, the head is ordered by frequency).
    order: Dict[int, int] = {}
    out = [order.setdefault(int(label), len(order)) for label in labels]
    if n > head:
        next_label = len(order)
        rest = vecs[head:] @ vecs[:head].T
        best = rest.argmax(axis=1)
        for i, row in enumerate(rest):
            j = int(best[i])
            if row[j] >= threshold:
                out.append(out[j])
            else:
                out.append(next_label)
                next_label += 1
    return out


class Inbox:
    """Reads the inbox and carries out the staff's actions.

    `service` is a faq.service.FaqService (its encoder, store and search are used); its
    database holds the inquiries too (one app database)."""

    def __init__(
        self,
        engine: sa.Engine,
        service: Any,
        *,
        threshold: Optional[float] = None,
        cache: Optional[EmbeddingCache] = None,
    ) -> None:
        self.engine = engine
        self.service = service
        self.threshold = similarity_threshold() if threshold is None else float(threshold)
        self._cache = cache

    @property
    def cache(self) -> EmbeddingCache:
        if self._cache is None:
            prefix = getattr(getattr(getattr(self.service, "config", None), "index", None), "query_prefix", "query: ")
            self._cache = EmbeddingCache(self.engine, self.service.encoder, prefix)
        return self._cache

    # ---- reading -------------------------------------------------------------------------

    @staticmethod
    def _eligible() -> Any:
        c = inquiries.c
        return sa.or_(c.decision.in_(UNANSWERED), c.resolved.is_(False))

    def items(self, period: Optional[Period] = None, ids: Optional[Iterable[int]] = None) -> List[InboxItem]:
        """Unhandled inbox inquiries of the period (or with these ids), oldest first."""
        c = inquiries.c
        handled = sa.select(inbox_handled.c.inquiry_id).where(inbox_handled.c.inquiry_id == c.id)
        query = (
            sa.select(c.id, c.conversation_id, c.channel, c.text, c.decision, c.resolved, c.candidates, c.created_at)
            .where(self._eligible(), ~sa.exists(handled))
            .order_by(c.created_at, c.id)
        )
        if period is not None:
            lo, hi = period.utc_bounds()
            query = query.where(c.created_at >= lo, c.created_at < hi)
        if ids is not None:
            wanted = sorted({int(i) for i in ids})
            if not wanted:
                return []
            query = query.where(c.id.in_(wanted))
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        return [
            InboxItem(
                id=int(r.id), conversation_id=r.conversation_id, channel=r.channel,
                text=(r.text or "").strip(), decision=r.decision, resolved=r.resolved,
                candidates=tuple(str(x) for x in (r.candidates or [])), created_at=r.created_at,
            )
            for r in rows
        ]

    def groups(self, period: Optional[Period] = None, limit: Optional[int] = None) -> List[Group]:
        """The inbox grouped by meaning, largest groups first."""
        return self.group_items(self.items(period), limit=limit)

    def group_items(self, items: Sequence[InboxItem], limit: Optional[int] = None) -> List[Group]:
        items = [i for i in items if i.text]
        if not items:
            return []
        by_text: Dict[str, List[InboxItem]] = {}
        for item in items:
            by_text.setdefault(item.text, []).append(item)
        # Most frequent first (exactly clustered when there are very many), then most recent.
        texts = sorted(by_text, key=lambda t: (-len(by_text[t]), -max(i.id for i in by_text[t])))
        vecs = self.cache.vectors(texts)
        labels = cluster(vecs, self.threshold)
        members: Dict[int, List[int]] = {}
        for index, label in enumerate(labels):
            members.setdefault(label, []).append(index)
        groups = []
        for rows in members.values():
            weights = np.array([len(by_text[texts[r]]) for r in rows], dtype=np.float64)
            sub = vecs[rows]
            # Representative: the text closest on average to the group's inquiries.
            centrality = (sub @ sub.T) @ weights
            best = max(range(len(rows)), key=lambda k: (centrality[k], weights[k], -len(texts[rows[k]])))
            group_items = [i for r in rows for i in by_text[texts[r]]]
            candidates: Counter = Counter()
            for item in group_items:
                candidates.update(item.candidates[:3])
            groups.append(
                Group(
                    representative=texts[rows[best]],
                    items=sorted(group_items, key=lambda i: (i.created_at, i.id)),
                    texts=sorted(
                        ((texts[r], len(by_text[texts[r]])) for r in rows), key=lambda tc: (-tc[1], tc[0])
                    ),
                    candidates=candidates.most_common(3),
                )
            )
        groups.sort(key=lambda g: (-g.count, -g.last_seen.timestamp(), g.key))
        return groups[:limit] if limit else groups

    @staticmethod
    def group_by_text(items: Sequence[InboxItem], limit: Optional[int] = None) -> List[Group]:
        """Identical texts only: the fallback when the embedding model cannot be loaded."""
        by_text: Dict[str, List[InboxItem]] = {}
        for item in items:
            if item.text:
                by_text.setdefault(item.text, []).append(item)
        groups = []
        for text, members in by_text.items():
            candidates: Counter = Counter()
            for item in members:
                candidates.update(item.candidates[:3])
            groups.append(Group(text, members, [(text, len(members))], candidates.most_common(3)))
        groups.sort(key=lambda g: (-g.count, -g.last_seen.timestamp(), g.key))
        return groups[:limit] if limit else groups

    def group_of(self, ids: Iterable[int]) -> Optional[Group]:
        """The still-unhandled inquiries among `ids` as one group (what an action works on)."""
        items = self.items(ids=ids)
        items = [i for i in items if i.text]
        if not items:
            return None
        if len(items) == 1:
            return Group(items[0].text, items, [(items[0].text, 1)], [(c, 1) for c in items[0].candidates[:3]])
        try:
            groups = self.group_items(items)
        except Exception:  # no embedding model: identical texts only
            log.exception("grouping the inbox by meaning failed")
            groups = self.group_by_text(items)
        if len(groups) == 1:
            return groups[0]
        # The threshold may have changed since the page was shown: keep them together.
        merged = [i for g in groups for i in g.items]
        texts = Counter(i.text for i in merged)
        candidates: Counter = Counter()
        for item in merged:
            candidates.update(item.candidates[:3])
        return Group(
            groups[0].representative,
            sorted(merged, key=lambda i: (i.created_at, i.id)),
            sorted(texts.items(), key=lambda tc: (-tc[1], tc[0])),
            candidates.most_common(3),
        )

    def suggest_entries(self, text: str, limit: int = 5) -> List[Any]:
        """FAQ entries to add phrasings to: the search's best matches for `text`."""
        result = self.service.search(text, top_k=limit)
        return [hit.entry for hit in result.hits[:limit]]

    def handled(self, limit: int = 50) -> List[Dict[str, Any]]:
        """The latest handled inquiries (for the page's 対応済み list)."""
        h, c = inbox_handled.c, inquiries.c
        query = (
            sa.select(h.inquiry_id, h.action, h.faq_id, h.handled_by, h.handled_at, c.text)
            .select_from(inbox_handled.join(inquiries, inquiries.c.id == h.inquiry_id))
            .order_by(h.handled_at.desc(), h.inquiry_id.desc())
            .limit(limit)
        )
        with self.engine.connect() as conn:
            return [dict(r) for r in conn.execute(query).mappings()]

    # ---- actions -------------------------------------------------------------------------

    def mark(self, ids: Iterable[int], action: str, by: str, faq_id: Optional[str] = None) -> List[int]:
        """Takes these inquiries out of the inbox; returns the ids newly marked."""
        if action not in ("new_faq", "phrasings", "dismissed"):
            raise ValueError(f"unknown inbox action {action!r}")
        wanted = sorted({int(i) for i in ids})
        if not wanted:
            return []
        now = utcnow()
        with self.engine.begin() as conn:
            present = set()
            for start in range(0, len(wanted), 500):
                present.update(
                    conn.execute(
                        sa.select(inbox_handled.c.inquiry_id).where(
                            inbox_handled.c.inquiry_id.in_(wanted[start : start + 500])
                        )
                    ).scalars()
                )
            fresh = [i for i in wanted if i not in present]
            if fresh:
                conn.execute(
                    inbox_handled.insert(),
                    [
                        {"inquiry_id": i, "action": action, "faq_id": faq_id, "handled_by": by, "handled_at": now}
                        for i in fresh
                    ],
                )
        return fresh

    def create_faq(self, ids: Iterable[int], data: Mapping[str, Any], *, by: str) -> Any:
        """A new FAQ entry (draft or published, as `data["status"]` says) from a group;
        raises the store's errors (ValidationError, DuplicateError) before marking anything."""
        ids = list(ids)
        entry = self.service.create(dict(data), by=by)
        self.mark(ids, "new_faq", by, faq_id=entry.id)
        return entry

    def add_phrasings(
        self, ids: Iterable[int], faq_id: str, texts: Sequence[str], *, expected_version: int, by: str
    ) -> Any:
        """Adds `texts` to the entry's phrasings (言い換え); ConflictError when the entry
        changed since `expected_version` was read (nothing is marked then)."""
        ids = list(ids)
        entry = self.service.get(faq_id)
        if entry is None:
            raise NotFoundError(faq_id)
        current = list(entry.alternatives)
        seen = {clean_text(t) for t in current} | {clean_text(entry.question)}
        added = []
        for text in texts:
            text = clean_text(text)
            if text and text not in seen:
                seen.add(text)
                added.append(text)
        updated = self.service.update(
            faq_id, {"alternatives": current + added}, expected_version=expected_version, by=by
        )
        self.mark(ids, "phrasings", by, faq_id=faq_id)
        return updated

    def dismiss(self, ids: Iterable[int], *, by: str) -> List[int]:
        return self.mark(ids, "dismissed", by)


def parse_ids(raw: Any) -> List[int]:
    """Inquiry ids from a form field: "1,2,3" (or a list of such strings)."""
    if raw is None:
        return []
    parts: List[str] = []
    for value in raw if isinstance(raw, (list, tuple)) else [raw]:
        parts.extend(str(value).replace(" ", ",").split(","))
    out = []
    for part in parts:
        part = part.strip()
        if part.isdigit() and len(part) < 12:
            out.append(int(part))
    return sorted(set(out))[:5000]
