"""Shared fixtures: the settings of a throw-away installation and the running service."""
from __future__ import annotations

import os
import socket
import uuid
from pathlib import Path
from typing import Iterator

import pytest

from e2e.talk import ALWAYS_OPEN
from core.settings import load_settings

# Variables a test installation sets; everything else comes from the defaults.
_ISOLATED = (
    "MADOGUCHI_HOME",
    "MADOGUCHI_DB_URL",
    "MADOGUCHI_TRACKER_URL",
    "MADOGUCHI_INDEX_DIR",
    "MADOGUCHI_RASA_PORT",
    "MADOGUCHI_ACTION_PORT",
    "MADOGUCHI_APP_PORT",
    "MADOGUCHI_ACTION_URL",
    "MADOGUCHI_EMBEDDING_MODEL",
    "MADOGUCHI_NLU_EMBEDDING_MODEL",
    "MADOGUCHI_OFFICE",
    "MADOGUCHI_ACTION_TIMEOUT",
)


PG_HOST = os.environ.get("MADOGUCHI_TEST_PG_HOST", "127.0.0.1")
PG_PORT = int(os.environ.get("MADOGUCHI_TEST_PG_PORT", "5432"))
PG_USER = os.environ.get("MADOGUCHI_TEST_PG_USER", "postgres")


def _pg_admin():
    import psycopg2

    conn = psycopg2.connect(host=PG_HOST, port=PG_PORT, user=PG_USER, dbname="postgres", connect_timeout=3)
    conn.autocommit = True
    return conn


@pytest.fixture(scope="session")
def pg_available() -> bool:
    try:
        _pg_admin().close()
        return True
    except Exception:
        return False


@pytest.fixture
def pg_url(pg_available) -> Iterator[str]:
    """A fresh PostgreSQL database madoguchi_test_<random>, dropped afterwards."""
    if not pg_available:
        pytest.skip(f"PostgreSQL not reachable on {PG_HOST}:{PG_PORT}")
    name = f"madoguchi_test_{uuid.uuid4().hex[:12]}"
    admin = _pg_admin()
    with admin.cursor() as cur:
        cur.execute(f'CREATE DATABASE "{name}"')
    try:
        # the plain scheme, as a city would write it (the driver is picked by make_engine)
        yield f"postgresql://{PG_USER}@{PG_HOST}:{PG_PORT}/{name}"
    finally:
        with admin.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'faq.db'}"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request) -> str:
    if request.param == "sqlite":
        return request.getfixturevalue("sqlite_url")
    return request.getfixturevalue("pg_url")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def shared_embedding_model() -> Path:
    """The offline embedding model that setup builds (built here when missing)."""
    from faq.e5_convert import build_model

    return build_model(load_settings().embedding_model)


@pytest.fixture(scope="session")
def rasa_model() -> Path:
    """The trained Rasa model, reused from models/ when its inputs have not changed."""
    from madoguchi.training import ensure_model

    return ensure_model(load_settings())


@pytest.fixture(scope="session")
def installation(tmp_path_factory, shared_embedding_model) -> Iterator[dict]:
    """Environment of a fresh installation in a temporary home with the sample data."""
    home = tmp_path_factory.mktemp("home")
    nlu_model = load_settings().nlu_embedding_model  # made by setup, as the Rasa model was trained with it
    saved = {name: os.environ.get(name) for name in _ISOLATED}
    office = home / "office.yml"
    office.write_text(ALWAYS_OPEN, encoding="utf-8")
    os.environ.update(
        {
            "MADOGUCHI_HOME": str(home),
            "MADOGUCHI_OFFICE": str(office),
            "MADOGUCHI_ACTION_TIMEOUT": "5",
            "MADOGUCHI_EMBEDDING_MODEL": str(shared_embedding_model),
            "MADOGUCHI_NLU_EMBEDDING_MODEL": str(nlu_model),
            "MADOGUCHI_RASA_PORT": str(free_port()),
            "MADOGUCHI_ACTION_PORT": str(free_port()),
            "MADOGUCHI_APP_PORT": str(free_port()),
        }
    )
    for name in ("MADOGUCHI_DB_URL", "MADOGUCHI_TRACKER_URL", "MADOGUCHI_INDEX_DIR", "MADOGUCHI_ACTION_URL"):
        os.environ.pop(name, None)
    try:
        yield dict(os.environ)
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@pytest.fixture(scope="session")
def running_stack(installation, rasa_model):
    """The real action server and Rasa server as processes, on the sample data."""
    from documents.bootstrap import prepare_documents
    from faq.bootstrap import prepare_faq
    from madoguchi.launcher import Stack

    settings = load_settings()
    prepare_faq(settings)
    prepare_documents(settings)
    stack = Stack(settings, rasa_model)
    stack.start()
    try:
        yield stack
    finally:
        stack.stop()
