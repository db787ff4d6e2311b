"""Running the dev set through a FaqService: evaluation, fusion choice and threshold
calibration (what `madoguchi faq eval` / `faq calibrate` and the benchmark call)."""
from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np

from faq.config import FEATURES, FusionSettings, SearchConfig
from faq import confidence
from faq.config import DecisionSettings
from faq.evaluation import (
    Query,
    decision_metrics,
    metrics_by_style,
    queries_digest,
    ranking_metrics,
)
from faq.index import _rrf, linear_fusion
from faq.service import FaqService, choice_key, decide, distinct, ranked_features, signal_vector

log = logging.getLogger(__name__)



class CandidateSet:
    """Every candidate of one query with each signal's score, to re-fuse offline."""

    def __init__(self, query: Query, ids: List[str], dense: np.ndarray, bm25: np.ndarray,
                 features: Optional[np.ndarray] = None):
        self.query = query
        self.ids = ids
        self.dense = dense
        self.bm25 = bm25
        # (n, len(FEATURES)) in FEATURES order
        self.features = features if features is not None else np.zeros((len(ids), len(FEATURES)), np.float32)

    def feature(self, name: str) -> np.ndarray:
        return self.features[:, FEATURES.index(name)]

    def scores(self, fusion: FusionSettings, method: Optional[str] = None) -> np.ndarray:
        method = method or fusion.method
        if method == "bm25":
            return self.bm25
        if method == "dense":
            return self.dense
        if method == "rrf":
            return _rrf(self.dense, fusion.dense_weight, fusion.rrf_k) + _rrf(
                self.bm25, fusion.bm25_weight, fusion.rrf_k
            )
        if method == "linear":
            return linear_fusion(
                fusion.weights, fusion.bias, **{f: self.feature(f) for f in FEATURES}
            )
        return fusion.dense_weight * self.dense + fusion.bm25_weight * self.bm25

    def fuse(self, fusion: FusionSettings, method: Optional[str] = None) -> Tuple[List[str], np.ndarray]:
        method = method or fusion.method
        fused = self.scores(fusion, method)
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
                    np.array([c.features() for c in cands], dtype=np.float32).reshape(-1, len(FEATURES)),
                )
            )
    return out


def entry_keys(service: FaqService) -> Dict[str, Tuple[str, str]]:
    """faq id -> what makes two entries the same choice (see SearchResult.suggestions)."""
    index = service.index
    return {e.id: choice_key(e) for e in index.entries if e is not None}


@dataclass
class Decided:
    """One query as the resident meets it: the ranking, the decision and the choices shown."""

    query: Query
    ranked: List[str]
    decision: str
    choices: List[str]
    signals: np.ndarray


def decide_all(
    sets: Sequence[CandidateSet], cfg: SearchConfig, keys: Dict[str, Tuple[str, str]], top_k: int = 10
) -> List[Decided]:
    out = []
    for cs in sets:
        fused = cs.scores(cfg.fusion)
        order = _order(cs, fused)
        ranked = [cs.ids[i] for i in order]
        feats = ranked_features(fused[order], cs.features[order], cs.bm25[order], len(cs.query.text))
        decision = decide(feats, cfg.decision) if ranked else "none"
        choices = distinct(ranked, keys, cfg.decision.choices) if decision != "answer" else []
        out.append(Decided(cs.query, ranked[:top_k], decision, choices, signal_vector(feats)))
    return out


def _order(cs: CandidateSet, fused: np.ndarray) -> np.ndarray:
    return np.lexsort((np.array(cs.ids, dtype=object).astype(str), -fused))


OUTCOMES = ("right_answer", "wrong_answer", "choices_hit", "choices_miss", "nothing")
OUTCOME_LABELS = {
    "right_answer": "a confident answer, and it was right",
    "wrong_answer": "a confident answer, and it was WRONG",
    "choices_hit": "choices, one of them right",
    "choices_miss": "choices, none right",
    "nothing": "nothing found (handed to staff)",
}


def outcome(d: Decided) -> str:
    rel = d.query.relevant
    if d.decision == "answer":
        return "right_answer" if d.ranked and rel.get(d.ranked[0], 0) > 0 else "wrong_answer"
    if d.decision == "suggest":
        return "choices_hit" if any(rel.get(f, 0) > 0 for f in d.choices) else "choices_miss"
    return "nothing"


