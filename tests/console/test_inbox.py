"""The inbox (未回答・低評価): grouping by meaning on real records and the real encoder; actions
that create an FAQ or add phrasings, after which the group is gone and the FAQ is searchable."""
from __future__ import annotations

import time
from datetime import date

import pytest
import sqlalchemy as sa

from console.inbox import EmbeddingCache, Inbox, cluster, parse_ids
from console.period import Period
from console.tables import inbox_handled
from faq.store import ConflictError, FaqStore
from inbox_support import ask, encoder, faq_service, sample_index, utc  # noqa: F401 (fixtures)
from records.store import Records

PERIOD = Period(date(2026, 11, 1), date(2026, 11, 30))
DRONE = ["公園でドローンを飛ばしてもいいですか", "ドローンを公園で飛ばしたい", "公園でのドローンの飛行は許可が必要ですか"]
MANHOLE = ["マンホールカードはどこでもらえますか", "マンホールカードの配布場所を教えて", "マンホールカードがほしい"]
FIREWORKS = ["花火大会の日程", "今年の花火大会はいつですか"]


def fill(records: Records) -> dict:
    ids = {"drone": [], "manhole": [], "fireworks": [], "other": [], "answered": []}
    for n, text in enumerate(DRONE):
        ids["drone"].append(ask(records, f"web:d{n}", text, "none", utc(2026, 11, 3 + n), candidates=["F0300"]))
    ids["drone"].append(ask(records, "line:d9", DRONE[0], "none", utc(2026, 11, 20)))  # asked twice
    for n, text in enumerate(MANHOLE):
        ids["manhole"].append(ask(records, f"line:m{n}", text, "suggest", utc(2026, 11, 5, 10 + n),
                                  candidates=["F0001", "F0002", "F0004"]))
    # 「解決しなかった」 on an answer puts it in the inbox too
    ids["fireworks"].append(ask(records, "web:f0", FIREWORKS[0], "answer", utc(2026, 11, 6), faq_id="F0100",
                                resolved=False))
    ids["fireworks"].append(ask(records, "tel:f1", FIREWORKS[1], "out_of_scope", utc(2026, 11, 7)))
    ids["other"].append(ask(records, "web:o", "ペットの火葬はしてもらえますか", "error", utc(2026, 11, 8)))
    # not in the inbox: answered (no feedback / helped), or outside the period
    ids["answered"].append(ask(records, "web:x", "住民票はどこで取れますか", "answer", utc(2026, 11, 9), faq_id="F0001"))
    ids["answered"].append(ask(records, "web:x", "住民票の写し", "choice", utc(2026, 11, 9), faq_id="F0001",
                               resolved=True))
    ask(records, "web:y", "公園でドローンを飛ばしたい", "none", utc(2026, 10, 20))
    return ids


@pytest.fixture
def inbox(faq_service):
    records = Records(faq_service.store.engine)
    ids = fill(records)
    box = Inbox(faq_service.store.engine, faq_service, threshold=0.92)
    box.ids = ids
    return box


def test_groups_by_meaning_counted_and_sorted(inbox):
    groups = inbox.groups(PERIOD)
    summary = [(g.count, sorted(t for t, _ in g.texts)) for g in groups]
    assert summary == [
        (4, sorted(DRONE)),
        (3, sorted(MANHOLE)),
        (2, sorted(FIREWORKS)),
        (1, ["ペットの火葬はしてもらえますか"]),
    ]
    drone = groups[0]
    assert drone.inquiry_ids == sorted(inbox.ids["drone"])
    assert drone.representative == DRONE[0]  # asked twice, and central
    assert drone.texts[0] == (DRONE[0], 2)
    assert sorted(drone.phrasings) == sorted(DRONE[1:])
    assert dict(drone.channels) == {"web": 3, "line": 1}
    assert drone.last_seen == utc(2026, 11, 20)
    assert drone.candidates == [("F0300", 3)]
    manhole = groups[1]
    assert [c for c, _ in manhole.candidates] == ["F0001", "F0002", "F0004"]
    assert dict(manhole.reasons) == {"suggest": 3}
    assert dict(groups[2].reasons) == {"unresolved": 1, "out_of_scope": 1}
    # the period bounds apply
    assert inbox.groups(Period(date(2026, 10, 1), date(2026, 10, 31)))[0].count == 1


def test_embeddings_are_cached_in_memory_and_in_the_database(inbox, faq_service):
    inbox.groups(PERIOD)
    first = inbox.cache.encoded
    assert first == len(set(DRONE + MANHOLE + FIREWORKS)) + 1  # each distinct text once
    inbox.groups(PERIOD)
    assert inbox.cache.encoded == first  # a second page load encodes nothing
    fresh = Inbox(faq_service.store.engine, faq_service, threshold=0.92)  # another process
    assert [g.count for g in fresh.groups(PERIOD)] == [4, 3, 2, 1]
    assert fresh.cache.encoded == 0
    # a different prefix (or model) is another key
    other = EmbeddingCache(faq_service.store.engine, faq_service.encoder, prefix="passage: ")
    other.vectors([DRONE[0]])
    assert other.encoded == 1


