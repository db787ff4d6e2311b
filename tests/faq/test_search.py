"""Search on the sample FAQ with the real encoder: quality, decisions, bad input, live edits,
publish windows by the clock, persistence and fingerprints."""
from __future__ import annotations

import dataclasses
import subprocess
import sys
import threading
import time
from datetime import datetime

import pytest

from faq.calibration import evaluate
from faq.config import IndexSettings, SearchConfig
from faq.entry import JST
from faq.evaluation import load_queries
from faq.service import DECISIONS, FaqService
from faq.store import FaqStore
from core.settings import REPO_ROOT

DEV_QUERIES = REPO_ROOT / "faq" / "data" / "dev_queries.jsonl"

# The sample's publish windows are fixed dates: evaluate at a fixed clock.
EVAL_NOW = datetime(2026, 10, 1, 12, 0, tzinfo=JST)


class CountingEncoder:
    """The real encoder, counting what it is asked to encode."""

    def __init__(self, inner):
        self.inner = inner
        self.dim = inner.dim
        self.fingerprint = inner.fingerprint
        self.texts = 0

    def encode(self, texts, show_progress=False):
        self.texts += len(texts)
        return self.inner.encode(texts, show_progress=show_progress)


def test_quality_on_the_dev_set(service):
    queries = load_queries(DEV_QUERIES)
    assert len(queries) >= 300
    m = evaluate(service, queries, now=EVAL_NOW)
    fused, bm25, dense = m["fused"], m["bm25"], m["dense"]
    assert fused["hit@5"] >= 0.93, m
    assert fused["ndcg@10"] >= 0.88, m
    assert fused["hit@1"] >= 0.85, m
    # the fusion earns its keep
    assert fused["ndcg@10"] > max(bm25["ndcg@10"], dense["ndcg@10"])
    assert fused["hit@1"] > max(bm25["hit@1"], dense["hit@1"])
    d = m["decision"]
    assert d["answer_precision"] >= 0.85 and d["answer_count"] >= 150


def test_a_faq_question_is_answered_with_its_entry(service):
    entry = service.store.get("F0001")
    result = service.search(entry.question)
    assert result.decision == "answer"
    hit = result.hits[0]
    assert hit.faq_id == "F0001" and hit.entry.answer == entry.answer
    assert hit.entry.short_answer and hit.entry.department and hit.entry.phone
    with pytest.raises(dataclasses.FrozenInstanceError):
        hit.entry.answer = "x"  # type: ignore[misc]
    assert len(result.hits) == 10 and len(result.suggestions()) == 3
    scores = [h.score for h in result.hits]
    assert scores == sorted(scores, reverse=True)


def test_colloquial_and_kana_questions_find_their_entry(service):
    for text, faq_id in [
        ("粗大ゴミってどうやって捨てるの", "F0161"),
        ("そだいごみ すてたい", "F0161"),
        ("ｿﾀﾞｲｺﾞﾐ ｽﾃﾀｲ", "F0161"),
    ]:
        result = service.search(text)
        assert result.decision in DECISIONS
        assert faq_id in [h.faq_id for h in result.hits[:3]], (text, result.hits[:3])
    top = service.search("じゅうみんひょう とりたい").hits[0]
    assert "住民票" in top.entry.question + top.entry.answer


BAD_INPUTS = [
    "",
    "   ",
    None,
    12345,
    "😀😀😀🙏",
    "\x00\x01\x02\x1b\x7f",
    "\x1b[31m赤い文字\x1b[0m",
    "？！。、・",
    "ー" * 10_000,
    "住民票" * 3_400,
    "a" * 10_000,
    "How can I get a copy of my residence certificate?",
    "请问在哪里可以办理居住证？",
    "주민등록등본은 어디서 발급받나요?",
    "\ud800 lone surrogate",
    "<script>alert(1)</script>",
    "' OR 1=1; DROP TABLE faq_entries; --",
]


