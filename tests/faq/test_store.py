"""The FAQ store on SQLite and PostgreSQL: CRUD, history, conflicts, publish windows."""
from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

import pytest

from faq.entry import JST
from faq.store import (
    ConflictError,
    DuplicateError,
    FaqStore,
    NotFoundError,
    ValidationError,
)


def _entry(faq_id="F1", **extra):
    data = {
        "id": faq_id,
        "question": "粗大ごみはどう出せばいいですか",
        "alternatives": ["粗大ごみの出し方", "大きな家具を捨てたい"],
        "answer": "事前予約制です。環境課に電話してください。",
        "short_answer": "予約制です。",
        "category": "ごみ",
        "department": "環境課",
        "phone": "099-000-1201",
        "url": "https://www.city.example/gomi",
        "keywords": "粗大ごみ|予約",
        "status": "published",
    }
    data.update(extra)
    return data


def test_create_get_and_list_filters(store):
    created = store.create(_entry(), by="tanaka")
    assert created.version == 1 and created.updated_by == "tanaka"
    got = store.get("F1")
    assert got.question == "粗大ごみはどう出せばいいですか"
    assert got.alternatives == ("粗大ごみの出し方", "大きな家具を捨てたい")
    assert got.keywords == ("粗大ごみ", "予約")
    assert got.updated_at.tzinfo is not None
    store.create(_entry("F2", category="防災", status="draft", question="避難所はどこ"))
    assert [e.id for e in store.list(category="ごみ")] == ["F1"]
    assert [e.id for e in store.list(status="draft")] == ["F2"]
    assert [e.id for e in store.list(text="避難所")] == ["F2"]
    assert [e.id for e in store.list(department="環境課")] == ["F1", "F2"]
    assert store.count() == 2 and store.count(status="published") == 1
    assert store.get("nope") is None


def test_create_rejects_duplicates_and_bad_fields(store):
    store.create(_entry())
    with pytest.raises(DuplicateError):
        store.create(_entry())
    with pytest.raises(ValidationError) as err:
        store.create(_entry("F9", question="", url="ftp://x", status="公開中かも"))
    text = str(err.value)
    assert "question" in text and "url" in text and "status" in text
    assert store.get("F9") is None


def test_update_bumps_version_and_keeps_history(store):
    store.create(_entry(), by="a")
    v2 = store.update("F1", {"answer": "予約してください。"}, expected_version=1, by="b")
    assert v2.version == 2
    v3 = store.update("F1", {"question": "粗大ごみの出し方"}, expected_version=2, by="c")
    assert v3.version == 3
    history = store.history("F1")
    assert [h.version for h in history] == [2, 1]
    assert history[1].entry.answer == "事前予約制です。環境課に電話してください。"
    assert history[0].changed_by == "c"
    assert store.version_of("F1", 1).answer == "事前予約制です。環境課に電話してください。"
    # identical content: no new version
    same = store.update("F1", {"question": "粗大ごみの出し方"}, expected_version=3)
    assert same.version == 3


def test_stale_version_raises_conflict_and_writes_nothing(store):
    store.create(_entry())
    store.update("F1", {"answer": "職員Aの回答"}, expected_version=1, by="A")
    with pytest.raises(ConflictError) as err:
        store.update("F1", {"answer": "職員Bの回答"}, expected_version=1, by="B")
    assert err.value.current_version == 2 and err.value.expected_version == 1
    assert "他の人" in str(err.value)
    entry = store.get("F1")
    assert entry.answer == "職員Aの回答" and entry.version == 2
    assert len(store.history("F1")) == 1
    with pytest.raises(ConflictError):
        store.unpublish("F1", expected_version=1)
    with pytest.raises(ConflictError):
        store.delete("F1", expected_version=1)
    with pytest.raises(NotFoundError):
        store.update("nope", {"answer": "x"}, expected_version=1)


