"""CSV import/export that staff round-trip through Excel."""
from __future__ import annotations

import csv
import io

import pytest

from faq.csvio import CP932_COLUMNS, EXPORT_COLUMNS, CsvImportError, export_csv, import_csv
from faq.store import FaqError, FaqStore

HEADER = "id,question,alternatives,answer,short_answer,category,department,phone,url,keywords,publish_start,publish_end,status"
ROWS = [
    'F0001,住民票の写しはどこで取れますか？,住民票がほしい|住民票の取り方,"市民課の窓口で取れます。\n土曜日は休みです。",市民課で取れます。,住民記録,市民課,099-000-1000,https://www.city.example/juminhyo,住民票|写し,2025-04-01,,published',
    "F0002,粗大ごみの出し方,大きなごみ,予約制です。〜詳しくは環境課へ,予約制です。,ごみ,環境課,099-000-1201,,粗大ごみ,,2099-03-31,公開",
    "F0003,避難所はどこですか,,小学校の体育館です。,,防災,危機管理課,,,,,,下書き",
]


def _csv_text(rows=ROWS, header=HEADER):
    return header + "\r\n" + "\r\n".join(rows) + "\r\n"


@pytest.mark.parametrize(
    "encoding",
    ["utf-8", "utf-8-sig", "cp932"],
)
def test_import_each_encoding(store, encoding):
    data = _csv_text().replace("〜", "～").encode(encoding)
    report = import_csv(store, data)
    assert sorted(report.created) == ["F0001", "F0002", "F0003"]
    e1 = store.get("F0001")
    assert e1.answer == "市民課の窓口で取れます。\n土曜日は休みです。"
    assert e1.alternatives == ("住民票がほしい", "住民票の取り方")
    assert store.get("F0002").status == "published" and store.get("F0003").status == "draft"
    assert {"UTF-8", "UTF-8（BOM付き）", "Shift_JIS（CP932）"} >= {report.encoding}


def test_minimal_columns_default_to_published(store):
    report = import_csv(store, "id,question,answer\nX1,ごみの日は,月曜です\n".encode())
    assert report.created == ["X1"]
    assert store.get("X1").status == "published"
    assert store.list(searchable=True)[0].id == "X1"


def test_bad_file_reports_every_bad_row_and_imports_nothing(store):
    def row(faq_id, question, answer, url="", start="", end="", status="published"):
        # id,question,alternatives,answer,short_answer,category,department,phone,url,keywords,start,end,status
        return ",".join([faq_id, question, "", answer, "", "", "", "", url, "", start, end, status])

    rows = [
        ROWS[0],  # line 2, multi-line answer: ends on line 3
        row("", "id のない行", "回答"),  # line 4
        row("F0010", "", "回答がある"),  # line 5: no question
        row("F0011", "質問", ""),  # line 6: no answer
        row("F0001", "重複", "回答"),  # line 7: duplicate id
        row("F0012", "質問", "回答", start="2025-13-45"),  # line 8: bad date
        row("F0013", "質問", "回答", url="ftp://bad"),  # line 9: bad url
        row("F0014", "質問", "回答", status="たぶん公開"),  # line 10: bad status
        row("F0015", "質問", "回答", start="2026-05-01", end="2026-04-01"),  # line 11: end < start
        row("F0016", "質問", "回答") + ",余分な列",  # line 12: too many columns
        row("F0017", "正しい行", "回答"),  # line 13: fine
    ]
    with pytest.raises(CsvImportError) as err:
        import_csv(store, _csv_text(rows).encode("utf-8"))
    lines = [e.line for e in err.value.errors]
    assert lines == [4, 5, 6, 7, 8, 9, 10, 11, 12]
    message = str(err.value)
    assert "7 行目（F0001）" in message and "2 行目にもあります" in message
    assert "何も取り込んでいません" in message
    assert store.count() == 0


def test_missing_required_column_and_undecodable_bytes(store):
    with pytest.raises(CsvImportError) as err:
        import_csv(store, "id,question\nA,b\n".encode())
    assert err.value.errors[0].line == 1 and "answer" in str(err.value)
    with pytest.raises(CsvImportError) as err:
        import_csv(store, b"id,question,answer\n" + b"A,\xff\xfe\xfa\x80\x81,c\n")
    assert "文字コード" in str(err.value)
    assert store.count() == 0


def test_import_updates_existing_and_checks_version(store):
    import_csv(store, _csv_text().encode())
    report = import_csv(store, _csv_text().encode())
    assert report.unchanged == ["F0001", "F0002", "F0003"] and not report.updated
    assert store.get("F0001").version == 1
    # a stale export (version column) is refused whole
    store.update("F0002", {"answer": "窓口で変えた回答"}, expected_version=1, by="staff")
    stale = _csv_text(
        [r + ",1" for r in [ROWS[0].replace("市民課の窓口", "市民課か支所の窓口"), ROWS[1]]],
        HEADER + ",version",
    )
    with pytest.raises(CsvImportError) as err:
        import_csv(store, stale.encode())
    assert [e.faq_id for e in err.value.errors] == ["F0002"]
    assert "版 2" in str(err.value)
    assert store.get("F0001").answer.startswith("市民課の窓口")


def test_round_trip_utf8_bom_and_cp932(tmp_path, store, db_url):
    import_csv(store, _csv_text().replace("〜", "～").encode())
    store.update("F0002", {"publish_start": "2025/4/1 9:30"}, expected_version=1)
    before = {e.id: e for e in store.list()}
    for encoding, bom in (("utf-8-sig", True), ("cp932", False)):
        path = tmp_path / f"export-{encoding}.csv"
        n = export_csv(store, path, encoding=encoding)
        assert n == 3
        data = path.read_bytes()
        assert data.startswith(b"\xef\xbb\xbf") == bom
        text = data.decode(encoding)
        rows = list(csv.DictReader(io.StringIO(text)))
        assert tuple(rows[0].keys()) == (EXPORT_COLUMNS if bom else CP932_COLUMNS)
        assert rows[1]["publish_end"] == "2099-03-31"
        # re-import of the untouched file changes nothing
        report = import_csv(store, path)
        assert sorted(report.unchanged) == ["F0001", "F0002", "F0003"], report.summary()
    # into an empty database: the same content
    other = FaqStore(db_url.replace("faq.db", "other.db")) if db_url.startswith("sqlite") else None
    if other is not None:
        import_csv(other, tmp_path / "export-utf-8-sig.csv")
        for e in other.list():
            b = before[e.id]
            for field in ("question", "alternatives", "answer", "short_answer", "category", "department",
                          "phone", "url", "keywords", "publish_start", "publish_end", "status"):
                assert getattr(e, field) == getattr(b, field), field
        other.close()


def test_cp932_export_names_entries_it_cannot_hold(tmp_path, store):
    import_csv(store, "id,question,answer\nE1,絵文字,はい😊\nE2,普通,はい\n".encode())
    with pytest.raises(FaqError) as err:
        export_csv(store, tmp_path / "x.csv", encoding="cp932")
    assert "E1" in str(err.value) and "E2" not in str(err.value)
    assert export_csv(store, tmp_path / "x.csv") == 2


def test_japanese_headers_and_excel_dates(store):
    text = "番号,質問,回答,掲載開始,掲載終了,状態\nJ1,質問です,回答です,2025/4/1,2030/3/31 17:00,公開\n"
    import_csv(store, text.encode("cp932"))
    e = store.get("J1")
    assert e.status == "published"
    assert e.publish_start.isoformat() == "2025-03-31T15:00:00+00:00"
    assert e.publish_end.isoformat() == "2030-03-31T08:00:00+00:00"
