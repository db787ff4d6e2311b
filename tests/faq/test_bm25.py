"""The hand-written BM25: scores, and incremental edits equal a fresh build."""
from __future__ import annotations

import numpy as np

from faq.bm25 import BM25Index

DOCS = {
    0: (["粗大", "ごみ", "予約"], ["環境課", "予約", "処理券"]),
    1: (["燃やす", "ごみ", "曜日"], ["月曜", "木曜"]),
    2: (["住民票", "写し"], ["市民課", "窓口"]),
    3: (["児童手当", "申請"], ["子育て", "支援課"]),
}


def _build(docs):
    index = BM25Index()
    for slot, (q, a) in docs.items():
        index.add(slot, q, a)
    return index


def test_ranks_matching_documents_first():
    index = _build(DOCS)
    scores, ceiling = index.scores(["粗大", "ごみ"])
    assert np.argmax(scores) == 0 and scores[1] > 0 and scores[2] == 0
    assert ceiling > 0
    norm = index.normalized_scores(["住民票", "写し"])
    assert 0.8 < norm[2] < 1.5 and norm[0] == 0
    assert index.normalized_scores([]).sum() == 0
    assert index.normalized_scores(["未知の語"]).sum() == 0


def test_incremental_edits_equal_a_fresh_build():
    index = _build(DOCS)
    index.remove(1)
    index.add(2, ["住民票", "本籍"], ["市民課"])
    index.add(7, ["犬", "登録"], ["狂犬病"])
    fresh = _build({0: DOCS[0], 2: (["住民票", "本籍"], ["市民課"]), 3: DOCS[3], 7: (["犬", "登録"], ["狂犬病"])})
    for query in (["ごみ"], ["住民票", "写し"], ["犬"], ["市民課", "ごみ"]):
        a, _ = index.scores(query, 8)
        b, _ = fresh.scores(query, 8)
        np.testing.assert_allclose(a, b, rtol=1e-6)
    assert len(index) == 4
