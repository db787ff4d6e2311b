"""Quality of document search on labelled queries (nDCG@10 by page), and the score of the
best passage for questions documents answer and for ones they do not (the answer threshold)."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List, Sequence, Union

from faq.evaluation import load_queries, ranking_metrics

DEV_QUERIES = Path(__file__).resolve().parent / "data" / "dev_queries.jsonl"


def evaluate(service: Any, queries_path: Union[str, Path] = DEV_QUERIES, top_k: int = 10) -> Dict[str, Any]:
    queries = load_queries(queries_path)
    runs = []
    for q in queries:
        result = service.search(q.text, top_k=max(50, top_k * 10))
        runs.append((q, result.ranked_documents(top_k), result))
    metrics = ranking_metrics([(q, ranked) for q, ranked, _ in runs])
    answered = [r for _, _, r in runs if r.decision == "answer"]
    correct = [r for q, ranked, r in runs if r.decision == "answer" and ranked and q.relevant.get(ranked[0])]
    metrics["answer_rate"] = len(answered) / len(runs) if runs else 0.0
    metrics["answer_precision"] = len(correct) / len(answered) if answered else None
    metrics["misses"] = [
        {"query_id": q.query_id, "text": q.text, "top": ranked[:3]}
        for q, ranked, _ in runs if not ranked or not q.relevant.get(ranked[0])
    ]
    return metrics


def top_scores(service: Any, texts: Sequence[str]) -> List[float]:
    return [(r.top.score if r.top else 0.0) for r in (service.search(t, top_k=1) for t in texts)]
