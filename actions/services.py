"""The services of this action-server process, made on first use and then shared by every
action: one FAQ search and one document search in memory (one model, one analyzer, one index
each) and one database handle for the records. Made on first use, not at import: rasa-sdk
imports the actions in its manager process too, which serves no request."""
from __future__ import annotations

import threading
from typing import Any, Callable, Dict

from core.settings import load_settings
from records.store import Records

_lock = threading.Lock()
_services: Dict[str, Any] = {}  # name -> the one instance of this process


def _once(name: str, make: Callable[[], Any]) -> Any:
    with _lock:
        if name not in _services:
            _services[name] = make()
        return _services[name]


def faq_service() -> Any:
    # lazy: faq.service loads numpy, FAISS and the encoder; only the serving worker needs it
    from faq.service import FaqService

    return _once("faq", FaqService.from_settings)


def records() -> Records:
    return _once("records", lambda: Records.open(load_settings().db_url))


def document_service() -> Any:
    faq = faq_service()  # one model and analyzer in memory for both searches (outside the lock)

    def make() -> Any:
        # lazy: documents.service loads numpy and FAISS; only the serving worker needs it
        from documents.service import DocumentService

        return DocumentService.from_settings(encoder=faq.encoder, analyzer=faq.analyzer,
                                             refresh_interval=2.0, show_progress=False)

    return _once("documents", make)
