"""The passage index: dense vectors (FAISS, one per passage) + BM25 on Sudachi terms, fused.

Each passage holds a slot. A source's passages are dropped and re-added when its file changes
(its revision in the store moves); a status or expiry change only updates the per-slot arrays.
Unpublished and expired sources are masked at query time.

Persisted as one .npz (vectors, ids, JSON metadata with each slot's passage and BM25 terms),
written atomically, with the fingerprints of the model + passage prefix and of the analyzer.
"""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np

from documents.config import DocsConfig
from documents.store import DocumentStore, Source, StoredPassage, utcnow
from faq.analysis import Analysis, TextAnalyzer
from faq.bm25 import BM25Index
from faq.index import _faiss as faq_faiss, save_npz
from faq.japanese import normalize_width

log = logging.getLogger(__name__)

FORMAT_VERSION = 1
MAX_QUERY_CHARS = 512
_INF = float("inf")


@dataclass
class SourceMeta:
    id: str
    title: str
    url: str
    content_hash: str
    revision: int
    live: bool
    publish_end: float  # timestamp, inf = open-ended
    slots: List[int]


@dataclass(frozen=True)
class PassageHit:
    passage_id: int
    source_id: str
    title: str
    url: str
    heading: str
    text: str
    page: Optional[int]
    score: float
    dense: float
    bm25: float

    def to_dict(self) -> Dict[str, Any]:
        return {
            "passage_id": self.passage_id, "doc_id": self.source_id, "title": self.title,
            "url": self.url, "heading": self.heading, "text": self.text, "page": self.page,
            "score": round(self.score, 6), "dense": round(self.dense, 6), "bm25": round(self.bm25, 6),
        }


def _faiss():
    return faq_faiss()  # one thread: see faq/index.py


