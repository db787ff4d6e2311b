"""Turn latency through the REST channel (Rasa + action server + FAQ search) at 2,000 FAQ entries,
and sustained turns per second with 20 concurrent conversations.
Figures go to benchmarks/results/dialogue.{json,md} (dialogue_N_rasa_workers.* with --rasa-workers N).

    .venv/bin/python -m benchmarks.dialogue_bench [--entries 2000] [--seconds 60] [--concurrency 20]
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import socket
import sys
import tempfile
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import Dict, List, Sequence

import httpx
import numpy as np

from madoguchi.settings import REPO_ROOT

RESULTS = REPO_ROOT / "benchmarks" / "results"
# Questions the sample FAQ answers with confidence (each turn a new conversation).
CONFIDENT = [
    "粗大ごみを出したいんですが、どうすればいいですか？",
    "住民票の写しはどこで取れますか",
    "印鑑登録をしたいのですが、何が必要ですか",
    "がん検診の申し込み方法を教えて",
]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _percentiles(seconds: Sequence[float]) -> Dict[str, float]:
    ms = np.asarray(seconds) * 1000
    return {
        "p50_ms": round(float(np.percentile(ms, 50)), 1),
        "p95_ms": round(float(np.percentile(ms, 95)), 1),
        "max_ms": round(float(ms.max()), 1),
    }


def _is_answered(messages: List[dict]) -> bool:
    from actions.replies import TURN_FAILED

    texts = [m.get("text") for m in messages if m.get("text")]
    return bool(texts) and TURN_FAILED not in texts


async def _turn(client: httpx.AsyncClient, url: str, sender: str, text: str) -> tuple:
    started = time.perf_counter()
    try:
        response = await client.post(url, json={"sender": sender, "message": text})
        ok = response.status_code == 200 and _is_answered(response.json())
    except httpx.HTTPError:
        ok = False
    return ok, time.perf_counter() - started


async def latency(url: str, turns: int) -> Dict[str, object]:
    async with httpx.AsyncClient(timeout=60) as client:
        for text in CONFIDENT:  # warm-up
            await _turn(client, url, f"warm-{uuid.uuid4().hex}", text)
        results = [
            await _turn(client, url, f"lat-{uuid.uuid4().hex}", CONFIDENT[i % len(CONFIDENT)])
            for i in range(turns)
        ]
    return {"turns": turns, "errors": sum(not ok for ok, _ in results), **_percentiles([s for _, s in results])}


async def concurrent(
    url: str, conversations: int, seconds: float, queries: List[str], think: Sequence[float] = (0.0, 0.0)
) -> Dict[str, object]:
    """`conversations` residents for `seconds`; each waits for the answer, then `think`
    seconds (uniform in the range: reading the answer and typing the next message) before
    the next message. think=(0, 0) is a stress test: every resident sends at once."""
    import random

    deadline = time.monotonic() + seconds
    results: List[tuple] = []

    async def resident(n: int) -> None:
        sender = f"load-{n}-{uuid.uuid4().hex[:8]}"
        rng = random.Random(n)
        i = n
        async with httpx.AsyncClient(timeout=60) as client:
            if think[1] > 0:
                await asyncio.sleep(rng.uniform(0, think[1]))  # residents do not all start at once
            while time.monotonic() < deadline:
                results.append(await _turn(client, url, sender, queries[i % len(queries)]))
                i += conversations
                if think[1] > 0:
                    await asyncio.sleep(rng.uniform(*think))

    started = time.monotonic()
    await asyncio.gather(*(resident(n) for n in range(conversations)))
    elapsed = time.monotonic() - started
    return {
        "conversations": conversations,
        "think_s": list(think),
        "seconds": round(elapsed, 1),
        "turns": len(results),
        "turns_per_second": round(len(results) / elapsed, 2),
        "errors": sum(not ok for ok, _ in results),
        **_percentiles([s for _, s in results]),
    }


def main(argv: Sequence[str] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=2000)
    parser.add_argument("--turns", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--rasa-workers", type=int, default=1,
                        help="Rasa server processes (more than 1 uses the Redis lock store on 127.0.0.1)")
    parser.add_argument("--think", default="2,6",
                        help="seconds a resident takes to read and type, as MIN,MAX (default 2,6)")
    args = parser.parse_args(argv)
    think = tuple(float(x) for x in args.think.split(","))

    from benchmarks.faq_bench import _fill_store, load_sample, synthesize
    from faq.bootstrap import prepare_faq
    from madoguchi.launcher import Stack
    from madoguchi.settings import load_settings
    from madoguchi.training import ensure_model

    model = ensure_model()
    embedding_model = str(load_settings().embedding_model)
    nlu_embedding_model = str(load_settings().nlu_embedding_model)
    with tempfile.TemporaryDirectory() as home:
        os.environ.update(
            {
                "MADOGUCHI_HOME": home,
                "MADOGUCHI_EMBEDDING_MODEL": embedding_model,
                "MADOGUCHI_NLU_EMBEDDING_MODEL": nlu_embedding_model,
                "MADOGUCHI_RASA_WORKERS": str(args.rasa_workers),
                "MADOGUCHI_LOCK_STORE": "redis" if args.rasa_workers > 1 else "in_memory",
                "MADOGUCHI_RASA_PORT": str(_free_port()),
                "MADOGUCHI_ACTION_PORT": str(_free_port()),
                "MADOGUCHI_APP_PORT": str(_free_port()),
            }
        )
        settings = load_settings()
        _fill_store(settings.db_url, synthesize(load_sample(), args.entries)).close()
        prepare_faq(settings)
        stack = Stack(settings, model)
        stack.start()
        try:
            url = f"{settings.rasa_url}/webhooks/rest/webhook"
            dev = [
                json.loads(line)["text"]
                for line in (REPO_ROOT / "faq" / "data" / "dev_queries.jsonl").open(encoding="utf-8")
            ]
            single = asyncio.run(latency(url, args.turns))
            load = asyncio.run(concurrent(url, args.concurrency, args.seconds, dev, think))
            stress = asyncio.run(concurrent(url, args.concurrency, args.seconds, dev))
        finally:
            stack.stop()

    result = {
        "benchmark": "dialogue",
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "faq_entries": args.entries,
        "rasa_workers": args.rasa_workers,
        "stores": "SQLite (WAL) tracker and app database, "
                  + ("Redis lock store" if args.rasa_workers > 1 else "in-memory lock store"),
        "single_turn_confident_answer": single,
        "concurrent": load,
        "stress_no_think_time": stress,
        "targets": {
            "single_turn_p95_ms": 300,
            "concurrent_p95_ms": 1000,
            "met": single["p95_ms"] <= 300 and load["p95_ms"] <= 1000 and load["errors"] == 0,
            "stress_met": stress["p95_ms"] <= 1000 and stress["errors"] == 0,
        },
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    stem = "dialogue" if args.rasa_workers == 1 else f"dialogue_{args.rasa_workers}_rasa_workers"
    (RESULTS / f"{stem}.json").write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    lines = [
        "# Dialogue benchmark (REST channel → Rasa → action server → FAQ search)",
        "",
        f"{result['date']} · {result['machine']} · {args.entries} FAQ entries · "
        f"{args.rasa_workers} Rasa server process{'es' if args.rasa_workers > 1 else ''} · {result['stores']}",
        "",
        "| measure | turns | errors | p50 (ms) | p95 (ms) | max (ms) | turns/s |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
        f"| one conversation, confident answer | {single['turns']} | {single['errors']} | "
        f"{single['p50_ms']} | {single['p95_ms']} | {single['max_ms']} | |",
        f"| {load['conversations']} concurrent residents, {think[0]:g}–{think[1]:g} s to read and type, "
        f"{load['seconds']} s | {load['turns']} | "
        f"{load['errors']} | {load['p50_ms']} | {load['p95_ms']} | {load['max_ms']} | {load['turns_per_second']} |",
        f"| stress: {stress['conversations']} conversations sending with no pause, {stress['seconds']} s | "
        f"{stress['turns']} | {stress['errors']} | {stress['p50_ms']} | {stress['p95_ms']} | {stress['max_ms']} | "
        f"{stress['turns_per_second']} |",
        "",
        "Targets: single turn p95 ≤ 300 ms; 20 concurrent for 60 s with no error and p95 ≤ 1 s. "
        + ("Met" if result["targets"]["met"] else "NOT met")
        + " with residents who read and type; "
        + ("also met" if result["targets"]["stress_met"] else "NOT met")
        + " in the stress run with no pause (its turns/s is the capacity of this machine).",
        "",
        "Each turn is a dev-set question in its own conversation turn; a turn counts as an error when "
        "the HTTP call fails or the bot answers with its failure message.",
    ]
    (RESULTS / f"{stem}.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