def test_concurrent_updates_only_one_wins(db_url):
    """Two writers (own engines, like two processes) edit the same version at once."""
    setup = FaqStore(db_url)
    setup.create(_entry())
    stores = [FaqStore(db_url, migrate=False) for _ in range(4)]
    barrier = threading.Barrier(len(stores))
    outcomes = []

    def edit(i, s):
        barrier.wait()
        try:
            s.update("F1", {"answer": f"回答{i}"}, expected_version=1, by=f"w{i}")
            outcomes.append("ok")
        except ConflictError:
            outcomes.append("conflict")

    threads = [threading.Thread(target=edit, args=(i, s)) for i, s in enumerate(stores)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["conflict"] * 3 + ["ok"]
    assert setup.get("F1").version == 2
    for s in stores + [setup]:
        s.close()


def test_publish_unpublish_and_revert(store):
    store.create(_entry(status="draft"))
    assert store.list(searchable=True) == []
    p = store.publish("F1", expected_version=1, by="kacho")
    assert p.status == "published" and [e.id for e in store.list(searchable=True)] == ["F1"]
    u = store.unpublish("F1", expected_version=p.version)
    assert u.status == "draft" and store.list(searchable=True) == []
    edited = store.update("F1", {"answer": "間違った回答"}, expected_version=u.version)
    reverted = store.revert("F1", 1, expected_version=edited.version, by="kacho")
    assert reverted.answer == "事前予約制です。環境課に電話してください。"
    assert reverted.status == "draft"
    assert reverted.version == edited.version + 1
    assert store.history("F1")[0].action == "revert"


def test_publish_window_filters_by_clock(store):
    now = datetime.now(timezone.utc)
    store.create(_entry("OPEN"))
    store.create(_entry("FUTURE", publish_start=now + timedelta(days=1)))
    store.create(_entry("PAST", publish_end=now - timedelta(minutes=1)))
    store.create(_entry("WINDOW", publish_start=now - timedelta(days=1), publish_end=now + timedelta(days=1)))
    store.create(_entry("DRAFT", status="draft"))
    assert [e.id for e in store.list(searchable=True)] == ["OPEN", "WINDOW"]
    later = now + timedelta(days=2)
    assert [e.id for e in store.list(searchable=True, now=later)] == ["FUTURE", "OPEN"]
    assert store.get("FUTURE").is_searchable(later) and not store.get("FUTURE").is_searchable(now)
    assert not store.get("DRAFT").is_searchable(now)
    # naive input is Japan time; a date-only end includes that whole day
    store.update("OPEN", {"publish_end": "2030-03-31"}, expected_version=1)
    end = store.get("OPEN").publish_end
    assert end == datetime(2030, 4, 1, tzinfo=JST)


def test_window_end_before_start_is_rejected(store):
    with pytest.raises(ValidationError):
        store.create(_entry(publish_start="2030-04-01", publish_end="2030-03-01"))


def test_changes_since_reports_upserts_and_deletes(store):
    r0 = store.revision()
    a = store.create(_entry("A"))
    store.create(_entry("B"))
    changes = store.changes_since(r0)
    assert {e.id for e in changes.upserted} == {"A", "B"} and changes.deleted == ()
    r1 = changes.revision
    assert store.changes_since(r1).upserted == ()
    store.update("A", {"answer": "新しい回答"}, expected_version=a.version)
    store.delete("B", expected_version=1, by="x")
    changes = store.changes_since(r1)
    assert [e.id for e in changes.upserted] == ["A"] and changes.deleted == ("B",)
    assert store.history("B")[0].action == "delete"
    # re-created after delete: an upsert, version carries on
    again = store.create(_entry("B"))
    assert again.version == 2
    changes = store.changes_since(r1)
    assert {e.id for e in changes.upserted} == {"A", "B"} and changes.deleted == ()


def test_store_identity_and_revision_counter(store, db_url):
    other = FaqStore(db_url)
    assert other.store_id == store.store_id
    before = other.revision()
    store.create(_entry())
    assert other.revision() == before + 1
    other.close()
