"""Questions in the residents' languages: how well FAQ search finds the Japanese entry.

For each of English, Chinese, Korean, Vietnamese and Portuguese, on the dev queries in that
language (faq/data/dev_queries_i18n.jsonl, plus those of faq/data/dev_queries.jsonl whose style
is a language code): the share of answerable queries with a relevant entry in the top 3, the
share answered confidently and wrongly (decision "answer" with an entry that is not relevant,
or any answer to a query with no relevant entry), and how the language was detected. Search
runs as the action server runs it (FaqService.search: language detection, glossary, dense
ranking), on the sample FAQ in a throw-away SQLite database. Writes
benchmarks/results/languages.{json,md}.

    .venv/bin/python -m benchmarks.languages_bench
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
from collections import defaultdict
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

from core.settings import REPO_ROOT, load_settings
from faq.csvio import import_csv
from faq.language import FOREIGN_LANGUAGES, detect
from faq.service import FaqService
from faq.store import FaqStore

RESULTS = REPO_ROOT / "benchmarks" / "results"
SAMPLE_CSV = REPO_ROOT / "faq" / "data" / "sample_faq.csv"
QUERY_FILES = (
    REPO_ROOT / "faq" / "data" / "dev_queries_i18n.jsonl",
    REPO_ROOT / "faq" / "data" / "dev_queries.jsonl",
)
TARGETS = {"top3": 0.85, "wrong_answer": 0.03}


def load_queries(paths: Sequence[Path] = QUERY_FILES) -> List[Dict[str, Any]]:
    """Dev queries written in a foreign language (style or lang is its code)."""
    out = []
    for path in paths:
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            row = json.loads(line)
            lang = row.get("lang") or row.get("style")
            if lang in FOREIGN_LANGUAGES:
                out.append({**row, "lang": lang})
    return out


def evaluate(service: Any, queries: Sequence[Dict[str, Any]]) -> Dict[str, Dict[str, Any]]:
    per: Dict[str, Dict[str, Any]] = defaultdict(lambda: defaultdict(int))
    misses: Dict[str, List[str]] = defaultdict(list)
    for query in queries:
        lang = query["lang"]
        stats = per[lang]
        relevant = query.get("relevant") or {}
        started = time.perf_counter()
        result = service.search(query["text"], top_k=5)
        stats["ms_total"] += (time.perf_counter() - started) * 1000
        stats["queries"] += 1
        stats["detected_right"] += detect(query["text"]) == lang
        top = result.hits[0].faq_id if result.hits else None
        if result.decision == "answer":
            stats["answered"] += 1
            if top not in relevant:
                stats["wrong_answer"] += 1
        if not relevant:
            stats["no_answer_queries"] += 1
            continue
        stats["answerable"] += 1
        if any(hit.faq_id in relevant for hit in result.hits[:3]):
            stats["top3"] += 1
        else:
            misses[lang].append(query["text"])
        if top in relevant:
            stats["top1"] += 1
    table: Dict[str, Dict[str, Any]] = {}
    for lang in FOREIGN_LANGUAGES:
        s = per.get(lang)
        if not s:
            continue
        table[lang] = {
            "queries": s["queries"],
            "answerable": s["answerable"],
            "no_answer_queries": s["no_answer_queries"],
            "top1_rate": round(s["top1"] / max(1, s["answerable"]), 4),
            "top3_rate": round(s["top3"] / max(1, s["answerable"]), 4),
            "answered_rate": round(s["answered"] / s["queries"], 4),
            "wrong_answer_rate": round(s["wrong_answer"] / s["queries"], 4),
            "detection_accuracy": round(s["detected_right"] / s["queries"], 4),
            "mean_ms": round(s["ms_total"] / s["queries"], 1),
            "top3_misses": misses.get(lang, []),
        }
    return table


def write_markdown(result: Dict[str, Any], path: Path) -> None:
    names = {"en": "English", "zh": "中文", "ko": "한국어", "vi": "Tiếng Việt", "pt": "Português"}
    lines = [
        "# FAQ search for questions in the residents' languages",
        "",
        f"{result['generated_at']} · {result['machine']} · {result['faq_entries']} sample FAQ entries "
        f"(Japanese; {result['translated_entries']} with curated translations, which search does not use) · "
        "`python -m benchmarks.languages_bench`",
        "",
        "Top 3: a relevant entry among the first three (answerable queries). Wrong answer: the bot "
        "answered confidently (decision `answer`) with an entry that is not relevant, over all queries "
        f"of the language. Targets: top 3 ≥ {TARGETS['top3']:.0%}, wrong answer ≤ {TARGETS['wrong_answer']:.0%}.",
        "",
        "| language | queries (answerable / none) | top 1 | top 3 | answered | wrong answer | detected | mean ms |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for lang, row in result["languages"].items():
        lines.append(
            f"| {names.get(lang, lang)} ({lang}) | {row['queries']} ({row['answerable']} / {row['no_answer_queries']}) "
            f"| {row['top1_rate']:.1%} | {row['top3_rate']:.1%} | {row['answered_rate']:.1%} "
            f"| {row['wrong_answer_rate']:.1%} | {row['detection_accuracy']:.1%} | {row['mean_ms']} |"
        )
    lines += ["", "Answerable queries without a relevant entry in the top 3:", ""]
    for lang, row in result["languages"].items():
        for text in row["top3_misses"]:
            lines.append(f"- {lang}: {text}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", help="results folder (default benchmarks/results)")
    args = parser.parse_args(argv)

    settings = load_settings()
    out = Path(args.out) if args.out else RESULTS
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as workdir:
        url = f"sqlite:///{workdir}/faq.db"
        store = FaqStore(url)
        import_csv(store, SAMPLE_CSV, by="bench")
        entries = store.list()
        with FaqService(store, model_path=settings.embedding_model, index_dir=None,
                        show_progress=False) as service:
            service.refresh(force=True)
            table = evaluate(service, load_queries())
    result = {
        "generated_at": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "faq_entries": len(entries),
        "translated_entries": sum(1 for e in entries if e.translated_languages()),
        "targets": TARGETS,
        "languages": table,
    }
    (out / "languages.json").write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    write_markdown(result, out / "languages.md")
    print((out / "languages.md").read_text(encoding="utf-8"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