def resident_outcomes(decided: Sequence[Decided]) -> Dict[str, Any]:
    """What the residents got, as shares of the questions: over those the FAQ answers, and
    separately what those it does not answer got."""
    answerable = [d for d in decided if d.query.relevant]
    unanswerable = [d for d in decided if not d.query.relevant]
    counts = {k: 0 for k in OUTCOMES}
    for d in answerable:
        counts[outcome(d)] += 1
    n = len(answerable)
    out: Dict[str, Any] = {
        "answerable": n,
        "counts": counts,
        "shares": {k: (v / n if n else 0.0) for k, v in counts.items()},
        "choices_shown": max((len(d.choices) for d in decided), default=0),
    }
    if n:
        right = counts["right_answer"] + counts["choices_hit"]
        out["right_or_right_choice"] = right / n
    na = {"answer": 0, "suggest": 0, "none": 0}
    for d in unanswerable:
        na[d.decision] += 1
    out["no_answer_queries"] = {"total": len(unanswerable), **na}
    return out


def evaluate(
    service: FaqService,
    queries: Sequence[Query],
    *,
    sets: Optional[List[CandidateSet]] = None,
    top_k: int = 10,
    now: Optional[datetime] = None,
) -> Dict[str, Any]:
    """Ranking metrics for BM25 alone, dense alone and the fused result; the decisions and
    what the residents would get with the configured fusion and decision."""
    sets = sets if sets is not None else collect(service, queries, now)
    cfg = replace(service.config, decision=service.decision_settings())
    out: Dict[str, Any] = {"queries": len(queries), "digest": queries_digest(queries),
                           "installation": service.installation}
    for method in ("bm25", "dense"):
        out[method] = ranking_metrics([(cs.query, cs.fuse(cfg.fusion, method)[0][:top_k]) for cs in sets])
    decided = decide_all(sets, cfg, entry_keys(service), top_k)
    runs = [(d.query, d.ranked, d.decision) for d in decided]
    out["fused"] = ranking_metrics([(d.query, d.ranked) for d in decided])
    out["decision"] = decision_metrics(runs)
    out["outcomes"] = resident_outcomes(decided)
    out["by_style"] = metrics_by_style(runs)
    return out


def fit_fusion(sets: Sequence[CandidateSet], base: FusionSettings, c: float = 10.0,
               pool: int = 30) -> FusionSettings:
    """Linear fusion weights by pairwise logistic regression: for each query with an answer,
    every right entry against each wrong one among the top `pool` candidates."""
    from sklearn.linear_model import LogisticRegression

    x: List[np.ndarray] = []
    y: List[int] = []
    for cs in sets:
        rel = cs.query.relevant
        if not rel:
            continue
        prior = 0.9 * cs.dense + 0.1 * cs.bm25
        top = set(np.argsort(-prior, kind="stable")[:pool].tolist())
        top |= {i for i, f in enumerate(cs.ids) if f in rel}
        pos = [i for i in top if rel.get(cs.ids[i], 0) > 0]
        neg = [i for i in top if rel.get(cs.ids[i], 0) <= 0]
        for p in pos:
            for n in neg:
                x.append(cs.features[p] - cs.features[n])
                y.append(1)
                x.append(cs.features[n] - cs.features[p])
                y.append(0)
    if not x:
        raise ValueError("no query with an answer among the candidates: cannot fit the fusion")
    model = LogisticRegression(C=c, max_iter=5000, fit_intercept=False).fit(np.array(x), np.array(y))
    weights = {f: round(float(w), 4) for f, w in zip(FEATURES, model.coef_[0])}
    return replace(base, method="linear", weights=weights, bias=0.0)


# A wrong answer stated as fact costs three right ones; choices cost less when wrong, since the
# resident sees they are choices and can ask for a person. "no_answer_told": nothing offered
# for a question the FAQ does not answer.
UTILITY_OF = {"right_answer": 1.0, "wrong_answer": -3.0, "choices_hit": 0.5, "choices_miss": -0.5,
              "nothing": -0.5, "no_answer_told": 1.0}


