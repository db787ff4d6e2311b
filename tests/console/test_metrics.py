"""Dashboard figures computed from real records (SQLite and PostgreSQL) with known answers."""
from __future__ import annotations

import csv
import io
from datetime import date, datetime, timezone

import pytest

from console import metrics
from console.period import Period
from faq.store import FaqStore
from inbox_support import ask, ticket, utc
from records.store import Records

PERIOD = Period(date(2026, 11, 1), date(2026, 11, 3))


def fill(records: Records) -> None:
    """Three Japan-time days; the expected figures are worked out in the tests below."""
    # 11/01
    ask(records, "web:a", "住民票はどこで取れますか", "answer", utc(2026, 11, 1, 9), faq_id="F0001", resolved=True)
    ask(records, "web:a", "印鑑登録をしたい", "answer", utc(2026, 11, 1, 9, 5), faq_id="F0035", resolved=False)
    ask(records, "web:b", "公園でドローンを飛ばしたい", "none", utc(2026, 11, 1, 10))
    ask(records, "line:c", "住民票", "choice", utc(2026, 11, 1, 11), faq_id="F0001")
    ask(records, "line:c", "電話番号は？", "followup", utc(2026, 11, 1, 11, 1), faq_id="F0001")
    ask(records, "tel:d", "税金のこと", "suggest", utc(2026, 11, 1, 13), candidates=["F0055", "F0056"])
    ask(records, "web:f", "住民票の写し", "answer", utc(2026, 11, 1, 23, 30), faq_id="F0001")  # JST late evening
    ticket(records, "web:b", "handoff", utc(2026, 11, 1, 10, 1))
    ticket(records, "web:e", "error", utc(2026, 11, 1, 14))  # a conversation without a question
    # 11/02 (00:10 JST is still 11/01 in UTC)
    ask(records, "web:g", "今日の天気は", "out_of_scope", utc(2026, 11, 2, 0, 10))
    ask(records, "demo", "印鑑登録", "answer", utc(2026, 11, 2, 9), faq_id="F0035")
    ask(records, "line:h", "マンホールカード", "none", utc(2026, 11, 2, 19))
    ask(records, "web:a", "住民票の取り方", "answer", utc(2026, 11, 2, 10), faq_id="F0001")
    ticket(records, "line:h", "after_hours", utc(2026, 11, 2, 20), message="折り返しお願いします")
    ticket(records, "tel:CA1", "voicemail", utc(2026, 11, 2, 21), callback="09012345678")
    # outside the period
    ask(records, "web:z", "前日", "answer", utc(2026, 10, 31, 23, 59), faq_id="F0001")
    ask(records, "web:y", "翌日", "none", utc(2026, 11, 4, 0, 0))
    ticket(records, "web:z", "handoff", utc(2026, 10, 31, 23, 0))


def check(result: metrics.Metrics) -> None:
    d1, d2, d3 = result.days
    assert [d.day for d in result.days] == PERIOD.days()
    assert d1.channels == {"web": 4, "line": 2, "phone": 1, "rest": 0}
    assert (d1.inquiries, d1.self_resolved) == (7, 4)
    assert d1.self_resolution_rate == pytest.approx(4 / 7)
    assert (d1.conversations, d1.handoff_conversations) == (6, 1)
    assert d1.handoff_rate == pytest.approx(1 / 6)
    assert d2.channels == {"web": 2, "line": 1, "phone": 0, "rest": 1}
    assert (d2.inquiries, d2.self_resolved, d2.conversations, d2.handoff_conversations) == (4, 2, 5, 2)
    assert d2.handoff_rate == pytest.approx(0.4)
    assert (d3.inquiries, d3.conversations) == (0, 0)
    assert d3.self_resolution_rate is None and d3.handoff_rate is None
    total = result.total
    assert total.channels == {"web": 6, "line": 3, "phone": 1, "rest": 1}
    assert (total.inquiries, total.self_resolved) == (11, 6)
    # web:a spans both days: counted once over the period
    assert (total.conversations, total.handoff_conversations) == (10, 3)
    assert total.self_resolution_rate == pytest.approx(6 / 11)
    assert total.handoff_rate == pytest.approx(0.3)
    top = [(q.faq_id, q.count, q.unresolved) for q in result.top_questions]
    assert top == [("F0001", 4, 0), ("F0035", 2, 1)]  # the follow-up is not counted


def test_metrics_on_sqlite(console_db):
    store = FaqStore(console_db)
    records = Records(store.engine)
    fill(records)
    result = metrics.compute(store.engine, PERIOD, store=store)
    check(result)
    assert result.top_questions[0].question == store.get("F0001").question
    store.close()


@pytest.mark.postgres
def test_metrics_on_postgresql(pg_url):
    store = FaqStore(pg_url)  # migrates the fresh database to head
    records = Records(store.engine)
    fill(records)
    check(metrics.compute(store.engine, PERIOD, store=store))
    assert metrics.compute(store.engine, PERIOD).top_questions[0].question == ""
    store.close()


def test_csv_export_opens_in_excel(console_db):
    store = FaqStore(console_db)
    fill(Records(store.engine))
    data = metrics.to_csv(metrics.compute(store.engine, PERIOD, store=store))
    store.close()
    assert data.startswith(b"\xef\xbb\xbf")  # BOM: Excel reads UTF-8
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0] == list(metrics.CSV_HEADER)
    assert rows[1] == ["2026-11-01", "4", "2", "1", "0", "7", "4", "57.1", "6", "1", "16.7"]
    assert rows[2] == ["2026-11-02", "2", "1", "0", "1", "4", "2", "50.0", "5", "2", "40.0"]
    assert rows[3] == ["2026-11-03", "0", "0", "0", "0", "0", "0", "", "0", "0", ""]
    assert rows[4] == ["合計", "6", "3", "1", "1", "11", "6", "54.5", "10", "3", "30.0"]
    assert len(rows) == 5


def test_period_parsing():
    now = datetime(2026, 11, 30, 16, 0, tzinfo=timezone.utc)  # 12/01 01:00 in Japan
    default = Period.parse(None, None, now=now)
    assert (default.start, default.end) == (date(2026, 11, 2), date(2026, 12, 1))
    assert default.length == 30
    assert Period.parse("2026/11/01", "2026-11-03").days() == PERIOD.days()
    lo, hi = PERIOD.utc_bounds()
    assert (lo, hi) == (datetime(2026, 10, 31, 15), datetime(2026, 11, 3, 15))
    with pytest.raises(ValueError, match="開始日が終了日より後"):
        Period.parse("2026-11-05", "2026-11-01")
    with pytest.raises(ValueError, match="日付として読めません"):
        Period.parse("きのう", "")
    with pytest.raises(ValueError, match="以内"):
        Period.parse("2020-01-01", "2026-01-01")
