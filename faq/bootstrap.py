"""First start of an installation: database, sample FAQ, embedding model and index."""
from __future__ import annotations

import logging
from pathlib import Path

from faq.calibration import ensure_installation
from faq.csvio import import_csv
from faq.e5_convert import build_model
from faq.service import FaqService
from faq.store import FaqStore

log = logging.getLogger(__name__)

SAMPLE_FAQ = Path(__file__).resolve().parent / "data" / "sample_faq.csv"


def prepare_faq(settings) -> None:
    """Migrates the database, loads the sample FAQ into an empty one, and brings the index up to date."""
    store = FaqStore(settings.db_url)
    try:
        if store.count() == 0:
            report = import_csv(store, SAMPLE_FAQ, by="sample-data")
            log.info("Loaded the sample FAQ: %s", report.summary())
    finally:
        store.close()
    if not (settings.embedding_model / "modules.json").exists():
        build_model(settings.embedding_model)
    with FaqService.from_settings(settings) as service:
        service.refresh(force=True)
        done = ensure_installation(service)
        if done:
            log.info("FAQ answer threshold calibrated for this FAQ: %.2f", done["answer_min_confidence"])