@pytest.mark.parametrize("text", BAD_INPUTS, ids=range(len(BAD_INPUTS)))
def test_bad_input_gives_a_valid_decision(service, text):
    started = time.perf_counter()
    result = service.search(text)
    assert result.decision in DECISIONS
    assert time.perf_counter() - started < 5
    for hit in result.hits:
        assert hit.entry.status == "published"
    if text in ("", "   ", None, "😀😀😀🙏", "\x00\x01\x02\x1b\x7f", "？！。、・"):
        assert result.decision == "none" and result.hits == ()


def test_drafts_never_and_windows_by_the_clock(service):
    draft = service.store.get("F0016")
    assert draft.status == "draft"
    assert "F0016" not in [h.faq_id for h in service.search(draft.question, now=EVAL_NOW).hits]
    future = service.store.get("F0107")  # published, window opens 2027-03-01
    assert future.status == "published" and future.publish_start > EVAL_NOW
    before = service.search(future.question, now=EVAL_NOW)
    assert "F0107" not in [h.faq_id for h in before.hits]
    after = service.search(future.question, now=future.publish_start)
    assert after.hits[0].faq_id == "F0107"
    ended = service.store.get("F0310")  # window closed 2025-09-01
    assert "F0310" not in [h.faq_id for h in service.search(ended.question, now=EVAL_NOW).hits]
    assert service.search(ended.question, now=datetime(2025, 7, 1, tzinfo=JST)).hits[0].faq_id == "F0310"


def test_edit_from_another_service_is_searchable_at_once(editable_copy, encoder):
    url, index_dir = editable_copy
    resident_side = FaqService(FaqStore(url), encoder, index_dir=index_dir)
    staff_side = FaqService(FaqStore(url), encoder, index_dir=None)
    phrase = "ひだまりドローン飛行許可の申請窓口"
    assert "F0001" not in [h.faq_id for h in resident_side.search(phrase).hits[:1]]

    entry = staff_side.get("F0001")
    staff_side.update("F0001", {"question": phrase}, expected_version=entry.version, by="staff")
    started = time.perf_counter()
    result = resident_side.search(phrase)
    assert time.perf_counter() - started < 5.0  # the 1 s target is measured by the benchmark
    assert result.hits[0].faq_id == "F0001" and result.hits[0].entry.question == phrase

    staff_side.create(
        {"id": "N001", "question": "ひだまり市の公式マスコットの名前は", "answer": "ひだまるくんです。",
         "status": "published"},
        by="staff",
    )
    assert resident_side.search("公式マスコットの名前を教えて").hits[0].faq_id == "N001"

    staff_side.unpublish("N001", expected_version=1, by="staff")
    assert "N001" not in [h.faq_id for h in resident_side.search("公式マスコットの名前を教えて").hits]
    staff_side.publish("N001", expected_version=2, by="staff")
    assert resident_side.search("公式マスコットの名前を教えて").hits[0].faq_id == "N001"
    staff_side.delete("N001", expected_version=3, by="staff")
    assert "N001" not in [h.faq_id for h in resident_side.search("公式マスコットの名前を教えて").hits]
    resident_side.close()
    staff_side.close()


