"""Query sets and their metrics (nDCG@10, Hit@1, Hit@5, MRR@10, decision precision)."""
from __future__ import annotations

import hashlib
import json
import logging
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Iterable, Iterator, List, Optional, Sequence, Tuple, Union

log = logging.getLogger(__name__)



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


def heldout_entry(faq_id: str) -> bool:
    """A fixed quarter of the FAQ ids, held out from any tuning (by a hash, so it holds for
    any FAQ)."""
    return int(hashlib.sha1(faq_id.encode("utf-8")).hexdigest(), 16) % 4 == 0


def split_queries(queries: Sequence[Query]) -> Tuple[List[Query], List[Query]]:
    """(tuning, held out): a query is held out when an entry that answers it is held out;
    queries with no answer are split by their own id the same way."""
    tune: List[Query] = []
    held: List[Query] = []
    for q in queries:
        exact = [f for f, g in q.relevant.items() if g >= 2] or list(q.relevant)
        out = any(heldout_entry(f) for f in exact) if exact else heldout_entry(q.query_id)
        (held if out else tune).append(q)
    return tune, held


def json_objects(lines: Iterable[str]) -> Iterator[Dict[str, Any]]:
    """The JSON objects of a JSONL stream; blank lines are skipped, and a line that is not a
    JSON object is logged (with its number) and skipped."""
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            if not isinstance(item, dict):
                raise ValueError("not an object")
        except ValueError as exc:
            log.error("stdin line %d is not a JSON object (%s); skipped", n, exc)
            continue
        yield item
