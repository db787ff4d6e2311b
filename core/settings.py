"""Settings from environment variables, with the embedded defaults (SQLite files under var/).

Every `MADOGUCHI_*` setting is read by `read()`: blank counts as unset, and a value that cannot
be used raises `SettingError` (a ValueError) naming the variable; the command line prints it.
Standard library only: the Rasa environment imports this module too.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Mapping, Optional, TypeVar

REPO_ROOT = Path(__file__).resolve().parent.parent

T = TypeVar("T")


class SettingError(ValueError):
    """An environment variable that cannot be used; the message says which and why."""


def read(name: str, default: T, convert: Callable[[str], T] = str,  # type: ignore[assignment]
         env: Optional[Mapping[str, str]] = None) -> T:
    """The variable `name` (from `env`, else the process environment) converted by `convert`,
    or `default` when it is unset or blank. A converter's ValueError becomes a SettingError
    "NAME <its message>"."""
    raw = ((os.environ if env is None else env).get(name) or "").strip()
    if not raw:
        return default
    try:
        return convert(raw)
    except ValueError as error:
        raise SettingError(f"{name} {error}") from None


# ---- converters: raw text to a value, or ValueError("must be …, got …") ----------------------


def number(raw: str) -> float:
    try:
        return float(raw)
    except ValueError:
        raise ValueError(f"must be a number, got {raw!r}") from None


def positive_number(raw: str) -> float:
    value = number(raw)
    if value <= 0:
        raise ValueError(f"must be positive, got {raw!r}")
    return value


def share(raw: str) -> float:
    """A number in (0, 1]."""
    value = number(raw)
    if not 0.0 < value <= 1.0:
        raise ValueError(f"must be in (0, 1], got {raw!r}")
    return value


def count(raw: str) -> int:
    """A whole number from 1."""
    if not raw.isdigit() or int(raw) < 1:
        raise ValueError(f"must be a whole number from 1, got {raw!r}")
    return int(raw)


def port(raw: str) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"must be a port number, got {raw!r}") from None
    if not 0 < value < 65536:
        raise ValueError(f"must be between 1 and 65535, got {value}")
    return value


# ---- the settings ------------------------------------------------------------------------------


def home_dir() -> Path:
    """Where the app keeps its data (MADOGUCHI_HOME, default var/ in the repository)."""
    return Path(read("MADOGUCHI_HOME", str(REPO_ROOT / "var"))).resolve()


def office_file() -> Path:
    """The city's own facts (name, hours): office.yml unless MADOGUCHI_OFFICE names another."""
    return read("MADOGUCHI_OFFICE", REPO_ROOT / "office.yml", Path)


def _workers(lock_store: str) -> int:
    workers = read("MADOGUCHI_RASA_WORKERS", 1, count)
    if workers > 1 and lock_store != "redis":
        raise SettingError(
            "MADOGUCHI_RASA_WORKERS > 1 needs MADOGUCHI_LOCK_STORE=redis: the Rasa workers must not "
            "handle the same conversation at once")
    return workers


@dataclass(frozen=True)
class Settings:
    home: Path
    db_url: str
    tracker_url: str
    embedding_model: Path
    nlu_embedding_model: Path
    index_dir: Path
    models_dir: Path
    rasa_port: int
    action_port: int
    app_port: int
    host: str
    rasa_bin: Path
    lock_store: str
    rasa_workers: int
    redis_host: str
    redis_port: int
    extra: dict = field(default_factory=dict)

    @property
    def rasa_url(self) -> str:
        return f"http://127.0.0.1:{self.rasa_port}"

    @property
    def action_url(self) -> str:
        return f"http://127.0.0.1:{self.action_port}/webhook"

    def rasa_environment(self) -> dict:
        """Variables that endpoints.yml reads."""
        return {
            "MADOGUCHI_ACTION_URL": read("MADOGUCHI_ACTION_URL", self.action_url),
            "MADOGUCHI_TRACKER_URL": self.tracker_url,
            "MADOGUCHI_DB_URL": self.db_url,  # the REST channel records tickets there
            "MADOGUCHI_NLU_EMBEDDING_MODEL": str(self.nlu_embedding_model),  # bot/embedding_featurizer.py
            "MADOGUCHI_LOCK_STORE": self.lock_store,
            "SANIC_WORKERS": str(self.rasa_workers),  # Rasa's own variable
            "MADOGUCHI_REDIS_HOST": self.redis_host,
            "MADOGUCHI_REDIS_PORT": str(self.redis_port),
        }


def load_settings() -> Settings:
    home = home_dir()
    lock_store = read("MADOGUCHI_LOCK_STORE", "in_memory")
    return Settings(
        home=home,
        db_url=read("MADOGUCHI_DB_URL", f"sqlite:///{home / 'madoguchi.db'}"),
        tracker_url=read("MADOGUCHI_TRACKER_URL", f"sqlite:///{home / 'tracker.db'}"),
        embedding_model=read("MADOGUCHI_EMBEDDING_MODEL", home / "models" / "multilingual-e5-small", Path),
        nlu_embedding_model=read("MADOGUCHI_NLU_EMBEDDING_MODEL", home / "models" / "multilingual-e5-small", Path),
        index_dir=read("MADOGUCHI_INDEX_DIR", home / "index", Path),
        models_dir=read("MADOGUCHI_RASA_MODELS", REPO_ROOT / "models", Path),
        rasa_port=read("MADOGUCHI_RASA_PORT", 5005, port),
        action_port=read("MADOGUCHI_ACTION_PORT", 5055, port),
        app_port=read("MADOGUCHI_APP_PORT", 8000, port),
        host=read("MADOGUCHI_HOST", "127.0.0.1"),
        rasa_bin=read("MADOGUCHI_RASA_BIN", REPO_ROOT / ".venv-rasa" / "bin" / "rasa", Path),
        lock_store=lock_store,
        rasa_workers=_workers(lock_store),
        redis_host=read("MADOGUCHI_REDIS_HOST", "127.0.0.1"),
        redis_port=read("MADOGUCHI_REDIS_PORT", 6379, port),
    )
