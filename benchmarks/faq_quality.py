"""FAQ answer quality on sets the search was not tuned on, and the calibration of the shipped
search config. Writes benchmarks/results/faq_quality.{json,md}.

    .venv/bin/python -m benchmarks.faq_quality [--write-config]

Two FAQs: the sample FAQ as written (question, phrasings, keywords, answer) and the same
entries **bare** (question and answer only, as a real city's FAQ usually is). Two query sets:
the dev queries (written with the FAQ) and the held-out queries (written from residents'
situations before looking at the FAQ wording, never used for tuning). A quarter of the FAQ
entries (faq.evaluation.heldout_entry) is held out too: the fusion and the decision are fitted
only on dev queries about the other entries, pooled over both FAQs, and measured on the rest.

Each idea is measured on its own, so the table shows what it adds: the index (question side
only, or with the answer's passages), the fusion (the old fixed weights, or the fitted linear
one) and the decision (the old score thresholds with 3 choices, or the confidence models with
5 distinct choices).
"""
from __future__ import annotations

import argparse
import json
import logging
import platform
import sys
import tempfile
import time
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Dict, List, Sequence, Tuple

import numpy as np

from benchmarks.faq_bench import DEV_QUERIES, RESULTS, _fill_store, load_sample
from core.settings import REPO_ROOT, load_settings
from faq.calibration import (
    collect,
    decide_all,
    entry_keys,
    fit_decision,
    fit_fusion,
    missing_entry_answer_rates,
    missing_entry_confidence,
    resident_outcomes,
)
from faq.config import SearchConfig, default_config_path
from faq.evaluation import load_queries, ranking_metrics, split_queries
from faq.service import FaqService, load_encoder

HELDOUT_QUERIES = REPO_ROOT / "faq" / "data" / "heldout_queries.jsonl"
log = logging.getLogger("faq_quality")

# The search as it was before answer passages, fitted fusion and confidence (stop 10).
OLD = {
    "index": {"dense_texts": ["question_alternatives"]},
    "fusion": {"method": "weighted", "dense_weight": 0.95, "bm25_weight": 0.05},
    "decision": {"method": "thresholds", "answer_min_score": 0.8121, "answer_min_margin": 0.0227,
                 "suggest_min_score": 0.7983, "choices": 3},
}


def bare(rows: Sequence[Dict[str, Any]]) -> List[Dict[str, Any]]:
    return [{**r, "alternatives": [], "keywords": [], "short_answer": "", "category": "",
             "department": "", "translations": {}, "easy_ja": ""} for r in rows]


def _config(base, index=None, fusion=None, decision=None):
    cfg = base
    if index:
        cfg = replace(cfg, index=replace(cfg.index, **{k: tuple(v) if k == "dense_texts" else v
                                                         for k, v in index.items()}))
    if fusion:
        cfg = replace(cfg, fusion=replace(cfg.fusion, **fusion))
    if decision:
        cfg = replace(cfg, decision=replace(cfg.decision, **decision))
    return cfg


