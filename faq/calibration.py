"""Running the dev set through a FaqService: evaluation, fusion choice and threshold
calibration (what `madoguchi faq eval` / `faq calibrate` and the benchmark call)."""
from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np

from faq.config import FusionSettings, SearchConfig
from faq.evaluation import (
    Query,
    ScoredQuery,
    calibrate_thresholds,
    cross_validated_decisions,
    decision_metrics,
    metrics_by_style,
    queries_digest,
    ranking_metrics,
)
from faq.index import _rrf
from faq.service import FaqService, decide

log = logging.getLogger(__name__)

METHODS = ("bm25", "dense", "fused")


class CandidateSet:
    """Every candidate of one query with both retrievers' scores, to re-fuse offline."""

    def __init__(self, query: Query, ids: List[str], dense: np.ndarray, bm25: np.ndarray):
        self.query = query
        self.ids = ids
        self.dense = dense
        self.bm25 = bm25

    def fuse(self, fusion: FusionSettings, method: Optional[str] = None) -> Tuple[List[str], np.ndarray]:
        method = method or fusion.method
        if method == "bm25":
            fused = self.bm25
        elif method == "dense":
            fused = self.dense
        elif method == "rrf":
            fused = _rrf(self.dense, fusion.dense_weight, fusion.rrf_k) + _rrf(
                self.bm25, fusion.bm25_weight, fusion.rrf_k
            )
        else:
            fused = fusion.dense_weight * self.dense + fusion.bm25_weight * self.bm25
        if method == "bm25":
            keep = fused > 0
        else:
            keep = np.ones(len(fused), dtype=bool)
        idx = np.flatnonzero(keep)
        order = idx[np.lexsort((np.array(self.ids, dtype=object)[idx].astype(str), -fused[idx]))]
        return [self.ids[i] for i in order], fused[order]


def collect(service: FaqService, queries: Sequence[Query], now: Optional[datetime] = None) -> List[CandidateSet]:
    """`now`: the clock for publish windows (default: the real one)."""
    index = service.index
    prepared = index.prepare_many([q.text for q in queries])
    out = []
    with service._lock:
        for q, (analysis, qvec) in zip(queries, prepared):
            cands = index.rank(analysis, qvec, top_k=100_000, now=now, method="weighted")
            out.append(
                CandidateSet(
                    q,
                    [c.faq_id for c in cands],
                    np.array([c.dense for c in cands], dtype=np.float32),
                    np.array([c.bm25 for c in cands], dtype=np.float32),
                )
            )
    return out


def evaluate(
    service: FaqService,
    queries: Sequence[Query],
    *,
    sets: Optional[List[CandidateSet]] = None,
    top_k: int = 10,
    now: Optional[datetime] = None,
) -> Dict[str, Any]:
    """Ranking metrics for BM25 alone, dense alone and the fused result, and the decision
    precision of the fused result with the configured thresholds."""
    sets = sets if sets is not None else collect(service, queries, now)
    cfg = service.config
    out: Dict[str, Any] = {"queries": len(queries), "digest": queries_digest(queries)}
    for method in METHODS:
        runs = []
        decided = []
        for cs in sets:
            ranked, scores = cs.fuse(cfg.fusion, None if method == "fused" else method)
            runs.append((cs.query, ranked[:top_k]))
            if method == "fused":
                feats = _features(scores)
                decided.append((cs.query, ranked[:top_k], decide(feats, cfg.decision) if ranked else "none"))
        out[method] = ranking_metrics(runs)
        if method == "fused":
            out["decision"] = decision_metrics(decided)
            out["by_style"] = metrics_by_style(decided)
    return out


def _features(scores: np.ndarray) -> Dict[str, float]:
    if len(scores) == 0:
        return {"top": 0.0, "margin": 0.0}
    second = float(scores[1]) if len(scores) > 1 else 0.0
    return {"top": float(scores[0]), "margin": float(scores[0]) - second}


