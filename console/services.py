"""Objects the inbox, handoff and dashboard pages share, made on first use per console state:
the FAQ search (its encoder groups the inbox), the inbox, the handoff data and live updates.

Tests may set `state.faq_service` beforehand (a FaqService over the console's database)."""
from __future__ import annotations

import logging
import threading
from typing import Any

from console.inbox import Inbox
from console.tickets import HandoffData
from core.settings import load_settings
from documents.store import DocumentStore
from faq.config import SearchConfig

log = logging.getLogger(__name__)
_lock = threading.RLock()
_encoders: dict = {}  # model folder -> Encoder (one model in memory per process)


def faq_service(state: Any) -> Any:
    """A FaqService on the console's store. It shares the saved FAQ index with the action
    server when both use the configured database; otherwise it keeps its index in memory."""
    service = getattr(state, "faq_service", None)
    if service is not None:
        return service
    with _lock:
        service = getattr(state, "faq_service", None)
        if service is None:
            # lazy: faq.service loads numpy and the index code; pages that never search pay nothing
            from faq.service import FaqService

            settings = load_settings()
            same_db = settings.db_url == state.settings.db_url
            config = SearchConfig.load()
            service = FaqService(
                state.store,
                encoder=_encoder(settings.embedding_model, config.index.encoder_threads),
                model_path=settings.embedding_model,
                index_dir=settings.index_dir if same_db else None,
                config=config,
                refresh_interval=1.0,
                show_progress=False,
            )
            state.faq_service = service
    return service


class _LazyEncoder:
    """Loads the shared encoder on first use (pages that never group pay nothing)."""

    def __init__(self, model_path: Any, threads: int) -> None:
        self._path, self._threads = str(model_path), threads

    def _get(self) -> Any:
        with _lock:
            encoder = _encoders.get(self._path)
            if encoder is None:
                # lazy: as above (the encoder itself loads torch)
                from faq.service import load_encoder

                encoder = _encoders[self._path] = load_encoder(self._path, threads=self._threads)
        return encoder

    def __getattr__(self, name: str) -> Any:
        return getattr(self._get(), name)


def _encoder(model_path: Any, threads: int) -> Any:
    return _encoders.get(str(model_path)) or _LazyEncoder(model_path, threads)


def document_store(state: Any) -> Any:
    """The documents' store on the console's database (documents/)."""
    store = getattr(state, "document_store", None)
    if store is None:
        with _lock:
            store = getattr(state, "document_store", None)
            if store is None:
                store = state.document_store = DocumentStore(state.settings.db_url, engine=state.engine,
                                                             migrate=False)
    return store


def document_service(state: Any) -> Any:
    """Document search for 「FAQを下書き」, with the FAQ search's encoder and analyzer."""
    service = getattr(state, "document_service", None)
    if service is None:
        with _lock:
            service = getattr(state, "document_service", None)
            if service is None:
                # lazy: documents.service loads numpy and the passage index
                from documents.service import DocumentService

                faq = faq_service(state)
                settings = load_settings()
                same_db = settings.db_url == state.settings.db_url
                service = state.document_service = DocumentService(
                    document_store(state), faq.encoder, faq.analyzer,
                    index_dir=settings.index_dir if same_db else None, refresh_interval=1.0,
                    show_progress=False)
    return service


def inbox(state: Any) -> Any:
    box = getattr(state, "inbox", None)
    if box is None:
        with _lock:
            box = getattr(state, "inbox", None)
            if box is None:
                box = state.inbox = Inbox(state.engine, faq_service(state))
    return box


def handoff_data(state: Any) -> Any:
    data = getattr(state, "handoff_data", None)
    if data is None:
        with _lock:
            data = getattr(state, "handoff_data", None)
            if data is None:
                data = state.handoff_data = HandoffData(state.engine)
    return data
