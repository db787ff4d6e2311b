"""`rasa test` on the test stories: the trained policies take the expected actions."""
from __future__ import annotations

import json
import subprocess

import pytest

from core.settings import REPO_ROOT, load_settings
from madoguchi.training import rasa_environment


def test_rasa_test_stories(rasa_model, tmp_path):
    settings = load_settings()
    result = subprocess.run(
        [
            str(settings.rasa_bin), "test", "core",
            "--model", str(rasa_model),
            "--stories", "tests/bot/test_stories.yml",
            "--out", str(tmp_path),
            "--fail-on-prediction-errors",
        ],
        capture_output=True, text=True, cwd=REPO_ROOT, env=rasa_environment(settings), timeout=900,
    )
    report = tmp_path / "story_report.json"
    assert result.returncode == 0, (result.stdout + result.stderr)[-4000:]
    assert report.exists()
    data = json.loads(report.read_text(encoding="utf-8"))
    assert data["accuracy"] == pytest.approx(1.0)
