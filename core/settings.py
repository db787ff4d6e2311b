"""Settings from environment variables, with the embedded defaults (SQLite files under var/)."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


def _env(name: str, default: str) -> str:
    value = os.environ.get(name, "").strip()
    return value or default


def _workers(lock_store: str) -> int:
    raw = _env("MADOGUCHI_RASA_WORKERS", "1")
    if not raw.isdigit() or int(raw) < 1:
        raise SystemExit(f"MADOGUCHI_RASA_WORKERS must be a whole number from 1, got {raw!r}")
    if int(raw) > 1 and lock_store != "redis":
        raise SystemExit(
            "MADOGUCHI_RASA_WORKERS > 1 needs MADOGUCHI_LOCK_STORE=redis: the Rasa workers must not "
            "handle the same conversation at once")
    return int(raw)


def _port(name: str, default: int) -> int:
    raw = _env(name, str(default))
    try:
        port = int(raw)
    except ValueError:
        raise SystemExit(f"{name} must be a port number, got {raw!r}") from None
    if not 0 < port < 65536:
        raise SystemExit(f"{name} must be between 1 and 65535, got {port}")
    return port


def office_file() -> Path:
    """The city's own facts (name, hours): office.yml unless MADOGUCHI_OFFICE names another."""
    return Path(os.environ.get("MADOGUCHI_OFFICE", REPO_ROOT / "office.yml"))


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
            "MADOGUCHI_ACTION_URL": _env("MADOGUCHI_ACTION_URL", self.action_url),
            "MADOGUCHI_TRACKER_URL": self.tracker_url,
            "MADOGUCHI_DB_URL": self.db_url,  # the REST channel records tickets there
            "MADOGUCHI_NLU_EMBEDDING_MODEL": str(self.nlu_embedding_model),  # bot/embedding_featurizer.py
            "MADOGUCHI_LOCK_STORE": self.lock_store,
            "SANIC_WORKERS": str(self.rasa_workers),  # Rasa's own variable
            "MADOGUCHI_REDIS_HOST": self.redis_host,
            "MADOGUCHI_REDIS_PORT": str(self.redis_port),
        }


def load_settings() -> Settings:
    home = Path(_env("MADOGUCHI_HOME", str(REPO_ROOT / "var"))).resolve()
    return Settings(
        home=home,
        db_url=_env("MADOGUCHI_DB_URL", f"sqlite:///{home / 'madoguchi.db'}"),
        tracker_url=_env("MADOGUCHI_TRACKER_URL", f"sqlite:///{home / 'tracker.db'}"),
        embedding_model=Path(
            _env("MADOGUCHI_EMBEDDING_MODEL", str(home / "models" / "multilingual-e5-small"))
        ),
        nlu_embedding_model=Path(
            _env("MADOGUCHI_NLU_EMBEDDING_MODEL", str(home / "models" / "multilingual-e5-small"))
        ),
        index_dir=Path(_env("MADOGUCHI_INDEX_DIR", str(home / "index"))),
        models_dir=Path(_env("MADOGUCHI_RASA_MODELS", str(REPO_ROOT / "models"))),
        rasa_port=_port("MADOGUCHI_RASA_PORT", 5005),
        action_port=_port("MADOGUCHI_ACTION_PORT", 5055),
        app_port=_port("MADOGUCHI_APP_PORT", 8000),
        host=_env("MADOGUCHI_HOST", "127.0.0.1"),
        rasa_bin=Path(_env("MADOGUCHI_RASA_BIN", str(REPO_ROOT / ".venv-rasa" / "bin" / "rasa"))),
        lock_store=_env("MADOGUCHI_LOCK_STORE", "in_memory"),
        rasa_workers=_workers(_env("MADOGUCHI_LOCK_STORE", "in_memory")),
        redis_host=_env("MADOGUCHI_REDIS_HOST", "127.0.0.1"),
        redis_port=_port("MADOGUCHI_REDIS_PORT", 6379),
    )