def fit_decision(
    sets: Sequence[CandidateSet],
    cfg: SearchConfig,
    keys: Dict[str, Tuple[str, str]],
    *,
    max_wrong: float = 0.02,
    folds: int = 5,
    seed: int = 0,
) -> Tuple[DecisionSettings, Dict[str, Any]]:
    """The two confidence models and their thresholds. The thresholds are chosen on
    cross-validated probabilities (each query judged by models fitted without it), keeping
    wrong confident answers at most `max_wrong` of the questions with an answer."""
    probe = replace(cfg, decision=replace(cfg.decision, method="thresholds"))
    decided = decide_all(sets, probe, keys)
    x = np.array([d.signals for d in decided])
    rel = [d.query.relevant for d in decided]
    top_right = np.array([bool(d.ranked) and r.get(d.ranked[0], 0) > 0 for d, r in zip(decided, rel)])
    n_choices = cfg.decision.choices
    choice_right = np.array([
        any(r.get(f, 0) > 0 for f in distinct(d.ranked, keys, n_choices)) for d, r in zip(decided, rel)
    ])
    answerable = np.array([bool(r) for r in rel])
    p_answer = np.zeros(len(x))
    p_choices = np.zeros(len(x))
    fold_of = np.random.default_rng(seed).integers(0, folds, len(x))
    for f in range(folds):
        train, test = fold_of != f, fold_of == f
        if not test.any():
            continue
        wa = confidence.fit(x[train], top_right[train])
        wc = confidence.fit(x[train], choice_right[train])
        p_answer[test] = [confidence.probability(wa, v) for v in x[test]]
        p_choices[test] = [confidence.probability(wc, v) for v in x[test]]
    best = None
    U = UTILITY_OF
    for ta in np.round(np.arange(0.30, 0.995, 0.01), 2):
        answer = p_answer >= ta
        wrong = (answer & ~top_right & answerable).sum() / max(answerable.sum(), 1)
        if wrong > max_wrong:
            continue
        for ts in np.round(np.arange(0.0, 0.95, 0.05), 2):
            suggest = ~answer & (p_choices >= ts)
            u = np.where(answer, np.where(top_right, U["right_answer"], U["wrong_answer"]),
                         np.where(suggest, np.where(choice_right, U["choices_hit"], U["choices_miss"]),
                                  np.where(answerable, U["nothing"], U["no_answer_told"]))).mean()
            key = (round(float(u), 6), -ta, ts)
            if best is None or key > best[0]:
                best = (key, float(ta), float(ts))
    if best is None:
        raise ValueError("no answer threshold keeps wrong answers under the limit")
    _, ta, ts = best
    decision = replace(
        cfg.decision,
        method="confidence",
        answer_model=confidence.fit(x, top_right),
        choices_model=confidence.fit(x, choice_right),
        answer_min_confidence=ta,
        suggest_min_confidence=ts,
    )
    cv_cfg = replace(cfg, decision=replace(decision, answer_min_confidence=ta))
    # the cross-validated outcome: decisions from the held-out probabilities
    cv = []
    for d, pa, pc in zip(decided, p_answer, p_choices):
        choice = "answer" if pa >= ta else ("suggest" if pc >= ts else "none")
        cv.append(replace(d, decision=choice,
                          choices=distinct(d.ranked, keys, n_choices) if choice != "answer" else []))
    report = {
        "queries": len(decided),
        "answer_min_confidence": ta,
        "suggest_min_confidence": ts,
        "max_wrong": max_wrong,
        "cross_validated": resident_outcomes(cv),
        "fit": resident_outcomes(decide_all(sets, cv_cfg, keys)),
    }
    return decision, report


def calibrate(
    service: FaqService,
    queries: Sequence[Query],
    *,
    tune: bool = True,
    max_wrong: float = 0.02,
    now: Optional[datetime] = None,
) -> Tuple[SearchConfig, Dict[str, Any]]:
    """New config (the fusion if `tune`, the decision) and a report of the measurements."""
    sets = collect(service, queries, now)
    cfg = service.config
    keys = entry_keys(service)
    fusion = fit_fusion(sets, cfg.fusion) if tune else cfg.fusion
    cfg = replace(cfg, fusion=fusion)
    decision, report = fit_decision(sets, cfg, keys, max_wrong=max_wrong)
    decision = replace(decision, calibration={
        "queries": len(queries),
        "no_answer_queries": sum(1 for cs in sets if not cs.query.relevant),
        "queries_digest": queries_digest([cs.query for cs in sets]),
        "max_wrong_answers": max_wrong,
        "cross_validated_5fold": _shares(report["cross_validated"]),
    })
    report["fusion"] = {"method": fusion.method, "weights": dict(fusion.weights)}
    return replace(cfg, decision=decision), report


def _shares(outcomes: Dict[str, Any]) -> Dict[str, Any]:
    return {"answerable": outcomes["answerable"],
            **{k: round(v, 4) for k, v in outcomes["shares"].items()}}


