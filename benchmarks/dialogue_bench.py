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
from typing import Dict, List, Optional, Sequence

import httpx
import numpy as np

from benchmarks.faq_bench import _fill_store, load_sample, synthesize
from core.settings import REPO_ROOT, load_settings
from core.turn import read_part
from faq.bootstrap import prepare_faq
from madoguchi.launcher import Stack
from madoguchi.training import ensure_model
from replies import TURN_FAILED

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
    texts = [m.get("text") for m in messages if m.get("text")]
    return bool(texts) and TURN_FAILED not in texts


async def _turn(client: httpx.AsyncClient, url: str, sender: str, text: str, with_reply: bool = False) -> tuple:
    started = time.perf_counter()
    messages: List[dict] = []
    try:
        response = await client.post(url, json={"sender": sender, "message": text})
        messages = response.json() if response.status_code == 200 else []
        ok = response.status_code == 200 and _is_answered(messages)
    except (httpx.HTTPError, ValueError):
        ok = False
    took = time.perf_counter() - started
    return (ok, took, messages) if with_reply else (ok, took)


async def latency(url: str, turns: int) -> Dict[str, object]:
    async with httpx.AsyncClient(timeout=60) as client:
        for text in CONFIDENT:  # warm-up
            await _turn(client, url, f"warm-{uuid.uuid4().hex}", text)
        results = [
            await _turn(client, url, f"lat-{uuid.uuid4().hex}", CONFIDENT[i % len(CONFIDENT)])
            for i in range(turns)
        ]
    return {"turns": turns, "errors": sum(not ok for ok, _ in results), **_percentiles([s for _, s in results])}


THANKS = "ありがとうございました"
AFTER_HOURS_MESSAGE = "子どもの手当のことで相談したいです。明日また連絡します。"


def _kinds(messages: List[dict]) -> set:
    """The kinds of the turn's machine-readable parts (answer, choices, handoff, ...)."""
    parts = (read_part(m.get("custom")) for m in messages)
    return {part.named for part in parts if part is not None}


def _next_message(rng, messages: List[dict], said: int, queries: List[str]) -> Optional[str]:
    """What a resident says next, given the bot's last reply: answers its question (はい/いいえ to
    「解決しましたか？」, a number for choices), sometimes asks another question, else says thanks.
    None: the conversation is over (handed to staff, who now answer; the bot stays quiet)."""
    kinds = _kinds(messages)
    if "handoff" in kinds:
        return None
    if "after_hours" in kinds:
        return AFTER_HOURS_MESSAGE
    titles = {b.get("title") for m in messages for b in m.get("buttons") or []}
    if "はい" in titles and "いいえ" in titles:
        return "はい" if rng.random() < 0.7 else "いいえ"
    if "どれにも当てはまらない" in titles:
        return rng.choice(["1番", "2番"])
    if said < 4 and rng.random() < 0.4:
        return rng.choice(queries)
    return ""


