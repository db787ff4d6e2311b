"""FAQ search benchmark: quality on the dev set, latency and build time at 300 / 2,000 / 20,000
entries, edit-to-searchable time and peak memory. Writes benchmarks/results/faq.{json,md}.

    .venv/bin/python -m benchmarks.faq_bench [--quick] [--sizes 300,2000,20000]
    .venv/bin/madoguchi faq bench [--quick]

The larger FAQ sets are synthesised from the sample: each copy of an entry is rewritten for
another district (its office, centre, phone number, hours and a district note), as a city
with ward offices has, so no two entries are the same text.
"""
from __future__ import annotations

import argparse
import json
import os
import logging
import platform
import random
import re
import resource
import statistics
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

import numpy as np

from core.settings import REPO_ROOT, load_settings
from faq.calibration import evaluate
from faq.config import SearchConfig
from faq.csvio import _row_fields, decode_bytes, parse_csv
from faq.evaluation import load_queries
from faq.service import FaqService, load_encoder
from faq.store import FaqStore

RESULTS = REPO_ROOT / "benchmarks" / "results"
SAMPLE_CSV = REPO_ROOT / "faq" / "data" / "sample_faq.csv"
DEV_QUERIES = REPO_ROOT / "faq" / "data" / "dev_queries.jsonl"
TARGETS = {"p95_ms_at_20000": 30.0, "build_s_at_20000": 180.0, "edit_s": 1.0}

log = logging.getLogger("faq_bench")

DISTRICTS = [
    "北町", "南町", "東町", "西町", "中央", "港", "桜ヶ丘", "緑が丘", "若葉", "青葉台", "旭",
    "本郷", "新田", "川端", "山手", "浜田", "松原", "竹の内", "梅園", "城南", "城北", "泉",
    "柳川", "高砂", "大森", "小松", "日向", "朝日", "白鷺", "千草", "富士見", "清水", "石橋",
    "宮前", "八幡", "稲荷", "瀬戸", "若松", "春日", "光が丘", "鶴見", "亀田", "水口", "花園",
    "栄", "錦", "御幸", "末広", "寿", "昭和", "平和", "長浜", "岩崎", "森下", "田原", "上野",
    "下川", "中島", "今泉", "新町", "古川", "北山", "南浜", "東野", "西原", "野田", "沢井",
    "岡本", "大橋", "小林",
]
_OFFICE = re.compile(r"市役所|本庁舎|市民センター|支所")
_PHONE = re.compile(r"(\d{2,4})-(\d{3,4})-(\d{4})")
_TIME = re.compile(r"(\d{1,2})時(\d{2})分")


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _variant(row: Dict[str, Any], district: str, serial: int, rng: random.Random) -> Dict[str, Any]:
    office = f"{district}支所"
    centre = f"{district}地区センター"

    def rewrite(text: str) -> str:
        text = _OFFICE.sub(lambda m: office if m.group(0) != "市民センター" else centre, text)
        text = _PHONE.sub(lambda m: f"{m.group(1)}-{rng.randint(100, 999)}-{rng.randint(1000, 9999)}", text)
        text = _TIME.sub(lambda m: f"{m.group(1)}時{rng.choice(['00', '15', '30', '45'])}分", text)
        return text

    question = rewrite(row["question"])
    if question == row["question"]:
        question = f"【{district}地区】{question}"
    alternatives = [
        rewrite(a) if rewrite(a) != a else f"{district}で{a}" for a in row["alternatives"]
    ]
    note = rng.choice(
        [
            f"{district}地区にお住まいの方は、{office}の窓口でも受け付けています。",
            f"{district}地区の受付は{centre}（平日9時から17時）です。",
            f"{district}地区では、受付の曜日が異なる場合があります。{office}にお問い合わせください。",
        ]
    )
    return {
        **row,
        "id": f"S{serial:06d}",
        "question": question,
        "alternatives": alternatives,
        "answer": rewrite(row["answer"]) + "\n" + note,
        "short_answer": rewrite(row.get("short_answer", "")),
        "phone": f"099-{rng.randint(100, 999)}-{rng.randint(1000, 9999)}" if row.get("phone") else "",
        "keywords": list(row.get("keywords", ())) + [district],
    }


