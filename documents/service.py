"""DocumentService: import, refresh and search of the city's documents.

    service = DocumentService.from_settings(encoder=faq.encoder, analyzer=faq.analyzer)
    result = service.search("市民農園を借りたい")
    result.decision     # "answer" (the best passage may be shown to a resident) | "none"
    result.hits[0].text, .title, .url, .heading

Like the FAQ service, each search first compares the store's revision (one primary-key read)
and catches up with sources imported, changed, unpublished or removed by another process.
"""
from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, List, Optional, Sequence, Tuple, Union

from core.settings import load_settings
from documents.config import DocsConfig
from documents.importer import Importer, ImportReport, on_terminal
from documents.index import PassageHit, PassageIndex
from documents.store import DocumentStore
from faq.analysis import TextAnalyzer
from faq.service import load_encoder

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DocSearchResult:
    decision: str  # "answer" | "none"
    hits: Tuple[PassageHit, ...] = ()
    query: str = ""

    @property
    def top(self) -> Optional[PassageHit]:
        return self.hits[0] if self.hits else None

    def ranked_documents(self, top_k: int = 10) -> List[str]:
        """Document ids, best passage's document first, each once."""
        out: List[str] = []
        for hit in self.hits:
            if hit.source_id not in out:
                out.append(hit.source_id)
                if len(out) == top_k:
                    break
        return out


class DocumentService:
    def __init__(
        self,
        store: DocumentStore,
        encoder: Any = None,
        analyzer: Any = None,
        *,
        model_path: Union[str, Path, None] = None,
        index_dir: Union[str, Path, None] = None,
        config: Optional[DocsConfig] = None,
        refresh_interval: float = 0.0,
        show_progress: Optional[bool] = None,
    ) -> None:
        self.store = store
        self.config = config or DocsConfig.load()
        self._encoder = encoder
        self._analyzer = analyzer
        self._model_path = model_path
        self.index_dir = Path(index_dir) if index_dir else None
        self.refresh_interval = refresh_interval
        self.show_progress = on_terminal() if show_progress is None else show_progress
        self._index: Optional[PassageIndex] = None
        self._lock = threading.RLock()
        self._last_check = 0.0

    @classmethod
    def from_settings(cls, settings: Any = None, *, db_url: Optional[str] = None, **kwargs: Any) -> "DocumentService":
        if settings is None:
            settings = load_settings()
        kwargs.setdefault("model_path", settings.embedding_model)
        kwargs.setdefault("index_dir", settings.index_dir)
        return cls(DocumentStore(db_url or settings.db_url), **kwargs)

    @property
    def encoder(self) -> Any:
        if self._encoder is None:
            with self._lock:
                if self._encoder is None:
                    self._encoder = load_encoder(self._model_path, threads=1)
        return self._encoder

    @property
    def analyzer(self) -> Any:
        if self._analyzer is None:
            with self._lock:
                if self._analyzer is None:
                    self._analyzer = TextAnalyzer()
        return self._analyzer

    @property
    def index_path(self) -> Optional[Path]:
        if self.index_dir is None:
            return None
        return self.index_dir / f"docs-{self.store.store_id}.npz"

    # ---- life cycle --------------------------------------------------------------------

    def refresh(self, force: bool = False) -> int:
        """Loads or builds the index and catches up with the store; returns sources changed."""
        with self._lock:
            now = time.monotonic()
            if self._index is not None and not force and now - self._last_check < self.refresh_interval:
                return 0
            self._last_check = now
            if self._index is None:
                loaded = None
                if self.index_path is not None:
                    loaded = PassageIndex.load(self.index_path, self.encoder, self.analyzer, self.config)
                    if loaded is not None and (loaded.store_id != self.store.store_id
                                               or loaded.revision > self.store.revision()):
                        loaded = None
                self._index = loaded or PassageIndex(self.encoder, self.analyzer, self.config)
            started = time.perf_counter()
            changed = self._index.sync(self.store, show_progress=self.show_progress)
            if changed:
                log.info("document index: %d sources updated in %.1f s (%d passages)",
                         changed, time.perf_counter() - started, len(self._index))
                self.save()
            return changed

    def save(self) -> None:
        with self._lock:
            if self._index is not None and self.index_path is not None:
                self._index.save(self.index_path)

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> "DocumentService":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # ---- import ------------------------------------------------------------------------

    def import_paths(self, paths: Sequence[Union[str, Path]], show_progress: Optional[bool] = None) -> ImportReport:
        """Reads the files into the store, then indexes what changed."""
        show = self.show_progress if show_progress is None else show_progress
        report = Importer(self.store, self.config).import_paths([Path(p) for p in paths], show)
        self.refresh(force=True)
        return report

    def remove(self, source_id: str) -> bool:
        found = self.store.remove(source_id)
        if found and self._index is not None:
            self.refresh(force=True)
        return found

    # ---- search ------------------------------------------------------------------------

    def search(self, text: Any, top_k: int = 10, now: Optional[datetime] = None) -> DocSearchResult:
        """Thread-safe; never raises: a failure gives decision "none"."""
        query = text if isinstance(text, str) else ("" if text is None else str(text))
        try:
            self.refresh()
        except Exception:
            log.exception("document index refresh failed; searching the index as it is")
        index = self._index
        if index is None:
            return DocSearchResult("none", (), query)
        try:
            analysis, dense_text = index.analyze(query)
            qvec = index.encode_query(dense_text)
            with self._lock:
                hits = tuple(index.rank(analysis, qvec, top_k=max(1, min(int(top_k), 200)), now=now))
        except Exception:
            log.exception("document search failed for a query of %d characters", len(query))
            return DocSearchResult("none", (), query)
        decision = "answer" if hits and hits[0].score >= self.config.answer_min_score else "none"
        return DocSearchResult(decision, hits, query)
