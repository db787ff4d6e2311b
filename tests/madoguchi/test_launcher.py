"""The launcher: which processes `madoguchi run` starts."""
from __future__ import annotations

from core.settings import load_settings
from madoguchi.launcher import Stack


def test_the_stack_starts_the_gateway(tmp_path, monkeypatch):
    monkeypatch.setenv("MADOGUCHI_HOME", str(tmp_path))
    monkeypatch.setenv("MADOGUCHI_APP_PORT", "8123")
    stack = Stack(load_settings(), tmp_path / "model.tar.gz")
    (gateway,) = [s for s in stack.services if s.command[1:3] == ["-m", "madoguchi.server"]]
    assert gateway.command[-2:] == ["--port", "8123"]
    assert gateway.health_url == "http://127.0.0.1:8123/health"
