"""Training data validation and the hash that decides when Rasa retrains."""
from __future__ import annotations

import shutil
import subprocess

from core.settings import REPO_ROOT, load_settings
from madoguchi.training import TRAINING_INPUTS, rasa_environment, training_fingerprint


def test_rasa_data_validate_passes():
    settings = load_settings()
    result = subprocess.run(
        [
            str(settings.rasa_bin), "data", "validate",
            "--domain", "bot/domain.yml", "--data", "nlu_data", "--config", "config.yml",
            "--fail-on-warnings",
        ],
        capture_output=True, text=True, cwd=REPO_ROOT, env=rasa_environment(settings), timeout=600,
    )
    assert result.returncode == 0, (result.stdout + result.stderr)[-4000:]


def test_fingerprint_follows_training_inputs(tmp_path):
    for name in TRAINING_INPUTS:
        source = REPO_ROOT / name
        target = tmp_path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(source, target)
    before = training_fingerprint(tmp_path)
    assert before == training_fingerprint(REPO_ROOT)
    (tmp_path / "README.md").write_text("not a training input")
    assert training_fingerprint(tmp_path) == before
    rules = tmp_path / "nlu_data" / "rules.yml"
    rules.write_text(rules.read_text(encoding="utf-8") + "\n# changed\n", encoding="utf-8")
    assert training_fingerprint(tmp_path) != before