def main(argv: Sequence[str] = ()) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write-config", action="store_true",
                        help="write the fitted fusion and decision to faq/search_config.yml")
    parser.add_argument("--out", default=str(RESULTS))
    args = parser.parse_args(list(argv))
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    for name in ("faiss", "sentence_transformers", "transformers", "alembic", "faq"):
        logging.getLogger(name).setLevel(logging.WARNING)

    started = time.perf_counter()
    encoder = load_encoder(load_settings().embedding_model, threads=0)
    shipped = SearchConfig.load()
    rows = load_sample()
    faqs = {"as written": rows, "bare": bare(rows)}
    dev_tune, dev_held = split_queries(load_queries(DEV_QUERIES))
    heldout = load_queries(HELDOUT_QUERIES)
    query_sets = {"dev (tuning part)": dev_tune, "dev (held-out entries)": dev_held,
                  "held-out queries": heldout}
    indexes = {"question side only": OLD["index"], "question + answer passages": {
        "dense_texts": list(shipped.index.dense_texts)}}

    workdir = Path(tempfile.mkdtemp(prefix="faq-quality-"))
    sets: Dict[Tuple[str, str, str], Any] = {}
    keys: Dict[str, Dict[str, Tuple[str, str]]] = {}
    build_s: Dict[str, float] = {}
    services: Dict[Tuple[str, str], Any] = {}
    for iname, index in indexes.items():
        for fname, frows in faqs.items():
            store = _fill_store(f"sqlite:///{workdir / f'{len(sets)}.db'}", frows)
            service = FaqService(store, encoder, index_dir=None, show_progress=False,
                                 config=_config(shipped, index=index))
            t0 = time.perf_counter()
            service.refresh()
            build_s[f"{iname} / {fname}"] = round(time.perf_counter() - t0, 1)
            keys[fname] = entry_keys(service)
            for qname, queries in query_sets.items():
                sets[(iname, fname, qname)] = collect(service, queries)
            services[(iname, fname)] = service
            log.info("%s / %s collected", iname, fname)

    old_index, new_index = "question side only", "question + answer passages"

    def fitted_config(iname: str, fit_fusion_too: bool) -> Tuple[Any, Dict[str, Any]]:
        tuning = [cs for f in faqs for cs in sets[(iname, f, "dev (tuning part)")]]
        cfg = _config(shipped, fusion=OLD["fusion"])
        if fit_fusion_too:
            cfg = replace(cfg, fusion=fit_fusion(tuning, shipped.fusion))
        decision, report = fit_decision(tuning, cfg, keys["as written"])
        return replace(cfg, decision=replace(decision, calibration={
            "tuning_queries": len(tuning),
            "pooled_over": list(faqs),
            "max_wrong_answers": report["max_wrong"],
            "cross_validated_5fold": {k: round(v, 4) for k, v in
                                      report["cross_validated"]["shares"].items()},
            "measured_by": "benchmarks/faq_quality.py",
        })), report

    old = _config(shipped, fusion=OLD["fusion"], decision=OLD["decision"])
    shipped_cfg, report = fitted_config(new_index, True)
    # How often a question whose entry is missing gets a confident answer, on these FAQs: the
    # reference each installation's own calibration compares its FAQ with.
    missing: Dict[str, Any] = {}
    pooled = []
    for fname in faqs:
        service = services[(new_index, fname)]
        service.config = shipped_cfg
        service.index.config = shipped_cfg
        p = missing_entry_confidence(service)
        pooled.append(p)
        missing[fname] = missing_entry_answer_rates(p, (0.5, 0.6, 0.7, 0.8, 0.9))
    decision = shipped_cfg.decision
    missing["reference"] = round(float((np.concatenate(pooled) >= decision.answer_min_confidence).mean()), 4)
    decision = replace(decision, calibration={**decision.calibration,
                                              "missing_entry_answer_rate": missing["reference"]})
    shipped_cfg = replace(shipped_cfg, decision=decision)
    fusion = shipped_cfg.fusion
    for service in services.values():
        service.close()
    variants = {
        "old: question side, fixed fusion, score thresholds, 3 choices": (old_index, old),
        "+ confidence decision, 5 distinct choices": (old_index, fitted_config(old_index, False)[0]),
        "+ answer passages": (new_index, fitted_config(new_index, False)[0]),
        "+ fitted linear fusion (shipped)": (new_index, shipped_cfg),
    }
    table = []
    for vname, (iname, cfg) in variants.items():
        for fname in faqs:
            for qname in query_sets:
                cs = sets[(iname, fname, qname)]
                decided = decide_all(cs, cfg, keys[fname])
                rank = ranking_metrics([(d.query, d.ranked) for d in decided])
                outcomes = resident_outcomes(decided)
                table.append({
                    "variant": vname, "faq": fname, "queries": qname,
                    "answerable": rank["queries"],
                    **{k: round(rank[k], 4) for k in ("ndcg@10", "hit@1", "hit@5", "mrr@10")},
                    **{k: round(v, 4) for k, v in outcomes["shares"].items()},
                    "right_or_right_choice": round(outcomes.get("right_or_right_choice", 0.0), 4),
                    "no_answer": outcomes["no_answer_queries"],
                })

    result = {
        "generated": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()} {platform.processor() or ''}".strip(),
        "queries": {k: len(v) for k, v in query_sets.items()},
        "index_build_s": build_s,
        "missing_entry_answer_rate": missing,
        "fusion": {"method": fusion.method, "weights": fusion.weights},
        "decision": {"answer_min_confidence": decision.answer_min_confidence,
                     "suggest_min_confidence": decision.suggest_min_confidence,
                     "choices": decision.choices,
                     "cross_validated_on_tuning": report["cross_validated"]},
        "table": table,
        "seconds": round(time.perf_counter() - started, 1),
    }
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "faq_quality.json").write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n",
                                          encoding="utf-8")
    (out / "faq_quality.md").write_text(render(result), encoding="utf-8")
    if args.write_config:
        path = shipped_cfg.save(default_config_path())
        log.info("search config written: %s", path)
    print(render(result))
    return 0


def render(result: Dict[str, Any]) -> str:
    lines = [
        "# FAQ answer quality (benchmarks/faq_quality.py)",
        "",
        f"Generated {result['generated']} on {result['machine']}; {result['seconds']} s.",
        "Queries: " + ", ".join(f"{k} {v}" for k, v in result["queries"].items()) + ".",
        "",
        "Shares are of the questions the FAQ answers (`answerable`). right+choice = a right "
        "confident answer or a right entry among the choices.",
        "",
        f"Fitted fusion weights: {result['fusion']['weights']}; answer when P(right) >= "
        f"{result['decision']['answer_min_confidence']}, choices ({result['decision']['choices']}) when "
        f"P(right among them) >= {result['decision']['suggest_min_confidence']}.",
        "Questions whose entry is missing (each FAQ question searched with its entry left out) "
        f"answered confidently anyway, by threshold: {result['missing_entry_answer_rate']}.",
        "",
    ]
    for fname in dict.fromkeys(r["faq"] for r in result["table"]):
        for qname in dict.fromkeys(r["queries"] for r in result["table"]):
            lines += [f"## FAQ {fname}, {qname}", "",
                      "| variant | nDCG@10 | Hit@1 | Hit@5 | right answer | WRONG answer | "
                      "choices hit | choices miss | nothing | right+choice |",
                      "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
            for r in result["table"]:
                if r["faq"] != fname or r["queries"] != qname:
                    continue
                lines.append(
                    f"| {r['variant']} | {r['ndcg@10']:.3f} | {r['hit@1']:.3f} | {r['hit@5']:.3f} | "
                    f"{r['right_answer']:.1%} | {r['wrong_answer']:.1%} | {r['choices_hit']:.1%} | "
                    f"{r['choices_miss']:.1%} | {r['nothing']:.1%} | {r['right_or_right_choice']:.1%} |"
                )
            lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
