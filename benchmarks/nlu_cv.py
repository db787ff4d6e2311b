"""NLU cross-validation: per-intent F1 over k folds, written to benchmarks/results/nlu_cv.{json,md}.

    .venv/bin/python -m benchmarks.nlu_cv [--folds 5]
"""
from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

from madoguchi.settings import REPO_ROOT, load_settings
from madoguchi.training import check_rasa, rasa_environment, training_fingerprint

RESULTS = REPO_ROOT / "benchmarks" / "results"
TARGET_F1 = 0.85


def run(folds: int) -> dict:
    settings = load_settings()
    check_rasa(settings)
    with tempfile.TemporaryDirectory() as out:
        started = time.monotonic()
        subprocess.run(
            [
                str(settings.rasa_bin), "test", "nlu",
                "--nlu", "nlu_data/nlu.yml", "--config", "config.yml",
                "--cross-validation", "--folds", str(folds), "--out", out,
            ],
            cwd=REPO_ROOT, env=rasa_environment(settings), check=True,
            stdout=subprocess.DEVNULL,
        )
        seconds = time.monotonic() - started
        report = json.loads((Path(out) / "intent_report.json").read_text(encoding="utf-8"))
        errors_file = Path(out) / "intent_errors.json"
        errors = json.loads(errors_file.read_text(encoding="utf-8")) if errors_file.is_file() else []
    intents = {
        name: {
            "f1": round(values["f1-score"], 4),
            "precision": round(values["precision"], 4),
            "recall": round(values["recall"], 4),
            "support": values["support"],
        }
        for name, values in sorted(report.items())
        if isinstance(values, dict) and "f1-score" in values and name not in {"micro avg", "macro avg", "weighted avg"}
    }
    return {
        "benchmark": "nlu_cross_validation",
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {__import__('os').cpu_count()} cores",
        "folds": folds,
        "training_fingerprint": training_fingerprint(),
        "seconds": round(seconds, 1),
        "accuracy": round(report.get("accuracy", 0.0), 4),
        "macro_f1": round(report["macro avg"]["f1-score"], 4),
        "target_min_f1": TARGET_F1,
        "intents": intents,
        "below_target": [name for name, v in intents.items() if v["f1"] < TARGET_F1],
        "confusions": _confusions(errors),
    }


def _confusions(errors: list, top: int = 12) -> list:
    """The most frequent (true -> predicted) pairs among the misses, with example texts."""
    pairs: dict = {}
    for e in errors:
        key = (e["intent"], e["intent_prediction"]["name"] or "none")
        pairs.setdefault(key, []).append(e["text"])
    ranked = sorted(pairs.items(), key=lambda kv: -len(kv[1]))[:top]
    return [{"intent": i, "predicted": p, "count": len(t), "examples": t[:3]} for (i, p), t in ranked]


def write(result: dict) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "nlu_cv.json").write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    lines = [
        f"# NLU {result['folds']}-fold cross-validation",
        "",
        f"{result['date']} · {result['machine']} · {result['seconds']} s · "
        f"accuracy {result['accuracy']:.3f} · macro F1 {result['macro_f1']:.3f}",
        "",
        "| intent | F1 | precision | recall | examples |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for name, v in result["intents"].items():
        lines.append(f"| {name} | {v['f1']:.3f} | {v['precision']:.3f} | {v['recall']:.3f} | {v['support']} |")
    lines += ["", f"Target: every intent F1 ≥ {result['target_min_f1']}. Below target: "
              + (", ".join(result["below_target"]) or "none") + "."]
    lines += ["", "Most frequent misses (nlu_fallback: confidence under the FallbackClassifier's "
              "threshold, which the dialogue sends to FAQ search):", "",
              "| intent | predicted | count | examples |", "| --- | --- | ---: | --- |"]
    for c in result.get("confusions", []):
        lines.append(f"| {c['intent']} | {c['predicted']} | {c['count']} | {' / '.join(c['examples'])} |")
    (RESULTS / "nlu_cv.md").write_text("\n".join(lines) + "\n", encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folds", type=int, default=5)
    args = parser.parse_args()
    result = run(args.folds)
    write(result)
    print((RESULTS / "nlu_cv.md").read_text(encoding="utf-8"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
