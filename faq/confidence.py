"""How sure a search is: two logistic models over signals of the ranked list.

`answer`: the probability that the top entry is right (a confident answer is stated as fact, so
it must be right); `choices`: the probability that a right entry is among the choices shown.
The signals are chosen to mean the same on any city's FAQ: the fused score and its margins,
the top entry's own retrieval signals, whether the separate retrievers agree on the top entry,
and the length of the question. The weights are fitted by `madoguchi faq calibrate` and kept in
faq/search_config.yml.
"""
from __future__ import annotations

import math
from typing import Dict, Sequence

import numpy as np

from faq.config import FEATURES

SIGNALS = (
    "score", "margin", "spread", "dq", "da", "bq", "ba", "br",
    "agree_dq", "agree_da", "agree_bm25", "length",
)
AGREEMENT_DEPTH = 10  # retrievers' own top entry looked for among the fused top 10


def signals(fused: np.ndarray, features: np.ndarray, bm25: np.ndarray, query_chars: int) -> np.ndarray:
    """fused: the scores in ranked order (best first); features: (n, len(FEATURES)) in the same
    order; bm25: the combined BM25 scores in the same order."""
    out = np.zeros(len(SIGNALS), dtype=np.float64)
    n = len(fused)
    out[SIGNALS.index("length")] = math.log1p(max(query_chars, 0))
    if n == 0:
        return out
    top = min(n, AGREEMENT_DEPTH)
    out[0] = fused[0]
    out[1] = fused[0] - (fused[1] if n > 1 else fused[0] - 1.0)
    out[2] = fused[0] - (fused[min(4, n - 1)] if n > 1 else fused[0] - 1.0)
    for i, name in enumerate(FEATURES):
        out[SIGNALS.index(name)] = features[0, i]
    dq, da = features[:top, FEATURES.index("dq")], features[:top, FEATURES.index("da")]
    out[SIGNALS.index("agree_dq")] = float(np.argmax(dq) == 0)
    out[SIGNALS.index("agree_da")] = float(np.argmax(da) == 0)
    out[SIGNALS.index("agree_bm25")] = float(bm25[:top].max() > 0 and np.argmax(bm25[:top]) == 0)
    return out


def probability(weights: Dict[str, float], x: np.ndarray) -> float:
    if not weights:
        return 0.0
    z = weights.get("bias", 0.0) + sum(weights.get(name, 0.0) * x[i] for i, name in enumerate(SIGNALS))
    return 1.0 / (1.0 + math.exp(-max(min(z, 40.0), -40.0)))


def fit(x: np.ndarray, y: Sequence[bool], c: float = 1.0) -> Dict[str, float]:
    """Logistic regression (standardised inputs, weights mapped back to raw signals)."""
    from sklearn.linear_model import LogisticRegression

    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=bool)
    if y.all() or not y.any():
        raise ValueError("confidence: need both right and wrong examples to fit")
    mean = x.mean(axis=0)
    std = x.std(axis=0)
    std[std == 0] = 1.0
    model = LogisticRegression(C=c, max_iter=5000).fit((x - mean) / std, y)
    w = model.coef_[0] / std
    bias = float(model.intercept_[0] - (model.coef_[0] * mean / std).sum())
    return {"bias": round(bias, 6), **{name: round(float(v), 6) for name, v in zip(SIGNALS, w)}}
