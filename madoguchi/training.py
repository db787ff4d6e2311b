"""Trains the Rasa model in the Rasa environment, keyed by a hash of everything that shapes it.

A model whose inputs have not changed is reused, so `make run` and the tests train only once.
"""
from __future__ import annotations

import hashlib
import logging
import os
import subprocess
import time
from pathlib import Path
from typing import List, Optional

from core.settings import REPO_ROOT, Settings, load_settings

log = logging.getLogger(__name__)

TRAINING_INPUTS = [
    "config.yml",
    "bot",  # domain.yml and the custom components
    "nlu_data",
    "faq/japanese.py",
    "faq/places.py",  # bot/municipality.py
    "faq/onnx_query.py",  # the NLU sentence features (bot/embedding_featurizer.py)
    "requirements-rasa.txt",
]


def _input_files(root: Path) -> List[Path]:
    files: List[Path] = []
    for name in TRAINING_INPUTS:
        path = root / name
        if path.is_dir():
            files.extend(
                p for p in path.rglob("*")
                if p.is_file() and p.suffix in {".yml", ".yaml", ".py"} and "__pycache__" not in p.parts
            )
        elif path.is_file():
            files.append(path)
    return sorted(set(files))


def training_fingerprint(root: Path = REPO_ROOT) -> str:
    digest = hashlib.sha256()
    for path in _input_files(root):
        digest.update(str(path.relative_to(root)).encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()[:16]


def rasa_environment(settings: Settings) -> dict:
    """Environment for any process of the Rasa venv: our components importable, TF quiet."""
    env = dict(os.environ)
    env.update(settings.rasa_environment())
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    env.setdefault("PYTHONHASHSEED", "0")
    env.setdefault("RASA_TELEMETRY_ENABLED", "false")
    return env


def check_rasa(settings: Settings) -> None:
    if not settings.rasa_bin.exists():
        raise SystemExit(
            f"The Rasa environment is missing ({settings.rasa_bin}). Run `make setup` first."
        )


def model_path(settings: Settings, fingerprint: Optional[str] = None) -> Path:
    return settings.models_dir / f"madoguchi-{fingerprint or training_fingerprint()}.tar.gz"


def ensure_model(settings: Optional[Settings] = None, force: bool = False) -> Path:
    """Returns the trained model for the current inputs, training it if needed."""
    settings = settings or load_settings()
    target = model_path(settings)
    if target.exists() and not force:
        log.info("Rasa model is up to date: %s", target.name)
        return target
    check_rasa(settings)
    settings.models_dir.mkdir(parents=True, exist_ok=True)
    command = [
        str(settings.rasa_bin), "train",
        "--config", "config.yml",
        "--domain", "bot/domain.yml",
        "--data", "nlu_data",
        "--out", str(settings.models_dir),
        "--fixed-model-name", target.name[: -len(".tar.gz")],
    ]
    if force:
        command.append("--force")
    log_path = settings.home / "logs" / "train.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    log.info("Training the Rasa model (a few minutes on 2 cores); log: %s", log_path)
    started = time.monotonic()
    with open(log_path, "wb") as out:
        result = subprocess.run(
            command, cwd=REPO_ROOT, env=rasa_environment(settings), stdout=out, stderr=subprocess.STDOUT
        )
    if result.returncode != 0:
        tail = "\n".join(log_path.read_text(errors="replace").splitlines()[-40:])
        raise SystemExit(f"Rasa training failed (exit code {result.returncode}):\n{tail}")
    if not target.exists():
        raise SystemExit(f"Rasa training finished but {target} was not written")
    log.info("Trained %s in %.0f s", target.name, time.monotonic() - started)
    for old in settings.models_dir.glob("madoguchi-*.tar.gz"):
        if old != target:
            old.unlink(missing_ok=True)
    return target


def _cmd_train(args) -> int:
    path = ensure_model(force=args.force)
    print(path)
    return 0


def register(sub) -> None:
    parser = sub.add_parser("train", help="train the Rasa model (reused when nothing changed)")
    parser.add_argument("--force", action="store_true", help="train even when up to date")
    parser.set_defaults(func=_cmd_train)