def without(cs: CandidateSet, drop: set) -> CandidateSet:
    keep = [i for i, f in enumerate(cs.ids) if f not in drop]
    return CandidateSet(cs.query, [cs.ids[i] for i in keep], cs.dense[keep], cs.bm25[keep],
                        cs.features[keep])


def missing_entry_confidence(service: FaqService, sample: int = 400, seed: int = 0) -> np.ndarray:
    """P(right) the decision gives when the entry a question is about is missing: each sampled
    entry's question is searched with that entry (and exact copies of it) left out, so any
    confident answer would be wrong. How often this passes the answer threshold depends on how
    close the city's entries are to each other, which a dev set of another city cannot tell."""
    index = service.index
    entries = [e for e in index.entries if e is not None]
    rng = np.random.default_rng(seed)
    if len(entries) > sample:
        entries = [entries[i] for i in sorted(rng.choice(len(entries), sample, replace=False))]
    keys = entry_keys(service)
    queries = [Query(e.id, e.question, {}) for e in entries]
    sets = []
    for e, cs in zip(entries, collect(service, queries)):
        same = {f for f, k in keys.items() if k[0] == keys[e.id][0] or k[1] == keys[e.id][1]}
        sets.append(without(cs, same | {e.id}))
    model = service.config.decision.answer_model
    return np.array([confidence.probability(model, d.signals) for d in decide_all(sets, service.config, keys)])


def missing_entry_answer_rates(p: np.ndarray, thresholds: Sequence[float]) -> Dict[str, float]:
    return {f"{t:.2f}": round(float((p >= t).mean()), 4) if len(p) else 0.0 for t in thresholds}


THRESHOLD_GRID = tuple(round(t, 2) for t in np.arange(0.50, 0.991, 0.01))


def calibrate_installation(service: FaqService, sample: int = 400) -> Dict[str, Any]:
    """This city's answer threshold: the shipped one, raised until questions whose entry is
    missing get a confident (wrong) answer no more often than on the FAQ the shipped decision
    was fitted on (`missing_entry_answer_rate` in the config's calibration). A FAQ with many
    close entries thus answers less readily. Saved beside the index; FaqService reads it."""
    decision = service.config.decision
    reference = decision.calibration.get("missing_entry_answer_rate")
    p = missing_entry_confidence(service, sample=sample)
    base = decision.answer_min_confidence
    chosen = base
    if isinstance(reference, (int, float)) and len(p):
        for t in [t for t in THRESHOLD_GRID if t >= base] + [0.99]:
            chosen = t
            if (p >= t).mean() <= reference:
                break
    data = {
        "answer_min_confidence": chosen,
        "shipped_answer_min_confidence": base,
        "missing_entry_answer_rate": round(float((p >= chosen).mean()), 4) if len(p) else None,
        "missing_entry_answer_rate_at_shipped": round(float((p >= base).mean()), 4) if len(p) else None,
        "reference_rate": reference,
        "sampled_questions": int(len(p)),
        "entries": len(service.index),
        "revision": service.index.revision,
        "computed_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
    service.save_installation(data)
    return data


def installation_is_stale(service: FaqService) -> bool:
    """No calibration for this database yet, or the FAQ grew or shrank by a tenth since."""
    done = service.installation
    entries = done.get("entries")
    if not isinstance(entries, int) or entries <= 0:
        return True
    return abs(len(service.index) - entries) > 0.1 * entries


def ensure_installation(service: FaqService) -> Optional[Dict[str, Any]]:
    """Calibrates when stale (only for a persistent index); the new calibration or None."""
    if service.installation_path is None or not installation_is_stale(service):
        return None
    return calibrate_installation(service)


def describe_installation(data: Dict[str, Any]) -> str:
    """One line for the command line (Japanese, for the city's staff and IT team)."""
    if not data:
        return "この FAQ 用の較正はまだありません（出荷時のしきい値で判定します）"
    line = (f"回答のしきい値 {data['answer_min_confidence']:.2f}"
            f"（出荷時 {data['shipped_answer_min_confidence']:.2f}）: この FAQ の質問 "
            f"{data['sampled_questions']} 件を、その項目を除いて検索したとき、確信して別の項目を"
            f"答える割合 {data['missing_entry_answer_rate_at_shipped']:.1%}")
    if data["answer_min_confidence"] > data["shipped_answer_min_confidence"]:
        line += f" → しきい値を上げて {data['missing_entry_answer_rate']:.1%}"
    return line + f"（基準 {data['reference_rate']:.1%}、{data['computed_at']}）"
