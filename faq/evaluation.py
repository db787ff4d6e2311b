"""Dev-set metrics (nDCG@10, Hit@1, Hit@5, MRR@10, decision precision) and the calibration
of the fusion weights and decision thresholds."""
from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np


@dataclass(frozen=True)
class Query:
    query_id: str
    text: str
    relevant: Dict[str, int]  # faq id -> grade (2 exact, 1 related); {} = no answer in the FAQ
    style: str = ""


def load_queries(path: Union[str, Path]) -> List[Query]:
    out: List[Query] = []
    for n, line in enumerate(Path(path).read_text(encoding="utf-8-sig").splitlines(), 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ValueError(f"{path}:{n}: not JSON ({exc})") from None
        relevant = {str(k): int(v) for k, v in (item.get("relevant") or {}).items() if int(v) > 0}
        out.append(
            Query(
                query_id=str(item.get("query_id", n)),
                text=str(item.get("text", "")),
                relevant=relevant,
                style=str(item.get("style", "")),
            )
        )
    return out


def queries_digest(queries: Sequence[Query]) -> str:
    h = hashlib.sha256()
    for q in queries:
        h.update(json.dumps([q.query_id, q.text, sorted(q.relevant.items())], ensure_ascii=False).encode())
    return h.hexdigest()[:16]


def ndcg_at_k(ranked: Sequence[str], relevant: Dict[str, int], k: int = 10) -> float:
    dcg = sum(
        (2 ** relevant.get(fid, 0) - 1) / math.log2(i + 2) for i, fid in enumerate(ranked[:k])
    )
    ideal = sorted(relevant.values(), reverse=True)[:k]
    idcg = sum((2**g - 1) / math.log2(i + 2) for i, g in enumerate(ideal))
    return dcg / idcg if idcg > 0 else 0.0


def first_relevant_rank(ranked: Sequence[str], relevant: Dict[str, int], k: int) -> Optional[int]:
    for i, fid in enumerate(ranked[:k]):
        if relevant.get(fid, 0) > 0:
            return i + 1
    return None


def ranking_metrics(runs: Sequence[Tuple[Query, Sequence[str]]]) -> Dict[str, float]:
    """Over the queries that have an answer in the FAQ."""
    answerable = [(q, r) for q, r in runs if q.relevant]
    n = len(answerable)
    if n == 0:
        return {"queries": 0, "ndcg@10": 0.0, "hit@1": 0.0, "hit@5": 0.0, "mrr@10": 0.0}
    ndcg = hit1 = hit5 = mrr = 0.0
    for q, ranked in answerable:
        ndcg += ndcg_at_k(ranked, q.relevant, 10)
        rank = first_relevant_rank(ranked, q.relevant, 10)
        if rank is not None:
            mrr += 1.0 / rank
            hit1 += rank == 1
            hit5 += rank <= 5
    return {
        "queries": n,
        "ndcg@10": ndcg / n,
        "hit@1": hit1 / n,
        "hit@5": hit5 / n,
        "mrr@10": mrr / n,
    }


def decision_outcome(q: Query, ranked: Sequence[str], decision: str) -> bool:
    """Was the decision right? answer: the top hit is relevant; suggest: a relevant entry is
    in the top 3; none: the FAQ has no answer."""
    if decision == "answer":
        return bool(ranked) and q.relevant.get(ranked[0], 0) > 0
    if decision == "suggest":
        return any(q.relevant.get(fid, 0) > 0 for fid in ranked[:3])
    return not q.relevant


def decision_metrics(runs: Sequence[Tuple[Query, Sequence[str], str]]) -> Dict[str, Any]:
    out: Dict[str, Any] = {}
    total = len(runs)
    for decision in ("answer", "suggest", "none"):
        chosen = [(q, r) for q, r, d in runs if d == decision]
        right = sum(decision_outcome(q, r, decision) for q, r in chosen)
        out[f"{decision}_count"] = len(chosen)
        out[f"{decision}_precision"] = right / len(chosen) if chosen else None
    answerable = [(q, r, d) for q, r, d in runs if q.relevant]
    no_answer = [(q, r, d) for q, r, d in runs if not q.relevant]
    out["answer_rate"] = out["answer_count"] / total if total else 0.0
    out["answered_correctly"] = (
        sum(1 for q, r, d in answerable if d == "answer" and decision_outcome(q, r, d))
        / len(answerable)
        if answerable
        else None
    )
    out["no_answer_recall"] = (
        sum(1 for _, _, d in no_answer if d == "none") / len(no_answer) if no_answer else None
    )
    out["accuracy"] = (
        sum(decision_outcome(q, r, d) for q, r, d in runs) / total if total else 0.0
    )
    return out


def metrics_by_style(runs: Sequence[Tuple[Query, Sequence[str], str]]) -> Dict[str, Dict[str, float]]:
    styles = sorted({q.style for q, _, _ in runs})
    out = {}
    for style in styles:
        sub = [(q, r) for q, r, _ in runs if q.style == style]
        m = ranking_metrics(sub)
        m["all_queries"] = len(sub)
        out[style or "-"] = m
    return out


# ---- calibration ----------------------------------------------------------------------------

# Utility of a decision (per query) used to choose the thresholds: a wrong answer costs more
# than sending the resident to a person.
UTILITY = {
    ("answer", True): 1.0,
    ("answer", False): -3.0,
    ("suggest", True): 0.5,
    ("suggest", False): -0.5,
    ("none", True): 1.0,  # the FAQ has no answer and we said so
    ("none", False): -0.5,  # an answer existed
}


@dataclass
class ScoredQuery:
    query: Query
    ranked: List[str]
    top: float
    margin: float
    a_ok: bool  # top hit relevant
    s_ok: bool  # a relevant hit in the top 3


def _decide(top: np.ndarray, margin: np.ndarray, a: float, m: float, s: float) -> np.ndarray:
    out = np.full(len(top), 2, dtype=np.int8)  # none
    out[top >= s] = 1  # suggest
    out[(top >= a) & (margin >= m)] = 0  # answer
    return out


def calibrate_thresholds(
    items: Sequence[ScoredQuery],
    min_answer_precision: float = 0.9,
    utility: Dict[Tuple[str, bool], float] = UTILITY,
) -> Dict[str, Any]:
    """Grid search over (answer score, answer margin, suggest score) maximising the mean
    utility, subject to the answer precision floor. Returns thresholds and measurements."""
    if not items:
        raise ValueError("no queries to calibrate on")
    top = np.array([it.top for it in items])
    margin = np.array([it.margin for it in items])
    a_ok = np.array([it.a_ok for it in items])
    s_ok = np.array([it.s_ok for it in items])
    na = np.array([not it.query.relevant for it in items])
    u_answer = np.where(a_ok, utility[("answer", True)], utility[("answer", False)])
    u_suggest = np.where(s_ok, utility[("suggest", True)], utility[("suggest", False)])
    u_none = np.where(na, utility[("none", True)], utility[("none", False)])

    score_grid = np.unique(np.round(np.quantile(top, np.linspace(0, 1, 61)), 4))
    score_grid = np.concatenate([score_grid, [score_grid.max() + 1e-3]])
    margin_grid = np.unique(
        np.concatenate([[0.0], np.round(np.quantile(margin, np.linspace(0, 0.95, 40)), 4)])
    )
    best: Optional[Tuple[float, float, float, float, float]] = None
    for s in score_grid:
        for a in score_grid[score_grid >= s]:
            for m in margin_grid:
                d = _decide(top, margin, a, m, s)
                answered = d == 0
                if answered.any():
                    precision = a_ok[answered].mean()
                    if precision < min_answer_precision:
                        continue
                u = np.where(d == 0, u_answer, np.where(d == 1, u_suggest, u_none)).mean()
                # ties: prefer more answers, then lower thresholds
                key = (u, answered.sum(), -a, -m, -s)
                if best is None or key > best[0]:
                    best = (key, float(a), float(m), float(s), float(u))
    assert best is not None
    _, a, m, s, u = best
    d = _decide(top, margin, a, m, s)
    names = np.array(["answer", "suggest", "none"])[d]
    runs = [(it.query, it.ranked, str(n)) for it, n in zip(items, names)]
    return {
        "answer_min_score": round(a, 4),
        "answer_min_margin": round(m, 4),
        "suggest_min_score": round(s, 4),
        "utility": round(u, 4),
        "metrics": decision_metrics(runs),
    }


def cross_validated_decisions(
    items: Sequence[ScoredQuery], folds: int = 5, min_answer_precision: float = 0.9, seed: int = 0
) -> Dict[str, Any]:
    """Decision metrics when each fold is decided by thresholds calibrated on the others:
    an honest estimate for unseen questions."""
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(items))
    runs = []
    for f in range(folds):
        test = [items[i] for i in order[f::folds]]
        train = [items[i] for j, i in enumerate(order) if j % folds != f]
        if not test or not train:
            continue
        t = calibrate_thresholds(train, min_answer_precision)
        d = _decide(
            np.array([it.top for it in test]),
            np.array([it.margin for it in test]),
            t["answer_min_score"],
            t["answer_min_margin"],
            t["suggest_min_score"],
        )
        names = np.array(["answer", "suggest", "none"])[d]
        runs.extend((it.query, it.ranked, str(n)) for it, n in zip(test, names))
    return decision_metrics(runs)
