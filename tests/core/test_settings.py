"""Settings from the environment: Rasa workers and the variables handed to the Rasa server."""
from __future__ import annotations

import os
import subprocess

import pytest

from core.settings import REPO_ROOT, load_settings


def test_one_rasa_worker_by_default(monkeypatch):
    monkeypatch.delenv("MADOGUCHI_RASA_WORKERS", raising=False)
    monkeypatch.delenv("MADOGUCHI_LOCK_STORE", raising=False)
    settings = load_settings()
    assert settings.rasa_workers == 1
    assert settings.rasa_environment()["SANIC_WORKERS"] == "1"


def test_several_rasa_workers_need_the_redis_lock_store(monkeypatch):
    monkeypatch.setenv("MADOGUCHI_RASA_WORKERS", "2")
    monkeypatch.delenv("MADOGUCHI_LOCK_STORE", raising=False)
    with pytest.raises(ValueError, match="MADOGUCHI_LOCK_STORE=redis"):
        load_settings()
    monkeypatch.setenv("MADOGUCHI_LOCK_STORE", "redis")
    env = load_settings().rasa_environment()
    assert env["SANIC_WORKERS"] == "2" and env["MADOGUCHI_LOCK_STORE"] == "redis"


@pytest.mark.parametrize("value", ["0", "-1", "two", "1.5"])
def test_bad_worker_counts_are_refused(monkeypatch, value):
    monkeypatch.setenv("MADOGUCHI_RASA_WORKERS", value)
    monkeypatch.setenv("MADOGUCHI_LOCK_STORE", "redis")
    with pytest.raises(ValueError, match="MADOGUCHI_RASA_WORKERS"):
        load_settings()


def test_the_rasa_server_finds_the_nlu_embedding_model(monkeypatch, tmp_path):
    monkeypatch.setenv("MADOGUCHI_HOME", str(tmp_path))
    monkeypatch.delenv("MADOGUCHI_NLU_EMBEDDING_MODEL", raising=False)
    env = load_settings().rasa_environment()
    assert env["MADOGUCHI_NLU_EMBEDDING_MODEL"] == str(tmp_path / "models" / "multilingual-e5-small")
    monkeypatch.setenv("MADOGUCHI_NLU_EMBEDDING_MODEL", str(tmp_path / "other"))
    assert load_settings().rasa_environment()["MADOGUCHI_NLU_EMBEDDING_MODEL"] == str(tmp_path / "other")


def test_the_command_line_prints_a_bad_setting_and_exits_with_1():
    env = dict(os.environ, MADOGUCHI_RASA_PORT="abc")
    proc = subprocess.run([str(REPO_ROOT / ".venv" / "bin" / "madoguchi"), "tickets", "list"],
                          env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1
    assert proc.stderr.strip() == "MADOGUCHI_RASA_PORT must be a port number, got 'abc'"
    assert proc.stdout == ""


@pytest.mark.parametrize("value, message", [
    ("70000", "MADOGUCHI_APP_PORT must be between 1 and 65535, got 70000"),
    ("x", "MADOGUCHI_APP_PORT must be a port number, got 'x'"),
])
def test_bad_ports_are_refused_with_a_clear_message(monkeypatch, value, message):
    monkeypatch.setenv("MADOGUCHI_APP_PORT", value)
    with pytest.raises(ValueError) as error:
        load_settings()
    assert str(error.value) == message


def test_a_blank_variable_counts_as_unset(monkeypatch):
    monkeypatch.setenv("MADOGUCHI_APP_PORT", "  ")
    assert load_settings().app_port == 8000
