"""First start of an installation: the sample site of ひだまり市 as the documents, when the
database has none yet (a city's own are imported with `madoguchi docs import`)."""
from __future__ import annotations

import logging
from pathlib import Path

from documents.service import DocumentService

log = logging.getLogger(__name__)

SAMPLE_SITE = Path(__file__).resolve().parent / "data" / "site"


def prepare_documents(settings) -> None:
    """Loads the sample site into a database without documents and brings the index up to date."""
    with DocumentService.from_settings(settings) as service:
        if service.store.count() == 0 and not service.store.errors() and SAMPLE_SITE.is_dir():
            report = service.import_paths([SAMPLE_SITE])
            log.info("Loaded the sample documents: %s", report.summary().splitlines()[0])
        else:
            service.refresh(force=True)
