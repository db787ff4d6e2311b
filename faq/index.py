"""The hybrid search index: BM25 on Sudachi terms + dense vectors in FAISS, fused.

Each published entry holds a slot. Its dense vectors live in a faiss.IndexIDMap2 under ids
slot*VPS+j, so one entry's vectors can be removed and re-added alone: first the question side
(the question and its phrasings, j < nq[slot]), then the answer's passages. An entry scores the
max over each side's vectors (dq, da); BM25 scores the question side, the answer and the kana
readings (bq, ba, br); the fusion weighs these five signals. BM25 updates its postings per
entry too. Publish windows are checked at query time against per-slot arrays, so entries open
and close by the clock without any write.

Persistence: one .npz file (vectors, ids, JSON metadata) written atomically, with the
fingerprints of the model + indexed texts (dense) and of the analyzer + synonyms (lexical), the
store's id and the revision it reflects. A different model rebuilds everything; a different
synonym list only re-tokenises; a later revision is caught up incrementally.
"""
from __future__ import annotations

import json
import logging
import os
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

import numpy as np

from faq.analysis import Analysis, TextAnalyzer
from faq.bm25 import BM25Index
from faq.config import FEATURES, SearchConfig
from faq.entry import FaqEntry, utcnow
from faq.japanese import normalize_width, split_passages
from faq.store import Changes

log = logging.getLogger(__name__)

VPS = 64  # vector id = slot * VPS + j
FORMAT_VERSION = 4
MAX_DENSE_QUERY_CHARS = 512
_INF = float("inf")


@dataclass(frozen=True)
class Lexical:
    mutations: int  # SearchIndex.mutations when computed
    analysis: Analysis
    active: np.ndarray
    bm25: np.ndarray  # the combined BM25F score (candidate selection, "weighted" fusion)
    fields: np.ndarray  # (3, size): bq, ba, br, each over its own ceiling


@dataclass
class Candidate:
    slot: int
    faq_id: str
    score: float  # fused
    dense: float  # max(dq, da)
    bm25: float  # combined BM25F
    dq: float = 0.0  # best cosine with the question side
    da: float = 0.0  # best cosine with an answer passage
    bq: float = 0.0
    ba: float = 0.0
    br: float = 0.0

    def features(self) -> Tuple[float, ...]:
        return tuple(getattr(self, f) for f in FEATURES)


def _ts(value: Optional[datetime], default: float) -> float:
    return default if value is None else value.timestamp()


_faiss_ready = False


def _faiss():
    global _faiss_ready
    import faiss

    if not _faiss_ready:
        # One query against a flat index is ~1 ms on one thread; OpenMP threads only add
        # start-up and contention cost (measured 20+ ms with 2 threads on a busy 2-core box).
        # faiss-cpu ships its own libgomp: torch's thread pool is not affected.
        faiss.omp_set_num_threads(1)
        _faiss_ready = True
    return faiss