async def concurrent(
    url: str, conversations: int, seconds: float, queries: List[str], think: Sequence[float] = (0.0, 0.0),
    endless: bool = False,
) -> Dict[str, object]:
    """`conversations` residents at a time for `seconds`. Each asks a dev-set question, answers
    what the bot asks back, maybe asks another, says thanks and leaves; a new resident takes
    the place. Between messages each waits `think` seconds (uniform in the range: reading the
    answer and typing); think=(0, 0) sends at once. endless=True keeps one conversation per
    place going the whole time, question after question (its tracker grows every turn)."""
    import random

    deadline = time.monotonic() + seconds
    results: List[tuple] = []
    finished, handed_off = [0], [0]
    failures: List[dict] = []

    async def place(n: int) -> None:
        rng = random.Random(n)
        i = n
        async with httpx.AsyncClient(timeout=60) as client:
            if think[1] > 0:
                await asyncio.sleep(rng.uniform(0, think[1]))  # residents do not all start at once
            while time.monotonic() < deadline:
                sender = f"load-{n}-{uuid.uuid4().hex[:8]}"
                text, said = queries[i % len(queries)], 0  # type: Optional[str], int
                i += conversations
                while text and time.monotonic() < deadline:
                    ok, took, messages = await _turn(client, url, sender, text, with_reply=True)
                    results.append((ok, took))
                    if not ok and len(failures) < 5:
                        failures.append({"said": text, "reply": [m.get("text") for m in messages]})
                    said += 1
                    if think[1] > 0:
                        await asyncio.sleep(rng.uniform(*think))
                    if endless:
                        text = queries[i % len(queries)]
                        i += conversations
                        continue
                    if text in (THANKS, AFTER_HOURS_MESSAGE):
                        text = None
                    else:
                        text = _next_message(rng, messages, said, queries)
                        text = THANKS if text == "" else text
                    if text is None:
                        finished[0] += 1
                        handed_off[0] += "handoff" in _kinds(messages)

    started = time.monotonic()
    await asyncio.gather(*(place(n) for n in range(conversations)))
    elapsed = time.monotonic() - started
    return {
        "conversations": conversations,
        "think_s": list(think),
        "endless": endless,
        "seconds": round(elapsed, 1),
        "turns": len(results),
        "conversations_finished": finished[0],
        "handed_to_staff": handed_off[0],
        "turns_per_second": round(len(results) / elapsed, 2),
        "errors": sum(not ok for ok, _ in results),
        "error_examples": failures,
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
            endless = asyncio.run(concurrent(url, args.concurrency, args.seconds, dev, endless=True))
        finally:
            stack.stop()

    def ok(run: dict) -> bool:
        return run["p95_ms"] <= 1000 and run["errors"] == 0

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
        "endless_conversations_no_think_time": endless,
        "targets": {
            "single_turn_p95_ms": 300,
            "concurrent_p95_ms": 1000,
            "met": single["p95_ms"] <= 300 and ok(load) and ok(stress),
            "endless_met": ok(endless),
        },
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    stem = "dialogue" if args.rasa_workers == 1 else f"dialogue_{args.rasa_workers}_rasa_workers"
    (RESULTS / f"{stem}.json").write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")

    def row(label: str, run: dict) -> str:
        return (f"| {label}, {run['seconds']} s | {run['turns']} | {run.get('conversations_finished', '')} | "
                f"{run['errors']} | {run['p50_ms']} | {run['p95_ms']} | {run['max_ms']} | "
                f"{run.get('turns_per_second', '')} |")

    lines = [
        "# Dialogue benchmark (REST channel → Rasa → action server → FAQ search)",
        "",
        f"{result['date']} · {result['machine']} · {args.entries} FAQ entries · "
        f"{args.rasa_workers} Rasa server process{'es' if args.rasa_workers > 1 else ''} · {result['stores']}",
        "",
        "| measure | turns | conversations finished | errors | p50 (ms) | p95 (ms) | max (ms) | turns/s |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        f"| one conversation, confident answer | {single['turns']} | | {single['errors']} | "
        f"{single['p50_ms']} | {single['p95_ms']} | {single['max_ms']} | |",
        row(f"{args.concurrency} concurrent conversations, {think[0]:g}–{think[1]:g} s to read and type", load),
        row(f"stress: {args.concurrency} concurrent conversations, no pause", stress),
        row(f"{args.concurrency} endless conversations, no pause (question after question, "
            "the tracker grows every turn)", endless),
        "",
        "A conversation: a dev-set question; the resident answers what the bot asks back "
        "(はい 70 % / いいえ to 「解決しましたか？」, a number for choices), asks another question "
        "40 % of the time (at most 4 messages), says 「ありがとうございました」 and leaves; a new "
        "resident takes the place at once (after a handoff to staff, too: the bot then stays quiet "
        "in that conversation). A turn is an error when the HTTP call fails or the bot "
        "answers with its failure message.",
        "",
        "Targets: single turn p95 ≤ 300 ms; 20 concurrent conversations for 60 s with no error and "
        "p95 ≤ 1 s. " + ("Met" if result["targets"]["met"] else "NOT met")
        + " (with residents reading and typing, and with no pause). Endless conversations: "
        + ("p95 within 1 s too" if result["targets"]["endless_met"] else "p95 over 1 s")
        + "; Rasa replays the whole conversation every turn, so cost grows with its length.",
    ]
    (RESULTS / f"{stem}.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
