"""NLU cross-validation: per-intent F1 over k folds, written to benchmarks/results/nlu_cv.{json,md}.

    .venv/bin/python -m benchmarks.nlu_cv [--folds 5] [--repeats 3]
"""
from __future__ import annotations

import argparse
import json
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

from core.settings import REPO_ROOT, load_settings
from madoguchi.training import check_rasa, rasa_environment, training_fingerprint

RESULTS = REPO_ROOT / "benchmarks" / "results"
TARGET_F1 = 0.85

# Rasa draws the folds from numpy's global generator without a seed; seeding it makes runs
# (and so changes to the data or the pipeline) comparable.
def _seeded_rasa(seed: int) -> str:
    return (f"import sys, numpy; numpy.random.seed({seed}); sys.argv[0] = 'rasa'; "
            "from rasa.__main__ import main; main()")


def _cross_validate(settings, folds: int, seed: int) -> tuple:
    """One k-fold run: Rasa's intent report and its list of misses."""
    with tempfile.TemporaryDirectory() as out:
        subprocess.run(
            [
                str(settings.rasa_bin.with_name("python")), "-c", _seeded_rasa(seed), "test", "nlu",
                "--nlu", "nlu_data/nlu.yml", "--config", "config.yml",
                "--cross-validation", "--folds", str(folds), "--out", out,
            ],
            cwd=REPO_ROOT, env=rasa_environment(settings), check=True,
            stdout=subprocess.DEVNULL,
        )
        report = json.loads((Path(out) / "intent_report.json").read_text(encoding="utf-8"))
        errors_file = Path(out) / "intent_errors.json"
        errors = json.loads(errors_file.read_text(encoding="utf-8")) if errors_file.is_file() else []
    return report, errors


def run(folds: int, repeats: int = 3) -> dict:
    """k-fold CV repeated with `repeats` different random splits (seeds 0, 1, ...): a single
    split moves a small intent's F1 by a few points."""
    settings = load_settings()
    check_rasa(settings)
    started = time.monotonic()
    runs = [_cross_validate(settings, folds, seed) for seed in range(repeats)]
    seconds = time.monotonic() - started
    names = sorted(
        name for name, values in runs[0][0].items()
        if isinstance(values, dict) and "f1-score" in values and name not in {"micro avg", "macro avg", "weighted avg"}
    )

    def mean(values) -> float:
        return round(statistics.fmean(values), 4)

    intents = {
        name: {
            "f1": mean(report[name]["f1-score"] for report, _ in runs),
            "f1_worst_split": round(min(report[name]["f1-score"] for report, _ in runs), 4),
            "precision": mean(report[name]["precision"] for report, _ in runs),
            "recall": mean(report[name]["recall"] for report, _ in runs),
            "support": runs[0][0][name]["support"],
        }
        for name in names
    }
    return {
        "benchmark": "nlu_cross_validation",
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {__import__('os').cpu_count()} cores",
        "folds": folds,
        "fold_seeds": list(range(repeats)),
        "training_fingerprint": training_fingerprint(),
        "seconds": round(seconds, 1),
        "accuracy": mean(report.get("accuracy", 0.0) for report, _ in runs),
        "macro_f1": mean(report["macro avg"]["f1-score"] for report, _ in runs),
        "target_min_f1": TARGET_F1,
        "intents": intents,
        "below_target": [name for name, v in intents.items() if v["f1"] < TARGET_F1],
        "confusions": _confusions([e for _, errors in runs for e in errors]),
    }


def _confusions(errors: list, top: int = 12) -> list:
    """The most frequent (true -> predicted) pairs among the misses, with example texts."""
    pairs: dict = {}
    for e in errors:
        key = (e["intent"], e["intent_prediction"]["name"] or "none")
        pairs.setdefault(key, []).append(e["text"])
    ranked = sorted(pairs.items(), key=lambda kv: -len(kv[1]))[:top]
    return [{"intent": i, "predicted": p, "count": len(t), "examples": list(dict.fromkeys(t))[:3]}
            for (i, p), t in ranked]


def write(result: dict) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "nlu_cv.json").write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    lines = [
        f"# NLU {result['folds']}-fold cross-validation",
        "",
        f"{result['date']} · {result['machine']} · {result['seconds']} s · "
        f"{len(result['fold_seeds'])} random splits into folds (seeds "
        f"{', '.join(map(str, result['fold_seeds']))}), figures are their mean · "
        f"accuracy {result['accuracy']:.3f} · macro F1 {result['macro_f1']:.3f}",
        "",
        "| intent | F1 | F1, worst split | precision | recall | examples |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, v in result["intents"].items():
        lines.append(f"| {name} | {v['f1']:.3f} | {v['f1_worst_split']:.3f} | {v['precision']:.3f} | "
                     f"{v['recall']:.3f} | {v['support']} |")
    lines += ["", f"Target: every intent F1 ≥ {result['target_min_f1']}. Below target: "
              + (", ".join(result["below_target"]) or "none") + "."]
    lines += ["", "Most frequent misses, counted over all splits (nlu_fallback: confidence under the "
              "FallbackClassifier's threshold, which the dialogue sends to FAQ search):", "",
              "| intent | predicted | count | examples |", "| --- | --- | ---: | --- |"]
    for c in result.get("confusions", []):
        lines.append(f"| {c['intent']} | {c['predicted']} | {c['count']} | {' / '.join(c['examples'])} |")
    (RESULTS / "nlu_cv.md").write_text("\n".join(lines) + "\n", encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=3,
                        help="how many different random splits into folds (seeds 0, 1, ...)")
    args = parser.parse_args()
    result = run(args.folds, args.repeats)
    write(result)
    print((RESULTS / "nlu_cv.md").read_text(encoding="utf-8"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