def test_edit_by_another_process_is_searchable(editable_copy, encoder):
    url, index_dir = editable_copy
    service = FaqService(FaqStore(url), encoder, index_dir=index_dir)
    service.search("ごみ")  # index loaded
    code = (
        "from faq.store import FaqStore\n"
        f"s = FaqStore({url!r})\n"
        "e = s.get('F0002')\n"
        "s.update('F0002', {'alternatives': ['ひだまり温泉の源泉かけ流し券']}, expected_version=e.version, by='cli')\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60, cwd=REPO_ROOT)
    assert service.search("ひだまり温泉の源泉かけ流し券").hits[0].faq_id == "F0002"
    service.close()


def test_saved_index_is_loaded_and_caught_up(editable_copy, encoder):
    url, index_dir = editable_copy
    counting = CountingEncoder(encoder)
    store = FaqStore(url)
    entry = store.get("F0003")
    store.update("F0003", {"question": "ひだまり城址公園の夜桜ライトアップの点灯時間",
                           "answer": "城址公園の夜桜ライトアップは、4月上旬の18時から21時まで点灯します。"},
                 expected_version=entry.version)
    service = FaqService(store, counting, index_dir=index_dir)
    result = service.search("ひだまり城址公園の夜桜ライトアップの点灯時間")
    assert result.hits[0].faq_id == "F0003"
    # loaded from disk: only the edited entry's texts (question side, answer passage) and the query
    index = service.index
    texts = index.dense_texts[index.slot_of["F0003"]]
    assert any("夜桜" in t for t in texts) and texts[-1].startswith("passage: 城址公園の夜桜")
    assert counting.texts == len(texts) + 1
    service.close()


def test_model_or_text_change_rebuilds_the_index(editable_copy, encoder):
    url, index_dir = editable_copy
    counting = CountingEncoder(encoder)
    other = SearchConfig.load()
    other = dataclasses.replace(other, index=IndexSettings(dense_texts=("question",)))
    service = FaqService(FaqStore(url), counting, index_dir=index_dir, config=other)
    result = service.search("住民票の写しを取りたい")
    assert result.decision in DECISIONS
    published = service.store.count(status="published")
    assert counting.texts >= published  # every entry re-encoded
    assert len(service.index) == published
    service.close()
    # the rebuilt index was saved: the next start with that config encodes nothing
    counting.texts = 0
    again = FaqService(FaqStore(url), counting, index_dir=index_dir, config=other)
    again.refresh()
    assert counting.texts == 0
    again.close()


def test_corrupt_index_file_is_rebuilt(editable_copy, encoder):
    url, index_dir = editable_copy
    for path in index_dir.glob("faq-*.npz"):
        path.write_bytes(b"not an index")
    service = FaqService(FaqStore(url), encoder, index_dir=index_dir)
    assert service.search("粗大ごみの出し方").hits[0].faq_id == "F0161"
    service.close()


def test_synonym_list_edit_applies_without_reencoding(editable_copy, encoder, tmp_path):
    url, index_dir = editable_copy
    synonyms = tmp_path / "synonyms.yml"
    synonyms.write_text("国民健康保険: [国保]\n", encoding="utf-8")
    counting = CountingEncoder(encoder)
    service = FaqService(FaqStore(url), counting, index_dir=index_dir, synonyms_path=synonyms)
    word = "ＧＭＣＬ"  # a made-up abbreviation staff add to the list
    assert service.search(word, method="bm25").hits == ()
    time.sleep(0.01)
    synonyms.write_text("国民健康保険: [国保]\nごみカレンダー: [gmcl]\n", encoding="utf-8")
    before = counting.texts
    hits = service.search(word, method="bm25").hits
    assert "F0166" in [h.faq_id for h in hits[:3]]
    assert counting.texts - before <= 1  # only the query
    service.close()


def test_concurrent_searches_during_edits(editable_copy, encoder):
    url, index_dir = editable_copy
    service = FaqService(FaqStore(url), encoder, index_dir=index_dir)
    writer = FaqStore(url)
    errors = []
    texts = ["粗大ごみ", "住民票", "児童手当の申請", "", "😀", "避難所はどこ"]

    def search_loop():
        try:
            for i in range(15):
                r = service.search(texts[i % len(texts)])
                assert r.decision in DECISIONS
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=search_loop) for _ in range(4)]
    for t in threads:
        t.start()
    for i in range(5):
        e = writer.get("F0010")
        writer.update("F0010", {"answer": f"回答 {i}"}, expected_version=e.version)
    for t in threads:
        t.join()
    assert not errors
    assert service.search("x").decision in DECISIONS
    writer.close()
    service.close()
