"""Logging set-up: every record passes through the personal-data mask."""
from __future__ import annotations

import logging

from core.privacy import mask_pii


class MaskingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string must not lose the record
            message = str(record.msg)
        record.msg = mask_pii(message)
        record.args = ()
        return True


def setup_logging(level: int = logging.INFO) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(MaskingFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # faiss logs each CPU-specific build it does not find; only the outcome matters.
    logging.getLogger("faiss.loader").setLevel(max(level, logging.WARNING))