def tune_fusion(sets: Sequence[CandidateSet], base: FusionSettings) -> Tuple[FusionSettings, List[Dict[str, Any]]]:
    """Tries weighted fusion (dense weight 0..1) and RRF; picks the best by
    nDCG@10 + Hit@1 on the dev set."""
    table: List[Dict[str, Any]] = []
    options: List[FusionSettings] = []
    for w in np.round(np.arange(0.0, 1.0001, 0.05), 2):
        options.append(replace(base, method="weighted", dense_weight=float(w), bm25_weight=round(1 - float(w), 2)))
    for w in (0.3, 0.5, 0.7):
        for k in (10, 30, 60):
            options.append(replace(base, method="rrf", dense_weight=w, bm25_weight=round(1 - w, 2), rrf_k=k))
    best = None
    for option in options:
        runs = []
        for cs in sets:
            ranked, _ = cs.fuse(option)
            runs.append((cs.query, ranked[:10]))
        m = ranking_metrics(runs)
        row = {
            "method": option.method,
            "dense_weight": option.dense_weight,
            "bm25_weight": option.bm25_weight,
            "rrf_k": option.rrf_k if option.method == "rrf" else None,
            **{k: round(v, 4) for k, v in m.items() if k != "queries"},
        }
        table.append(row)
        key = m["ndcg@10"] + m["hit@1"]
        # Ties go to weighted fusion: its score doubles as the confidence feature.
        if best is None or key > best[0] + 1e-9:
            best = (key, option)
    assert best is not None
    return best[1], table


def calibrate(
    service: FaqService,
    queries: Sequence[Query],
    *,
    tune: bool = True,
    min_answer_precision: float = 0.9,
    now: Optional[datetime] = None,
) -> Tuple[SearchConfig, Dict[str, Any]]:
    """New config (fusion if `tune`, decision thresholds) and a report of the measurements."""
    sets = collect(service, queries, now)
    cfg = service.config
    report: Dict[str, Any] = {"queries": len(queries), "digest": queries_digest(queries)}
    fusion = cfg.fusion
    if tune:
        fusion, table = tune_fusion(sets, cfg.fusion)
        report["fusion_table"] = table
    report["fusion"] = {
        "method": fusion.method,
        "dense_weight": fusion.dense_weight,
        "bm25_weight": fusion.bm25_weight,
        "rrf_k": fusion.rrf_k,
    }
    items = []
    for cs in sets:
        ranked, scores = cs.fuse(fusion)
        feats = _features(scores)
        rel = cs.query.relevant
        items.append(
            ScoredQuery(
                query=cs.query,
                ranked=ranked[:10],
                top=feats["top"],
                margin=feats["margin"],
                a_ok=bool(ranked) and rel.get(ranked[0], 0) > 0,
                s_ok=any(rel.get(f, 0) > 0 for f in ranked[:3]),
            )
        )
    thresholds = calibrate_thresholds(items, min_answer_precision)
    cv = cross_validated_decisions(items, 5, min_answer_precision)
    new_decision = replace(
        cfg.decision,
        answer_min_score=thresholds["answer_min_score"],
        answer_min_margin=thresholds["answer_min_margin"],
        suggest_min_score=thresholds["suggest_min_score"],
        calibration={
            "queries": len(queries),
            "no_answer_queries": sum(1 for q in queries if not q.relevant),
            "queries_digest": queries_digest(queries),
            "min_answer_precision": min_answer_precision,
            "utility": "answer +1/-3, suggest +0.5/-0.5, none +1/-0.5",
            "fit": _rounded(thresholds["metrics"]),
            "cross_validated_5fold": _rounded(cv),
        },
    )
    new_cfg = replace(cfg, fusion=fusion, decision=new_decision)
    report["thresholds"] = {k: thresholds[k] for k in ("answer_min_score", "answer_min_margin", "suggest_min_score")}
    report["decision_fit"] = thresholds["metrics"]
    report["decision_cross_validated"] = cv
    return new_cfg, report


def _rounded(d: Dict[str, Any]) -> Dict[str, Any]:
    return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in d.items()}