class SearchIndex:
    def __init__(self, encoder, analyzer: TextAnalyzer, config: SearchConfig) -> None:
        faiss = _faiss()
        self.encoder = encoder
        self.analyzer = analyzer
        self.config = config
        self.dim = int(encoder.dim)
        self.dense_fingerprint = f"{encoder.fingerprint}:{config.dense_fingerprint()}"
        self.lexical_fingerprint = analyzer.fingerprint
        self.store_id: Optional[str] = None
        self.revision = -1
        self.slot_of: Dict[str, int] = {}
        self.entries: List[Optional[FaqEntry]] = []
        self.free: List[int] = []
        self.nvec = np.zeros(0, dtype=np.int32)
        self.nq = np.zeros(0, dtype=np.int32)  # question-side vectors come first
        self.start_ts = np.zeros(0, dtype=np.float64)
        self.end_ts = np.zeros(0, dtype=np.float64)
        self.alive = np.zeros(0, dtype=bool)
        self.dense_texts: List[Tuple[str, ...]] = []  # per slot, to skip re-encoding
        self.bm25 = self._new_bm25()
        self.vectors = faiss.IndexIDMap2(faiss.IndexFlatIP(self.dim))
        self.mutations = 0  # bumped by every change (invalidates precomputed Lexical)

    def _new_bm25(self) -> BM25Index:
        cfg = self.config.bm25
        return BM25Index(cfg.k1, cfg.b, cfg.answer_weight, cfg.reading_weight)

    # ---- what is indexed ------------------------------------------------------------------

    def passage_texts(self, entry: FaqEntry) -> Tuple[str, ...]:
        """The texts encoded for an entry, prefixes included: question side first."""
        q, a = self.dense_parts(entry)
        return q + a

    def dense_parts(self, entry: FaqEntry) -> Tuple[Tuple[str, ...], Tuple[str, ...]]:
        ix = self.config.index
        texts: List[str] = []
        answers: List[str] = []
        for kind in ix.dense_texts:
            if kind == "question":
                texts.append(entry.question)
            elif kind == "alternatives":
                texts.extend(entry.alternatives[: ix.max_alternatives])
            elif kind == "answer":
                answer = " ".join(entry.answer.split())
                if answer:
                    texts.append(answer[: ix.answer_chars])
            elif kind == "short_answer":
                if entry.short_answer:
                    texts.append(entry.short_answer[: ix.answer_chars])
            elif kind == "question_alternatives":
                parts = (entry.question,) + entry.alternatives[: ix.max_alternatives]
                texts.append("".join(p if p[-1:] in "。？！?!." else p + "。" for p in parts))
            elif kind == "translated_questions":
                # the city's curated translations: a question in English finds its entry
                texts.extend(t for key, t in entry.translations if key.startswith("question_"))
            elif kind == "answer_passages":
                answers.extend(split_passages(entry.answer, ix.passage_chars, ix.max_passages))
            elif kind == "titled_passages":
                answers.extend(
                    f"{entry.question} {p}"
                    for p in split_passages(entry.answer, ix.passage_chars, ix.max_passages)
                )
            else:
                raise ValueError(f"unknown dense text kind {kind!r}")
        q_out: List[str] = []
        for t in texts:
            t = normalize_width(t).strip()
            if t and ix.passage_prefix + t not in q_out:
                q_out.append(ix.passage_prefix + t)
        q_out = q_out[: VPS // 2]
        a_out: List[str] = []
        for t in answers:
            t = normalize_width(t).strip()
            if t and ix.answer_prefix + t not in a_out and ix.answer_prefix + t not in q_out:
                a_out.append(ix.answer_prefix + t)
        return tuple(q_out), tuple(a_out[: VPS - len(q_out)])

    def entry_terms(self, entry: FaqEntry) -> Tuple[List[str], List[str], List[str]]:
        """BM25 terms: question side, answer side, reading n-grams of the question side."""
        a = self.analyzer
        limit = 0  # index the whole text
        # One analysis for the whole question side ("。" keeps the parts apart).
        side = "。".join((entry.question,) + entry.alternatives + entry.keywords)
        result = a.analyze(side, max_chars=limit, readings=True)
        q_terms, grams = list(result.terms), list(result.reading)
        ans = entry.answer + ("\n" + entry.short_answer if entry.short_answer else "")
        a_terms = a.analyze(ans, max_chars=limit).terms
        return q_terms, list(a_terms), grams

    # ---- slots ----------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self.slot_of)

    def _grow(self, size: int) -> None:
        if size <= len(self.entries):
            return
        extra = size - len(self.entries)
        self.entries.extend([None] * extra)
        self.dense_texts.extend([()] * extra)
        self.nvec = np.concatenate([self.nvec, np.zeros(extra, dtype=np.int32)])
        self.nq = np.concatenate([self.nq, np.zeros(extra, dtype=np.int32)])
        self.start_ts = np.concatenate([self.start_ts, np.full(extra, -_INF)])
        self.end_ts = np.concatenate([self.end_ts, np.full(extra, _INF)])
        self.alive = np.concatenate([self.alive, np.zeros(extra, dtype=bool)])

    def _slot_for(self, faq_id: str) -> int:
        slot = self.slot_of.get(faq_id)
        if slot is not None:
            return slot
        if self.free:
            slot = self.free.pop()
        else:
            slot = len(self.entries)
            self._grow(max(slot + 1, int(len(self.entries) * 1.25) + 16))
            # _grow over-allocates; remember the spare ones as free, highest last-out
            spare = list(range(len(self.entries) - 1, slot, -1))
            self.free.extend(spare)
        self.slot_of[faq_id] = slot
        return slot

    def _set_meta(self, slot: int, entry: FaqEntry) -> None:
        self.entries[slot] = entry
        self.start_ts[slot] = _ts(entry.publish_start, -_INF)
        self.end_ts[slot] = _ts(entry.publish_end, _INF)
        self.alive[slot] = True

    def _remove_vectors(self, slot: int) -> None:
        n = int(self.nvec[slot])
        if n:
            ids = np.arange(slot * VPS, slot * VPS + n, dtype=np.int64)
            self.vectors.remove_ids(ids)
            self.nvec[slot] = 0
            self.nq[slot] = 0
            self.dense_texts[slot] = ()

    def _remove_slot(self, faq_id: str) -> bool:
        slot = self.slot_of.pop(faq_id, None)
        if slot is None:
            return False
        self.mutations += 1
        self._remove_vectors(slot)
        self.bm25.remove(slot)
        self.entries[slot] = None
        self.alive[slot] = False
        self.start_ts[slot], self.end_ts[slot] = -_INF, _INF
        self.free.append(slot)
        return True

    def _encode_passages(self, texts: Sequence[str], show_progress: bool) -> np.ndarray:
        return self.encoder.encode(list(texts), show_progress=show_progress)

    def upsert(self, entries: Sequence[FaqEntry], show_progress: bool = False) -> int:
        """(Re)indexes published entries, drops the others. Returns how many changed.

        For a large batch the Sudachi analysis (BM25 terms) runs in a second thread while
        the encoder works (with encoder_threads=1 the encode uses one core, analysis the other).
        """
        self.mutations += 1
        changed = 0
        to_encode: List[Tuple[int, Tuple[str, ...], int]] = []
        to_analyse: List[Tuple[int, FaqEntry]] = []
        for entry in entries:
            if entry.status != "published":
                changed += self._remove_slot(entry.id)
                continue
            slot = self._slot_for(entry.id)
            old = self.entries[slot]
            self._set_meta(slot, entry)
            q_texts, a_texts = self.dense_parts(entry)
            texts = q_texts + a_texts
            if texts != self.dense_texts[slot] or self.nvec[slot] == 0:
                self._remove_vectors(slot)
                to_encode.append((slot, texts, len(q_texts)))
            if old is None or _lexical_fields(old) != _lexical_fields(entry):
                to_analyse.append((slot, entry))
            changed += 1

        analysed: List[Tuple[int, Tuple[List[str], List[str], List[str]]]] = []
        errors: List[BaseException] = []

        def analyse() -> None:
            try:
                items = to_analyse
                if show_progress and not to_encode and len(items) > 200:
                    from tqdm import tqdm

                    items = tqdm(items, desc="analysing FAQ entries", unit="entry", file=sys.stderr)
                for slot, entry in items:
                    analysed.append((slot, self.entry_terms(entry)))
            except BaseException as exc:  # re-raised in the caller's thread
                errors.append(exc)

        worker = None
        if to_encode and len(to_analyse) > 50:
            worker = threading.Thread(target=analyse, name="faq-analyse", daemon=True)
            worker.start()
        else:
            analyse()
        try:
            if to_encode:
                self._add_vectors(to_encode, show_progress)
        finally:
            if worker is not None:
                worker.join()
        if errors:
            raise errors[0]
        for slot, terms in analysed:
            self.bm25.add(slot, *terms)
        return changed

    def _add_vectors(self, to_encode: List[Tuple[int, Tuple[str, ...], int]], show_progress: bool) -> None:
        unique: Dict[str, int] = {}
        for _, texts, _ in to_encode:
            for t in texts:
                unique.setdefault(t, len(unique))
        matrix = self._encode_passages(list(unique), show_progress)
        all_vecs: List[np.ndarray] = []
        all_ids: List[np.ndarray] = []
        for slot, texts, nq in to_encode:
            rows = [unique[t] for t in texts]
            all_vecs.append(matrix[rows])
            all_ids.append(np.arange(slot * VPS, slot * VPS + len(texts), dtype=np.int64))
            self.nvec[slot] = len(texts)
            self.nq[slot] = nq
            self.dense_texts[slot] = texts
        self.vectors.add_with_ids(
            np.ascontiguousarray(np.vstack(all_vecs), dtype=np.float32),
            np.concatenate(all_ids),
        )

    def remove(self, faq_ids: Iterable[str]) -> int:
        return sum(self._remove_slot(i) for i in faq_ids)

    def apply(self, changes: Changes) -> int:
        n = self.remove(changes.deleted)
        n += self.upsert(list(changes.upserted))
        self.revision = max(self.revision, changes.revision)
        return n

    def build(
        self,
        entries: Iterable[FaqEntry],
        *,
        store_id: str,
        revision: int,
        show_progress: bool = False,
    ) -> None:
        published = [e for e in entries if e.status == "published"]
        started = time.perf_counter()
        self.upsert(published, show_progress=show_progress)
        self.store_id = store_id
        self.revision = revision
        log.info(
            "FAQ index built: %d entries, %d vectors in %.1f s",
            len(self), self.vectors.ntotal, time.perf_counter() - started,
        )

    def retokenize(self) -> None:
        """Rebuilds BM25 only (the synonym list or term rules changed)."""
        self.mutations += 1
        self.bm25 = self._new_bm25()
        for slot, entry in enumerate(self.entries):
            if entry is not None:
                self.bm25.add(slot, *self.entry_terms(entry))
        self.lexical_fingerprint = self.analyzer.fingerprint

    # ---- query ----------------------------------------------------------------------------

    def prepare(self, text: str) -> Tuple[Analysis, Optional[np.ndarray]]:
        """Analysis and query vector (the slow part; needs no lock). No vector when nothing
        is left for a model to read (empty, only emoji or symbols)."""
        return self.prepare_many([text])[0]

    def dense_query_text(self, text: Any, analysis: Analysis) -> Optional[str]:
        ix = self.config.index
        dense_text = analysis.text if ix.dense_query_synonyms else normalize_width(text or "")
        dense_text = dense_text.strip()[:MAX_DENSE_QUERY_CHARS]
        if not dense_text or not any(ch.isalnum() for ch in dense_text):
            return None
        return ix.query_prefix + dense_text

    def _encode_queries(self, texts: List[str]) -> np.ndarray:
        """The encoder's query runtime where it has one (faq.embeddings.Encoder.encode_queries)."""
        return getattr(self.encoder, "encode_queries", self.encoder.encode)(texts)

    def encode_query(self, dense_text: Optional[str]) -> Optional[np.ndarray]:
        if dense_text is None:
            return None
        vec = self._encode_queries([dense_text])
        return np.ascontiguousarray(vec, dtype=np.float32).reshape(1, -1)

    def prepare_many(self, texts: Sequence[str]) -> List[Tuple[Analysis, Optional[np.ndarray]]]:
        """prepare() for many queries with one batched encoder call (evaluation)."""
        out: List[Tuple[Analysis, Optional[np.ndarray]]] = []
        dense_texts: List[str] = []
        where: List[int] = []
        for text in texts:
            analysis = self.analyzer.analyze(text, readings=True)
            out.append((analysis, None))
            dense_text = self.dense_query_text(text, analysis)
            if dense_text is not None:
                where.append(len(out) - 1)
                dense_texts.append(dense_text)
        if dense_texts:
            vecs = self._encode_queries(dense_texts)
            for i, vec in zip(where, vecs):
                out[i] = (out[i][0], np.ascontiguousarray(vec, dtype=np.float32).reshape(1, -1))
        return out

    def lexical(self, analysis: Analysis, now: Optional[datetime] = None) -> "Lexical":
        """Active mask and BM25 scores of every slot (the part of a query that needs no
        vector: the service computes it while the query is being encoded)."""
        size = len(self.entries)
        active = self.active(now)
        bm25, per_field = self.bm25.field_scores(analysis.terms, size, analysis.reading)
        bm25 = np.where(active, bm25[:size], 0.0).astype(np.float32)
        per_field = np.where(active, per_field[:, :size], 0.0).astype(np.float32)
        return Lexical(self.mutations, analysis, active, bm25, per_field)

    def active(self, now: Optional[datetime] = None) -> np.ndarray:
        t = (now or utcnow()).timestamp()
        return self.alive & (self.start_ts <= t) & (t < self.end_ts)

    def rank(
        self,
        analysis: Analysis,
        qvec: Optional[np.ndarray],
        top_k: int = 10,
        now: Optional[datetime] = None,
        method: Optional[str] = None,
        lexical: Optional["Lexical"] = None,
    ) -> List[Candidate]:
        """Fused ranking of the active entries. method: the fusion setting, or "bm25" /
        "dense" for one retriever alone (evaluation). `lexical`: from lexical() for the same
        analysis and clock, reused unless the index changed since."""
        fusion = self.config.fusion
        method = method or fusion.method
        size = len(self.entries)
        if size == 0 or top_k <= 0:
            return []
        n_cand = max(fusion.candidates, top_k)

        # BM25 over every slot (cheap), then its top candidates.
        if lexical is None or lexical.mutations != self.mutations or lexical.analysis is not analysis:
            lexical = self.lexical(analysis, now)
        active, bm25 = lexical.active, lexical.bm25
        cand: Dict[int, None] = {}
        if method != "dense" and (analysis.terms or analysis.reading):
            positive = np.flatnonzero(bm25 > 0)
            if len(positive) > n_cand:
                part = np.argpartition(-bm25[positive], n_cand - 1)[:n_cand]
                positive = positive[part]
            for s in positive.tolist():
                cand[s] = None

        # Dense: the entries of the nearest vectors (either side).
        use_dense = qvec is not None and method != "bm25" and self.vectors.ntotal > 0
        if use_dense:
            k = min(self.vectors.ntotal, n_cand * 4)
            _, ids = self.vectors.search(qvec, k)
            found = 0
            for vid in ids[0].tolist():
                if vid < 0:
                    continue
                slot = vid // VPS
                if not active[slot] or slot in cand:
                    continue
                cand[slot] = None
                found += 1
                if found >= n_cand:
                    break
        if not cand:
            return []

        slots = np.fromiter(cand.keys(), dtype=np.int64, count=len(cand))
        if use_dense:
            dq, da = self._dense_scores(slots, qvec[0])
        else:
            dq = np.zeros(len(slots), dtype=np.float32)
            da = np.zeros(len(slots), dtype=np.float32)
        d = np.maximum(dq, da)
        b = bm25[slots]
        bq, ba, br = lexical.fields[:, slots]

        if method == "bm25":
            fused = b.copy()
        elif method == "dense":
            fused = d.copy()
        elif method == "rrf":
            fused = _rrf(d, fusion.dense_weight, fusion.rrf_k) + _rrf(
                b, fusion.bm25_weight, fusion.rrf_k
            )
        elif method == "weighted":
            fused = fusion.dense_weight * d + fusion.bm25_weight * b
        elif method == "linear":
            fused = linear_fusion(fusion.weights, fusion.bias, dq=dq, da=da, bq=bq, ba=ba, br=br)
        else:
            raise ValueError(f"unknown fusion method {method!r}")
        order = np.lexsort((slots, -fused))[:top_k]
        out = []
        for i in order.tolist():
            slot = int(slots[i])
            out.append(
                Candidate(
                    slot=slot,
                    faq_id=self.entries[slot].id,
                    score=float(fused[i]),
                    dense=float(d[i]),
                    bm25=float(b[i]),
                    dq=float(dq[i]),
                    da=float(da[i]),
                    bq=float(bq[i]),
                    ba=float(ba[i]),
                    br=float(br[i]),
                )
            )
        return out

    def _dense_scores(self, slots: np.ndarray, q: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
        """Max cosine over each slot's question-side vectors and over its answer passages
        (-1 where a slot has none of a side, 0 for both when it has no vector at all)."""
        ids: List[int] = []
        owner: List[int] = []
        side: List[bool] = []  # True: answer side
        for i, s in enumerate(slots.tolist()):
            n, nq = int(self.nvec[s]), int(self.nq[s])
            ids.extend(range(s * VPS, s * VPS + n))
            owner.extend([i] * n)
            side.extend([j >= nq for j in range(n)])
        dq = np.zeros(len(slots), dtype=np.float32)
        da = np.zeros(len(slots), dtype=np.float32)
        if not ids:
            return dq, da
        vecs = self.vectors.reconstruct_batch(np.asarray(ids, dtype=np.int64))
        sims = (vecs @ q).astype(np.float32)
        owner_arr = np.asarray(owner)
        is_answer = np.asarray(side)
        for out, mask in ((dq, ~is_answer), (da, is_answer)):
            if mask.any():
                best = np.full(len(slots), -1.0, dtype=np.float32)
                np.maximum.at(best, owner_arr[mask], sims[mask])
                out[:] = np.where(best > -1.0, best, 0.0)
        return dq, da

    # ---- persistence ----------------------------------------------------------------------

    def save(self, path: Path) -> None:
        faiss = _faiss()
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        n = self.vectors.ntotal
        flat = faiss.downcast_index(self.vectors.index)
        vectors = faiss.vector_to_array(flat.codes).view(np.float32).reshape(n, self.dim)
        ids = faiss.vector_to_array(self.vectors.id_map).astype(np.int64)
        slots = []
        for faq_id, slot in self.slot_of.items():
            entry = self.entries[slot]
            slots.append(
                {
                    "slot": slot,
                    "entry": entry.to_dict(),
                    "texts": list(self.dense_texts[slot]),
                    "nq": int(self.nq[slot]),
                    "terms": self.bm25.doc_terms(slot),
                }
            )
        meta = {
            "format": FORMAT_VERSION,
            "dense_fingerprint": self.dense_fingerprint,
            "lexical_fingerprint": self.lexical_fingerprint,
            "store_id": self.store_id,
            "revision": self.revision,
            "dim": self.dim,
            "size": len(self.entries),
            "slots": slots,
            "saved_at": utcnow().isoformat(),
        }
        save_npz(path, meta, vectors=vectors, ids=ids)

    @staticmethod
    def read_meta(path: Path) -> Optional[dict]:
        try:
            with np.load(path, allow_pickle=False) as data:
                return json.loads(bytes(data["meta"]).decode("utf-8"))
        except (OSError, ValueError, KeyError) as exc:
            log.warning("FAQ index file %s unreadable (%s)", path, exc)
            return None

    @classmethod
    def load(
        cls, path: Path, encoder, analyzer: TextAnalyzer, config: SearchConfig
    ) -> Optional["SearchIndex"]:
        """The saved index, or None when missing, unreadable or built for another model or
        other indexed texts. A changed synonym list is fixed here by re-tokenising."""
        path = Path(path)
        if not path.exists():
            return None
        index = cls(encoder, analyzer, config)
        try:
            with np.load(path, allow_pickle=False) as data:
                meta = json.loads(bytes(data["meta"]).decode("utf-8"))
                if meta.get("format") != FORMAT_VERSION:
                    log.info("FAQ index %s: old format, rebuilding", path)
                    return None
                if meta.get("dense_fingerprint") != index.dense_fingerprint:
                    log.info("FAQ index %s: model or indexed texts changed, rebuilding", path)
                    return None
                vectors = data["vectors"]
                ids = data["ids"]
        except (OSError, ValueError, KeyError) as exc:
            log.warning("FAQ index file %s unreadable (%s), rebuilding", path, exc)
            return None
        if vectors.shape[1:] != (index.dim,):
            return None
        index.store_id = meta["store_id"]
        index.revision = int(meta["revision"])
        index._grow(int(meta["size"]))
        used = set()
        same_lexical = meta.get("lexical_fingerprint") == index.lexical_fingerprint
        for item in meta["slots"]:
            slot = int(item["slot"])
            entry = FaqEntry.from_dict(item["entry"])
            index.slot_of[entry.id] = slot
            index._set_meta(slot, entry)
            index.dense_texts[slot] = tuple(item["texts"])
            index.nq[slot] = int(item["nq"])
            if same_lexical:
                fields = [
                    [t for t, n in item["terms"].get(name, {}).items() for _ in range(n)]
                    for name in BM25Index.FIELDS
                ]
                index.bm25.add(slot, *fields)
            used.add(slot)
        index.free = [s for s in range(len(index.entries) - 1, -1, -1) if s not in used]
        if len(ids):
            index.vectors.add_with_ids(np.ascontiguousarray(vectors, np.float32), ids)
            counts = np.bincount(ids // VPS, minlength=len(index.entries))
            index.nvec[: len(counts)] = counts[: len(index.nvec)]
        if not same_lexical:
            log.info("FAQ index %s: synonym list or term rules changed, re-tokenising", path)
            index.retokenize()
        return index


def _lexical_fields(entry: FaqEntry) -> tuple:
    return (entry.question, entry.alternatives, entry.keywords, entry.answer, entry.short_answer)


def save_npz(path: Path, meta: Dict[str, Any], **arrays: np.ndarray) -> None:
    """arrays and a JSON `meta` in one .npz, written to a temporary file and renamed (a reader
    never sees half a file)."""
    blob = np.frombuffer(json.dumps(meta, ensure_ascii=False).encode("utf-8"), np.uint8)
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            np.savez(fh, meta=blob, **arrays)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def linear_fusion(weights: Dict[str, float], bias: float, **features: np.ndarray) -> np.ndarray:
    out = np.full(len(next(iter(features.values()))), bias, dtype=np.float32)
    for name, w in weights.items():
        if w:
            out += np.float32(w) * features[name]
    return out


def _rrf(scores: np.ndarray, weight: float, k: int) -> np.ndarray:
    """Reciprocal-rank contribution; entries with no score (0) get none."""
    order = np.argsort(-scores, kind="stable")
    ranks = np.empty(len(scores), dtype=np.float64)
    ranks[order] = np.arange(1, len(scores) + 1)
    out = weight / (k + ranks)
    out[scores <= 0] = 0.0
    return out.astype(np.float32)