def synthesize(sample: Sequence[Dict[str, Any]], n: int, seed: int = 7) -> List[Dict[str, Any]]:
    rng = random.Random(seed)
    rows = [dict(r) for r in sample[:n]]
    serial = 0
    while len(rows) < n:
        district = DISTRICTS[(serial // len(sample)) % len(DISTRICTS)]
        base = sample[serial % len(sample)]
        rows.append(_variant(base, district, serial, rng))
        serial += 1
    return rows


def load_sample() -> List[Dict[str, Any]]:
    text, _ = decode_bytes(SAMPLE_CSV.read_bytes())
    columns, rows, errors = parse_csv(text)
    if errors:
        raise SystemExit(f"{SAMPLE_CSV}: {errors[:3]}")
    out = []
    for _, row in rows:
        fields, _, problems = _row_fields(row, columns)
        if problems:
            raise SystemExit(f"{SAMPLE_CSV}: {problems}")
        out.append(fields)
    return out


def _fill_store(url: str, rows: Sequence[Dict[str, Any]]):
    store = FaqStore(url)
    for start in range(0, len(rows), 5000):
        store.import_entries([(r, None) for r in rows[start : start + 5000]], by="bench")
    return store


def _percentiles(values: Sequence[float]) -> Dict[str, float]:
    arr = np.asarray(values) * 1000.0
    return {
        "p50_ms": round(float(np.percentile(arr, 50)), 2),
        "p95_ms": round(float(np.percentile(arr, 95)), 2),
        "mean_ms": round(float(arr.mean()), 2),
        "max_ms": round(float(arr.max()), 2),
        "n": len(values),
    }


def quality(encoder, workdir: Path) -> Dict[str, Any]:
    rows = load_sample()
    store = _fill_store(f"sqlite:///{workdir / 'quality.db'}", rows)
    service = FaqService(store, encoder, index_dir=None, show_progress=False)
    queries = load_queries(DEV_QUERIES)
    metrics = evaluate(service, queries)
    service.close()
    return metrics


# What an editor writes in the benchmark: topics no sample entry has (an edit changes the
# question and the answer together, as a real edit does).
EDIT_TOPICS = ["城址公園の夜桜ライトアップ", "マンホールカードの配布", "ドローン操縦の体験教室",
               "古文書の解読講座", "天体観望会"]


def edit_latency(service, url: str, rounds: int) -> Dict[str, Any]:
    """Another process's writer (own store) edits; time from commit until search shows it."""
    writer = FaqStore(url, migrate=False)
    edit_times, add_times, unpublish_times = [], [], []
    try:
        entries = writer.list(status="published", limit=rounds)
        for i, entry in enumerate(entries):
            topic = EDIT_TOPICS[i % len(EDIT_TOPICS)]
            phrase = f"{topic}について知りたい"
            writer.update(entry.id, {"question": phrase, "answer": f"{topic}は、毎月第{i % 4 + 1}日曜日に行います。"},
                          expected_version=entry.version, by="bench")
            t0 = time.perf_counter()
            result = service.search(phrase, top_k=3)
            edit_times.append(time.perf_counter() - t0)
            assert result.hits and result.hits[0].faq_id == entry.id, "edit not visible"
            new_id = f"BENCH{i:03d}"
            writer.create(
                {"id": new_id, "question": f"新設の窓口{i}番の受付時間は", "answer": "平日9時から17時です。",
                 "status": "published"},
                by="bench",
            )
            t0 = time.perf_counter()
            result = service.search(f"新設の窓口{i}番の受付時間は", top_k=3)
            add_times.append(time.perf_counter() - t0)
            assert any(h.faq_id == new_id for h in result.hits), "new entry not visible"
            current = writer.get(new_id)
            writer.unpublish(new_id, expected_version=current.version, by="bench")
            t0 = time.perf_counter()
            result = service.search(f"新設の窓口{i}番の受付時間は", top_k=10)
            unpublish_times.append(time.perf_counter() - t0)
            assert all(h.faq_id != new_id for h in result.hits), "unpublished entry still found"
    finally:
        writer.close()
    return {
        "edit_s_max": round(max(edit_times), 3),
        "edit_s_median": round(statistics.median(edit_times), 3),
        "add_s_max": round(max(add_times), 3),
        "unpublish_s_max": round(max(unpublish_times), 3),
        "rounds": len(edit_times),
    }


def scale(encoder, n: int, sample: List[Dict[str, Any]], query_texts: List[str], workdir: Path,
          n_queries: int, edit_rounds: int) -> Dict[str, Any]:
    rows = synthesize(sample, n)
    url = f"sqlite:///{workdir / f'scale_{n}.db'}"
    t0 = time.perf_counter()
    store = _fill_store(url, rows)
    fill_s = time.perf_counter() - t0
    index_dir = workdir / f"index_{n}"
    service = FaqService(store, encoder, index_dir=index_dir, show_progress=sys.stderr.isatty())
    t0, c0 = time.perf_counter(), time.process_time()
    index = service.reindex()
    build_s = time.perf_counter() - t0
    build_cpu_s = time.process_time() - c0  # all threads of this process
    vectors = index.vectors.ntotal
    for q in query_texts[:5]:
        service.search(q)
    rng = random.Random(n)
    picked = [rng.choice(query_texts) for _ in range(n_queries)]
    times, cpu_times, encode_times, rank_times = [], [], [], []
    for q in picked:
        t, c = time.perf_counter(), time.process_time()
        service.search(q, top_k=10)
        times.append(time.perf_counter() - t)
        cpu_times.append(time.process_time() - c)
    # Where the time goes: query analysis + encoding vs. retrieval + fusion.
    for q in picked:
        t = time.perf_counter()
        analysis, qvec = index.prepare(q)
        t1 = time.perf_counter()
        index.rank(analysis, qvec, top_k=10)
        encode_times.append(t1 - t)
        rank_times.append(time.perf_counter() - t1)
    latency = _percentiles(times)
    latency["cpu_p50_ms"] = _percentiles(cpu_times)["p50_ms"]
    latency["cpu_p95_ms"] = _percentiles(cpu_times)["p95_ms"]
    latency["encode_p50_ms"] = _percentiles(encode_times)["p50_ms"]
    latency["encode_p95_ms"] = _percentiles(encode_times)["p95_ms"]
    latency["retrieve_p50_ms"] = _percentiles(rank_times)["p50_ms"]
    latency["retrieve_p95_ms"] = _percentiles(rank_times)["p95_ms"]
    # Loading the saved index (a restart) instead of building it.
    t0 = time.perf_counter()
    service2 = FaqService(store, encoder, index_dir=index_dir, show_progress=False)
    service2.refresh()
    load_s = time.perf_counter() - t0
    service2.close()
    edits = edit_latency(service, url, edit_rounds)
    service.close()
    return {
        "entries": n,
        "published_indexed": len(index),
        "vectors": vectors,
        "db_fill_s": round(fill_s, 2),
        "build_s": round(build_s, 2),
        "build_cpu_s": round(build_cpu_s, 2),
        "load_saved_index_s": round(load_s, 2),
        "latency": latency,
        "edit": edits,
        "peak_rss_mb_so_far": round(_rss_mb(), 1),
    }


def write_markdown(result: Dict[str, Any], path: Path) -> None:
    q = result.get("quality") or {}
    lines = [
        "# FAQ search benchmark",
        "",
        f"Run {result['started_at']} on {result['machine']['cpus']} CPUs ({result['machine']['platform']}),"
        f" model `{result['model']}`{' — quick mode' if result['quick'] else ''}; FAQ entries encoded"
        f" by torch ({result.get('passage_precision', '?')}), queries by {result.get('query_runtime', '?')}.",
        "",
    ]
    if q:
        lines += [
            f"## Quality on the dev set ({q['fused']['queries']} answerable of {q['queries']} queries)",
            "",
            "| retriever | nDCG@10 | Hit@1 | Hit@5 | MRR@10 |",
            "| --- | ---: | ---: | ---: | ---: |",
        ]
        for m in ("bm25", "dense", "fused"):
            r = q[m]
            lines.append(
                f"| {m} | {r['ndcg@10']:.4f} | {r['hit@1']:.4f} | {r['hit@5']:.4f} | {r['mrr@10']:.4f} |"
            )
        d = q["decision"]

        def f(v):
            return "-" if v is None else f"{v:.3f}"

        lines += [
            "",
            "Decision with the calibrated thresholds (fit on this same dev set):",
            "",
            "| decision | count | precision |",
            "| --- | ---: | ---: |",
        ]
        for name in ("answer", "suggest", "none"):
            lines.append(f"| {name} | {d[name + '_count']} | {f(d[name + '_precision'])} |")
        lines.append("")
    lines += [
        "## Scale",
        "",
        "| entries | vectors | build (s) | build CPU (s) | load saved (s) | search p50 (ms) | p95 (ms) | search CPU p50/p95 (ms) | encode p50/p95 (ms) | retrieve+fuse p50/p95 (ms) | edit → searchable max (s) | peak RSS so far (MB) |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for s in result["scale"]:
        lat = s["latency"]
        lines.append(
            f"| {s['entries']:,} | {s['vectors']:,} | {s['build_s']:.1f} | {s['build_cpu_s']:.1f} | "
            f"{s['load_saved_index_s']:.2f} | {lat['p50_ms']:.1f} | {lat['p95_ms']:.1f} | "
            f"{lat['cpu_p50_ms']:.1f} / {lat['cpu_p95_ms']:.1f} | "
            f"{lat['encode_p50_ms']:.1f} / {lat['encode_p95_ms']:.1f} | "
            f"{lat['retrieve_p50_ms']:.1f} / {lat['retrieve_p95_ms']:.1f} | "
            f"{max(s['edit']['edit_s_max'], s['edit']['add_s_max'], s['edit']['unpublish_s_max']):.3f} | "
            f"{s['peak_rss_mb_so_far']:.0f} |"
        )
    load = result.get("load_average")
    lines += [
        "",
        f"Peak RSS of the whole run: {result['peak_rss_mb']:.0f} MB. "
        f"System load average (1/5/15 min) at the start: {load['start']}, at the end: {load['end']} "
        "(other processes on the machine slow the encoder down; wall times are what a resident "
        "would see, CPU times what this process itself spent, over all its threads).",
        "",
        "## Targets",
        "",
    ]
    for name, row in result["targets"].items():
        lines.append(f"- {name}: {row['value']} (target {row['target']}) — {'met' if row['met'] else 'NOT met'}")
    lines.append("")
    path.write_text("\n".join(lines), encoding="utf-8")


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, few queries (smoke run)")
    parser.add_argument("--sizes", help="comma-separated entry counts (default 300,2000,20000)")
    parser.add_argument("--model", help="embedding model folder (default: settings)")
    parser.add_argument("--out", help="results folder (default benchmarks/results)")
    parser.add_argument("--no-quality", action="store_true", help="skip the dev-set quality part")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)

    settings = load_settings()
    model = Path(args.model) if args.model else settings.embedding_model
    sizes = [int(s) for s in (args.sizes or ("300,1000" if args.quick else "300,2000,20000")).split(",")]
    n_queries = 50 if args.quick else 300
    edit_rounds = 2 if args.quick else 5
    out_dir = Path(args.out) if args.out else RESULTS
    out_dir.mkdir(parents=True, exist_ok=True)

    started = datetime.now(timezone.utc)
    load_start = [round(x, 2) for x in os.getloadavg()]
    encoder = load_encoder(model, threads=SearchConfig.load().index.encoder_threads)
    sample = load_sample()
    query_texts = [q.text for q in load_queries(DEV_QUERIES)]
    result: Dict[str, Any] = {
        "started_at": started.isoformat(timespec="seconds"),
        "quick": args.quick,
        "model": str(model),
        "passage_precision": getattr(encoder, "precision", "?"),
        "query_runtime": getattr(encoder, "query_runtime", "?"),
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(),
                    "python": platform.python_version()},
        "sample_entries": len(sample),
    }
    with tempfile.TemporaryDirectory(prefix="faq_bench_") as tmp:
        workdir = Path(tmp)
        if not args.no_quality:
            print("quality on the dev set ...", file=sys.stderr, flush=True)
            result["quality"] = quality(encoder, workdir)
        result["scale"] = []
        for n in sizes:
            print(f"scale: {n:,} entries ...", file=sys.stderr, flush=True)
            row = scale(encoder, n, sample, query_texts, workdir, n_queries, edit_rounds)
            print(
                f"  build {row['build_s']:.1f} s, p50 {row['latency']['p50_ms']} ms, "
                f"p95 {row['latency']['p95_ms']} ms, edit {row['edit']['edit_s_max']} s",
                file=sys.stderr, flush=True,
            )
            result["scale"].append(row)
    result["peak_rss_mb"] = round(_rss_mb(), 1)
    result["load_average"] = {
        "start": load_start, "end": [round(x, 2) for x in os.getloadavg()],
    }
    result["total_s"] = round((datetime.now(timezone.utc) - started).total_seconds(), 1)

    targets: Dict[str, Any] = {}
    biggest = max(result["scale"], key=lambda r: r["entries"])
    label = f"{biggest['entries']:,} entries"
    targets[f"search p95 at {label} (ms)"] = {
        "value": biggest["latency"]["p95_ms"], "target": f"<= {TARGETS['p95_ms_at_20000']}",
        "met": biggest["latency"]["p95_ms"] <= TARGETS["p95_ms_at_20000"],
    }
    targets[f"full build at {label} (s)"] = {
        "value": biggest["build_s"], "target": f"<= {TARGETS['build_s_at_20000']}",
        "met": biggest["build_s"] <= TARGETS["build_s_at_20000"],
    }
    worst_edit = max(
        max(r["edit"]["edit_s_max"], r["edit"]["add_s_max"], r["edit"]["unpublish_s_max"])
        for r in result["scale"]
    )
    targets["edit → searchable, worst (s)"] = {
        "value": worst_edit, "target": f"<= {TARGETS['edit_s']}", "met": worst_edit <= TARGETS["edit_s"],
    }
    if "quality" in result:
        q = result["quality"]
        for metric in ("ndcg@10", "hit@1"):
            fused, bm25, dense = q["fused"][metric], q["bm25"][metric], q["dense"][metric]
            targets[f"fused {metric} beats bm25 and dense"] = {
                "value": f"{fused:.4f} vs {bm25:.4f} / {dense:.4f}", "target": "fused > both",
                "met": fused > bm25 and fused > dense,
            }
    result["targets"] = targets

    (out_dir / "faq.json").write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
    write_markdown(result, out_dir / "faq.md")
    print((out_dir / "faq.md").read_text(encoding="utf-8"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
