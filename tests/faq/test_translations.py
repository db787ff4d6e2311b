"""FAQ entries in the residents' languages: translations and やさしい日本語 in the store, the CSV
columns, the migration; cross-lingual search with the glossary."""
from __future__ import annotations

import csv
import io
import json

import pytest
import sqlalchemy as sa

from core import migrations
from faq.csvio import EXPORT_COLUMNS, CsvImportError, export_csv, import_csv
from faq.store import ValidationError

OLD_HEADER = "id,question,answer,short_answer,department"


def _export_rows(store):
    buffer = io.BytesIO()
    export_csv(store, buffer)
    return list(csv.DictReader(io.StringIO(buffer.getvalue().decode("utf-8-sig"))))


def test_store_keeps_translations_and_easy_japanese(store):
    entry = store.create({
        "id": "T1", "question": "住民票", "answer": "市民課で取れます。", "status": "published",
        "translations": {"answer_en": " You can get it at the Citizens Division. ", "question_en": "Juminhyo",
                         "answer_vi": ""},
        "easy_ja": "市民課で もらえます。",
    })
    again = store.get("T1")
    assert again.translations == (("answer_en", "You can get it at the Citizens Division."),
                                  ("question_en", "Juminhyo"))
    assert again.translation("en") == {"question": "Juminhyo", "short_answer": "",
                                       "answer": "You can get it at the Citizens Division."}
    assert again.translated_languages() == ("en",) and again.easy_ja == "市民課で もらえます。"
    updated = store.update("T1", {"translations": {"answer_zh": "在市民课办理。"}}, expected_version=entry.version)
    assert updated.translated_languages() == ("zh",)
    # the previous state, translations included, is in the history and can be restored
    reverted = store.revert("T1", entry.version, expected_version=updated.version)
    assert store.get("T1").translation("en")["answer"].startswith("You can") and reverted.version == 3


def test_store_refuses_unknown_language_keys(store):
    with pytest.raises(ValidationError, match="answer_fr"):
        store.create({"id": "T2", "question": "q", "answer": "a", "translations": {"answer_fr": "x"}})


def test_csv_round_trip_with_translation_columns(store):
    header = "id,question,answer,answer_easy_ja,question_en,answer_en,answer_pt"
    row = 'T3,ごみの日,月曜です。,げつようびです。,Garbage day?,"Monday.\nPut it out by 8:30.",Segunda-feira.'
    report = import_csv(store, f"{header}\n{row}\n".encode())
    assert report.created == ["T3"] and not report.ignored_columns
    entry = store.get("T3")
    assert entry.easy_ja == "げつようびです。"
    assert entry.translation("en")["answer"] == "Monday.\nPut it out by 8:30."
    assert entry.translation("pt")["answer"] == "Segunda-feira."
    rows = _export_rows(store)
    assert tuple(rows[0].keys()) == EXPORT_COLUMNS
    assert {"answer_easy_ja", "question_en", "answer_en", "short_answer_en", "answer_zh", "answer_ko",
            "answer_vi", "answer_pt"} <= set(EXPORT_COLUMNS)
    assert rows[0]["answer_en"] == "Monday.\nPut it out by 8:30." and rows[0]["answer_easy_ja"] == "げつようびです。"
    # the exported file imports back unchanged
    buffer = io.BytesIO()
    export_csv(store, buffer)
    assert import_csv(store, buffer.getvalue()).unchanged == ["T3"]


def test_csv_columns_absent_keep_translations_and_empty_cells_remove_them(store):
    import_csv(store, "id,question,answer,answer_en,answer_ko\nT4,質問,回答,Answer,답변\n".encode())
    # an old CSV without the new columns changes nothing of the translations
    import_csv(store, f"{OLD_HEADER}\nT4,質問,新しい回答,,\n".encode())
    entry = store.get("T4")
    assert entry.answer == "新しい回答" and entry.translated_languages() == ("en", "ko")
    # a present but empty column removes that translation only
    import_csv(store, "id,question,answer,answer_en\nT4,質問,新しい回答,\n".encode())
    assert store.get("T4").translated_languages() == ("ko",)


def test_csv_translation_too_long_is_reported_with_its_line(store):
    long = "x" * 1001
    with pytest.raises(CsvImportError) as info:
        import_csv(store, f"id,question,answer,question_en\nT5,質問,回答,{long}\n".encode())
    assert "2 行目" in str(info.value) and "question_en" in str(info.value)
    assert store.get("T5") is None


def test_sample_faq_has_translations_for_sixty_entries(sqlite_url):
    from faq.bootstrap import SAMPLE_FAQ
    from faq.store import FaqStore

    store = FaqStore(sqlite_url)
    import_csv(store, SAMPLE_FAQ)
    entries = store.list()
    full = [e for e in entries if set(e.translated_languages()) == {"en", "zh", "ko", "vi", "pt"} and e.easy_ja]
    assert len(full) >= 60
    for entry in full:
        for lang in ("en", "zh", "ko", "vi", "pt"):
            assert entry.translation(lang)["question"], (entry.id, lang)


def test_migration_adds_and_removes_the_columns(sqlite_url):
    from core.db import make_engine

    engine = make_engine(sqlite_url)
    migrations.upgrade(engine)
    columns = {c["name"] for c in sa.inspect(engine).get_columns("faq_entries")}
    assert {"translations", "easy_ja"} <= columns
    migrations.downgrade(engine, "0210_inbox")
    columns = {c["name"] for c in sa.inspect(engine).get_columns("faq_entries")}
    assert not {"translations", "easy_ja"} & columns
    migrations.upgrade(engine)
    assert migrations.current_revision(engine) == migrations.head_revision()


def test_english_question_finds_the_residence_certificate(service):
    result = service.search("How can I get a residence certificate?", top_k=5)
    assert result.language == "en"
    assert "F0001" in [hit.faq_id for hit in result.hits[:3]]


def test_japanese_search_is_unchanged_by_the_language_hook(service):
    result = service.search("住民票の写しはどこで取れますか", top_k=3)
    assert result.language == "ja" and result.hits[0].faq_id == "F0001"


def test_foreign_dev_queries_reach_the_top_three(service):
    from benchmarks.languages_bench import evaluate, load_queries

    table = evaluate(service, load_queries())
    assert set(table) == {"en", "zh", "ko", "vi", "pt"}
    for lang, row in table.items():
        assert row["queries"] >= 30, lang
        assert row["top3_rate"] >= 0.85, (lang, row["top3_misses"])
        assert row["wrong_answer_rate"] <= 0.03, lang


def test_cp932_export_leaves_translations_out_and_imports_back_without_losing_them(store):
    import_csv(store, "id,question,answer,answer_easy_ja,answer_ko,answer_vi\nT6,質問,回答,かいとう,답변,Trả lời\n".encode())
    buffer = io.BytesIO()
    export_csv(store, buffer, encoding="cp932")
    header = buffer.getvalue().decode("cp932").splitlines()[0].split(",")
    assert "answer_easy_ja" in header and not any(c.startswith(("answer_ko", "question_en")) for c in header)
    assert import_csv(store, buffer.getvalue()).unchanged == ["T6"]
    assert store.get("T6").translated_languages() == ("ko", "vi")