def test_create_faq_from_a_group(inbox, faq_service):
    group = inbox.groups(PERIOD)[0]
    entry = inbox.create_faq(
        group.inquiry_ids,
        {
            "id": "kouen-drone", "question": group.representative, "alternatives": group.phrasings,
            "answer": "公園でのドローンの飛行は禁止です。催しで使う場合は公園緑地課にご相談ください。",
            "department": "公園緑地課", "category": "施設", "status": "published",
        },
        by="editor1",
    )
    assert entry.status == "published" and entry.alternatives == tuple(group.phrasings)
    remaining = inbox.groups(PERIOD)
    assert [g.count for g in remaining] == [3, 2, 1]
    assert all(DRONE[0] not in dict(g.texts) for g in remaining)
    with faq_service.store.engine.connect() as conn:
        rows = conn.execute(sa.select(inbox_handled)).mappings().all()
    assert {r["inquiry_id"] for r in rows} == set(group.inquiry_ids)
    assert {(r["action"], r["faq_id"], r["handled_by"]) for r in rows} == {("new_faq", "kouen-drone", "editor1")}
    # searchable at once through the same service (no restart, no retrain)
    result = faq_service.search("公園でドローンを飛ばしたいのですが")
    assert result.top.faq_id == "kouen-drone"
    assert inbox.handled()[0]["faq_id"] == "kouen-drone"


def test_create_faq_as_draft_is_not_searchable(inbox, faq_service):
    group = inbox.groups(PERIOD)[1]
    inbox.create_faq(group.inquiry_ids, {"id": "manhole-card", "question": group.representative,
                                         "answer": "市役所1階の観光案内所で配布しています。", "status": "draft"},
                     by="editor1")
    assert faq_service.get("manhole-card").status == "draft"
    assert all(hit.faq_id != "manhole-card" for hit in faq_service.search("マンホールカード").hits)
    assert [g.count for g in inbox.groups(PERIOD)] == [4, 2, 1]


def test_add_phrasings_to_an_existing_entry(inbox, faq_service):
    group = inbox.groups(PERIOD)[1]  # マンホールカード
    target = faq_service.get("F0001")
    suggestions = inbox.suggest_entries(group.representative)
    assert suggestions and all(hasattr(e, "question") for e in suggestions)
    # a stale version is refused and nothing leaves the inbox
    with pytest.raises(ConflictError):
        inbox.add_phrasings(group.inquiry_ids, "F0001", [t for t, _ in group.texts],
                            expected_version=target.version - 1, by="editor1")
    assert [g.count for g in inbox.groups(PERIOD)] == [4, 3, 2, 1]
    updated = inbox.add_phrasings(group.inquiry_ids, "F0001", [t for t, _ in group.texts] + [target.question],
                                  expected_version=target.version, by="editor1")
    assert updated.version == target.version + 1
    assert updated.alternatives == target.alternatives + tuple(sorted(MANHOLE, key=[t for t, _ in group.texts].index))
    assert [g.count for g in inbox.groups(PERIOD)] == [4, 2, 1]
    assert faq_service.search("マンホールカードの配布場所を教えて").top.faq_id == "F0001"
    history = faq_service.history("F0001")
    assert history[0].version == target.version and history[0].action == "update"


def test_dismiss_and_group_of(inbox):
    groups = inbox.groups(PERIOD)
    lone = groups[-1]
    assert inbox.group_of(lone.inquiry_ids).representative == "ペットの火葬はしてもらえますか"
    assert inbox.dismiss(lone.inquiry_ids, by="editor1") == lone.inquiry_ids
    assert inbox.dismiss(lone.inquiry_ids, by="editor1") == []  # already handled
    assert inbox.group_of(lone.inquiry_ids) is None
    assert [g.count for g in inbox.groups(PERIOD)] == [4, 3, 2]
    # ids that are not in the inbox (answered) are ignored
    assert inbox.group_of(inbox.ids["answered"]) is None
    assert inbox.group_of(inbox.ids["answered"] + inbox.ids["fireworks"]).count == 2


def test_cluster_and_parse_ids():
    import numpy as np

    assert cluster(np.zeros((0, 3)), 0.9) == []
    vecs = np.array([[1, 0, 0], [0.99, 0.141, 0], [0, 1, 0], [0, 0, 1]], dtype=np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    assert cluster(vecs, 0.95) == [0, 0, 1, 2]
    assert parse_ids("3,1, 2,x,,3") == [1, 2, 3]
    assert parse_ids(["4", "5,6"]) == [4, 5, 6]


def test_a_page_load_with_thousands_of_inquiries_is_fast(faq_service):
    """3,000 inquiries of 600 distinct texts: the first load encodes each text once, the next
    ones read the cache (the measured times are printed)."""
    import json

    from core.settings import REPO_ROOT

    texts = [json.loads(line)["text"] for line in (REPO_ROOT / "faq" / "data" / "dev_queries.jsonl").open()]
    texts = texts[:300] + [f"{t}（再掲）" for t in texts[:300]]
    records = Records(faq_service.store.engine)
    rows = [
        {"conversation_id": f"web:p{i}", "channel": "web", "text": texts[i % len(texts)], "decision": "none",
         "candidates": [], "created_at": utc(2026, 11, 1 + i % 28, 10)}
        for i in range(3000)
    ]
    from records.store import inquiries

    with records.engine.begin() as conn:
        conn.execute(inquiries.insert(), rows)
    box = Inbox(faq_service.store.engine, faq_service, threshold=0.92)
    started = time.perf_counter()
    groups = box.groups(PERIOD)
    cold = time.perf_counter() - started
    assert sum(g.count for g in groups) == 3000 and box.cache.encoded == len(set(texts))
    started = time.perf_counter()
    box.groups(PERIOD)
    warm = time.perf_counter() - started
    fresh = Inbox(faq_service.store.engine, faq_service, threshold=0.92)
    started = time.perf_counter()
    fresh.groups(PERIOD)
    from_db = time.perf_counter() - started
    print(f"\ninbox of 3000 inquiries / {len(set(texts))} texts: first load {cold:.2f} s, "
          f"cached {warm:.2f} s, new process {from_db:.2f} s, {len(groups)} groups")
    assert warm < 2.0 and from_db < 3.0