class PassageIndex:
    def __init__(self, encoder: Any, analyzer: TextAnalyzer, config: DocsConfig) -> None:
        faiss = _faiss()
        self.encoder = encoder
        self.analyzer = analyzer
        self.config = config
        self.dim = int(encoder.dim)
        self.dense_fingerprint = f"{encoder.fingerprint}:{config.dense_fingerprint()}"
        self.lexical_fingerprint = analyzer.fingerprint
        self.store_id: Optional[str] = None
        self.revision = -1
        self.passages: List[Optional[StoredPassage]] = []
        self.source_of: List[str] = []
        self.free: List[int] = []
        self.sources: Dict[str, SourceMeta] = {}
        self.alive = np.zeros(0, dtype=bool)
        self.end_ts = np.zeros(0, dtype=np.float64)
        self.bm25 = BM25Index(1.2, 0.75, answer_weight=1.0, reading_weight=0.0)
        self.vectors = faiss.IndexIDMap2(faiss.IndexFlatIP(self.dim))

    def __len__(self) -> int:
        return len(self.passages) - len(self.free)

    # ---- slots -------------------------------------------------------------------------

    def _take_slots(self, n: int) -> List[int]:
        slots = [self.free.pop() for _ in range(min(n, len(self.free)))]
        start = len(self.passages)
        extra = n - len(slots)
        if extra:
            self.passages.extend([None] * extra)
            self.source_of.extend([""] * extra)
            self.alive = np.concatenate([self.alive, np.zeros(extra, dtype=bool)])
            self.end_ts = np.concatenate([self.end_ts, np.full(extra, _INF)])
            slots.extend(range(start, start + extra))
        return slots

    def _drop_source(self, source_id: str) -> None:
        meta = self.sources.pop(source_id, None)
        if meta is None or not meta.slots:
            return
        ids = np.asarray(meta.slots, dtype=np.int64)
        self.vectors.remove_ids(ids)
        for slot in meta.slots:
            self.bm25.remove(slot)
            self.passages[slot] = None
            self.source_of[slot] = ""
            self.alive[slot] = False
            self.end_ts[slot] = _INF
            self.free.append(slot)

    def _set_live(self, meta: SourceMeta) -> None:
        for slot in meta.slots:
            self.alive[slot] = meta.live
            self.end_ts[slot] = meta.publish_end

    @staticmethod
    def _meta(source: Source, slots: List[int]) -> SourceMeta:
        end = source.publish_end.timestamp() if source.publish_end else _INF
        return SourceMeta(source.id, source.title, source.url, source.content_hash, source.revision,
                          source.status == "published", end, slots)

    def dense_text(self, p: StoredPassage) -> str:
        return self.config.passage_prefix + normalize_width(f"{p.heading}\n{p.text}")

    def terms(self, p: StoredPassage) -> Tuple[List[str], List[str]]:
        heading = self.analyzer.analyze(p.heading, max_chars=0).terms
        body = self.analyzer.analyze(p.text, max_chars=0).terms
        return list(heading), list(body)

    def add_sources(self, items: Sequence[Tuple[Source, Sequence[StoredPassage]]],
                    show_progress: bool = False) -> None:
        """Indexes sources with their passages (replacing what was indexed for them)."""
        todo: List[Tuple[int, StoredPassage]] = []
        for source, passages in items:
            self._drop_source(source.id)
            slots = self._take_slots(len(passages))
            meta = self._meta(source, slots)
            self.sources[source.id] = meta
            for slot, p in zip(slots, passages):
                self.passages[slot] = p
                self.source_of[slot] = source.id
                todo.append((slot, p))
            self._set_live(meta)
        if not todo:
            return
        texts = [self.dense_text(p) for _, p in todo]
        vecs = self.encoder.encode(texts, show_progress=show_progress)
        self.vectors.add_with_ids(np.ascontiguousarray(vecs, dtype=np.float32),
                                  np.asarray([s for s, _ in todo], dtype=np.int64))
        for slot, p in todo:
            heading, body = self.terms(p)
            self.bm25.add(slot, heading, body)

    # ---- catching up with the store ----------------------------------------------------

    def sync(self, store: DocumentStore, show_progress: bool = False) -> int:
        """Brings the index to the store's revision; returns how many sources changed."""
        revision = store.revision()
        if revision == self.revision and self.store_id == store.store_id:
            return 0
        sources = {s.id: s for s in store.sources()}
        changed = 0
        for source_id in [i for i in self.sources if i not in sources]:
            self._drop_source(source_id)
            changed += 1
        to_add: List[Source] = []
        for source in sources.values():
            meta = self.sources.get(source.id)
            if meta is not None and meta.revision == source.revision:
                continue
            changed += 1
            if meta is not None and meta.content_hash == source.content_hash and \
                    len(meta.slots) == source.passage_count:
                fresh = self._meta(source, meta.slots)
                fresh.title, fresh.url = source.title, source.url
                self.sources[source.id] = fresh
                self._set_live(fresh)
                continue
            to_add.append(source)
        by_source: Dict[str, List[StoredPassage]] = {}
        for start in range(0, len(to_add), 200):
            chunk = to_add[start:start + 200]
            for p in store.passages([s.id for s in chunk]):
                by_source.setdefault(p.source_id, []).append(p)
            self.add_sources([(s, by_source.get(s.id, [])) for s in chunk], show_progress=show_progress)
        self.revision = revision
        self.store_id = store.store_id
        return changed

    # ---- query -------------------------------------------------------------------------

    def active(self, now: Optional[datetime] = None) -> np.ndarray:
        t = (now or utcnow()).timestamp()
        return self.alive & (t < self.end_ts)

    def analyze(self, text: str) -> Tuple[Analysis, Optional[str]]:
        analysis = self.analyzer.analyze(text)
        dense = normalize_width(text or "").strip()[:MAX_QUERY_CHARS]
        if not dense or not any(ch.isalnum() for ch in dense):
            return analysis, None
        return analysis, self.config.query_prefix + dense

    def encode_query(self, dense_text: Optional[str]) -> Optional[np.ndarray]:
        if dense_text is None:
            return None
        encode = getattr(self.encoder, "encode_queries", self.encoder.encode)
        return np.ascontiguousarray(encode([dense_text]), dtype=np.float32).reshape(1, -1)

    def search(self, text: str, top_k: int = 10, now: Optional[datetime] = None) -> List[PassageHit]:
        analysis, dense_text = self.analyze(text)
        return self.rank(analysis, self.encode_query(dense_text), top_k=top_k, now=now)

    def rank(self, analysis: Analysis, qvec: Optional[np.ndarray], top_k: int = 10,
             now: Optional[datetime] = None) -> List[PassageHit]:
        size = len(self.passages)
        if size == 0 or top_k <= 0:
            return []
        cfg = self.config
        n_cand = max(cfg.candidates, top_k)
        active = self.active(now)
        cand: Dict[int, None] = {}
        bm25 = np.zeros(size, dtype=np.float32)
        if analysis.terms:
            raw, ceiling = self.bm25.scores(analysis.terms, size)
            # heading + text, over the query's idf mass (as the FAQ's BM25 normalises)
            bm25 = raw[:size]
            if ceiling > 0:
                bm25 = bm25 / ceiling
            bm25 = np.where(active, bm25, 0.0).astype(np.float32)
            positive = np.flatnonzero(bm25 > 0)
            if len(positive) > n_cand:
                positive = positive[np.argpartition(-bm25[positive], n_cand - 1)[:n_cand]]
            for s in positive.tolist():
                cand[s] = None
        dense: Dict[int, float] = {}
        if qvec is not None and self.vectors.ntotal:
            k = min(self.vectors.ntotal, n_cand * 2)
            scores, ids = self.vectors.search(qvec, k)
            for score, slot in zip(scores[0].tolist(), ids[0].tolist()):
                if slot >= 0 and active[slot]:
                    dense[slot] = score
                    if len(dense) >= n_cand:
                        break
            for s in dense:
                cand[s] = None
        if not cand:
            return []
        slots = np.fromiter(cand.keys(), dtype=np.int64, count=len(cand))
        d = np.zeros(len(slots), dtype=np.float32)
        if qvec is not None:
            missing = []
            for i, s in enumerate(slots.tolist()):
                if s in dense:
                    d[i] = dense[s]
                else:
                    missing.append(i)
            if missing:
                vecs = self.vectors.reconstruct_batch(slots[missing])
                d[missing] = vecs @ qvec[0]
        b = np.minimum(bm25[slots], 1.0)
        fused = cfg.dense_weight * d + cfg.bm25_weight * b
        order = np.lexsort((slots, -fused))[:top_k]
        out = []
        for i in order.tolist():
            slot = int(slots[i])
            p = self.passages[slot]
            meta = self.sources[p.source_id]
            out.append(PassageHit(p.id, p.source_id, meta.title, meta.url, p.heading, p.text,
                                  p.page, float(fused[i]), float(d[i]), float(b[i])))
        return out

    # ---- persistence -------------------------------------------------------------------

    def save(self, path: Path) -> None:
        faiss = _faiss()
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        n = self.vectors.ntotal
        flat = faiss.downcast_index(self.vectors.index)
        vectors = faiss.vector_to_array(flat.codes).view(np.float32).reshape(n, self.dim)
        ids = faiss.vector_to_array(self.vectors.id_map).astype(np.int64)
        slots = []
        for slot, p in enumerate(self.passages):
            if p is not None:
                slots.append({"slot": slot, "passage": p.__dict__, "terms": self.bm25.doc_terms(slot)})
        meta = {
            "format": FORMAT_VERSION,
            "dense_fingerprint": self.dense_fingerprint,
            "lexical_fingerprint": self.lexical_fingerprint,
            "store_id": self.store_id,
            "revision": self.revision,
            "size": len(self.passages),
            "sources": [m.__dict__ for m in self.sources.values()],
            "slots": slots,
        }
        save_npz(path, meta, vectors=vectors, ids=ids)

    @classmethod
    def load(cls, path: Path, encoder: Any, analyzer: TextAnalyzer,
             config: DocsConfig) -> Optional["PassageIndex"]:
        """The saved index, or None when missing, unreadable or made for another model,
        passage prefix or analyzer."""
        path = Path(path)
        if not path.exists():
            return None
        index = cls(encoder, analyzer, config)
        try:
            with np.load(path, allow_pickle=False) as data:
                meta = json.loads(bytes(data["meta"]).decode("utf-8"))
                vectors, ids = data["vectors"], data["ids"]
        except (OSError, ValueError, KeyError) as exc:
            log.warning("document index %s unreadable (%s), rebuilding", path, exc)
            return None
        if (meta.get("format") != FORMAT_VERSION
                or meta.get("dense_fingerprint") != index.dense_fingerprint
                or meta.get("lexical_fingerprint") != index.lexical_fingerprint
                or vectors.shape[1:] != (index.dim,)):
            log.info("document index %s: model, prefix or analyzer changed, rebuilding", path)
            return None
        index.store_id = meta["store_id"]
        index.revision = int(meta["revision"])
        size = int(meta["size"])
        index._take_slots(size)
        used = set()
        for item in meta["slots"]:
            slot = int(item["slot"])
            p = StoredPassage(**item["passage"])
            index.passages[slot] = p
            index.source_of[slot] = p.source_id
            terms = item["terms"]
            index.bm25.add(slot, *[
                [t for t, n in terms.get(name, {}).items() for _ in range(n)]
                for name in ("question", "answer")
            ])
            used.add(slot)
        index.free = [s for s in range(size - 1, -1, -1) if s not in used]
        for raw in meta["sources"]:
            m = SourceMeta(**raw)
            index.sources[m.id] = m
            index._set_live(m)
        if len(ids):
            index.vectors.add_with_ids(np.ascontiguousarray(vectors, np.float32), ids)
        return index
