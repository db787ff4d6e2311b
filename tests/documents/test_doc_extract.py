"""Extraction of every format, and the bad files each reported with a clear reason."""
from __future__ import annotations

from datetime import datetime

import pytest
from doc_files import html_page, write_docx, write_pdf, write_xlsx

from documents.extract import ExtractError, extract
from documents.passages import make_passages, split_section

BODY = """<p>市では、野菜づくりを楽しみたい方に市民農園を貸し出しています。年間使用料は5,000円です。</p>
<h2>申込み方法</h2><p>毎年2月1日から2月20日まで、農政課の窓口で受け付けます。</p>
<h2>農園の場所</h2><table><tr><th>農園名</th><th>所在地</th></tr><tr><td>東ひだまり農園</td><td>東町3丁目</td></tr></table>
<h3>駐車場</h3><p>各農園に駐車場はありません。</p>"""


def test_html_main_text_without_menus_with_headings_tables_and_metadata(tmp_path):
    head = ('<link rel="canonical" href="https://www.city.hidamari.example/nogyo/noen.html">'
            '<meta name="last-modified" content="2026-04-01">')
    path = tmp_path / "noen.html"
    path.write_bytes(html_page("市民農園の貸し出し", BODY, head))
    doc = extract(path)
    assert doc.kind == "html"
    assert doc.title == "市民農園の貸し出し"  # not 「…｜ひだまり市」
    assert doc.url == "https://www.city.hidamari.example/nogyo/noen.html"
    assert doc.modified == datetime(2026, 4, 1)
    text = "\n".join(s.text for s in doc.sections)
    for chrome in ("くらし・手続き", "トップページ", "Copyright", "関連リンク", "代表電話"):
        assert chrome not in text
    by_heading = {s.headings: s.text for s in doc.sections}
    assert "年間使用料は5,000円" in by_heading[()]
    assert by_heading[("農園の場所",)] == "農園名：東ひだまり農園、所在地：東町3丁目"
    assert by_heading[("農園の場所", "駐車場")] == "各農園に駐車場はありません。"
    passages = make_passages(doc.title, doc.sections)
    assert [p.heading for p in passages] == [
        "市民農園の貸し出し", "市民農園の貸し出し > 申込み方法", "市民農園の貸し出し > 農園の場所",
        "市民農園の貸し出し > 農園の場所 > 駐車場",
    ]


def test_html_in_shift_jis(tmp_path):
    path = tmp_path / "sjis.html"
    path.write_bytes(html_page("献血のお知らせ", "<p>献血バスは毎月第1水曜日に市役所へ来ます。①受付～問診。</p>",
                               charset="Shift_JIS"))
    doc = extract(path)
    assert doc.title == "献血のお知らせ"
    assert "献血バスは毎月第1水曜日" in doc.sections[0].text
    assert "①受付～問診" in doc.sections[0].text  # CP932's characters under the name Shift_JIS


def test_minimal_pages_of_one_answer_each(tmp_path):
    """Pages such as a city's FAQ answers exported one per file: text right in <body>."""
    bare = tmp_path / "bare.html"
    bare.write_text("<html><body>住民票は市民課で取れます。手数料は300円です。</body></html>", encoding="utf-8")
    doc = extract(bare)
    assert doc.title == "bare" and doc.sections[0].text == "住民票は市民課で取れます。手数料は300円です。"
    titled = tmp_path / "titled.html"
    titled.write_text("<html><head><title>ごみの出し方</title></head><body><p>燃えるごみは月曜と木曜です。</p>"
                      "</body></html>", encoding="utf-8")
    doc = extract(titled)
    assert doc.title == "ごみの出し方" and doc.sections[0].text == "燃えるごみは月曜と木曜です。"


def test_empty_html_is_refused(tmp_path):
    path = tmp_path / "empty.html"
    path.write_text("<html><head><title>準備中</title></head><body><nav><a href='/'>トップ</a></nav></body></html>",
                    encoding="utf-8")
    with pytest.raises(ExtractError, match="本文が見つかりません"):
        extract(path)
    blank = tmp_path / "blank.html"
    blank.write_bytes(b"   \n")
    with pytest.raises(ExtractError, match="空"):
        extract(blank)


def test_pdf_pages_keep_their_numbers_and_lines_are_joined(tmp_path):
    path = write_pdf(tmp_path / "tebiki.pdf", [
        ["電気柵の補助の手引き", "補助の額は購入費の2分の1で、上限は", "5万円です。"],
        ["申請は購入の前に農政課へ提出してください。"],
    ], title="電気柵設置補助金 申請の手引き")
    doc = extract(path)
    assert doc.kind == "pdf" and doc.title == "電気柵設置補助金 申請の手引き"
    assert [s.page for s in doc.sections] == [1, 2]
    assert "上限は5万円です。" in doc.sections[0].text  # the line broken inside a sentence is joined
    passages = make_passages(doc.title, doc.sections)
    assert passages[1].heading == "電気柵設置補助金 申請の手引き > 2ページ" and passages[1].page == 2


def test_encrypted_and_broken_pdfs_are_refused(tmp_path):
    locked = write_pdf(tmp_path / "locked.pdf", [["秘密の文書です。"]], password="secret")
    with pytest.raises(ExtractError, match="パスワード"):
        extract(locked)
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 9 0 R >>\ngarbage" * 3)
    with pytest.raises(ExtractError, match="PDF"):
        extract(broken)


def test_docx_headings_and_table(tmp_path):
    doc = extract(write_docx(tmp_path / "setsumeikai.docx"))
    assert doc.kind == "docx" and doc.title == "里親制度説明会のご案内"
    by_heading = {s.headings: s.text for s in doc.sections}
    assert "301会議室" in by_heading[("日程",)]
    assert "回：第2回、日時：8月23日 10時" in by_heading[("日程",)]
    assert by_heading[("申込み",)].startswith("開催日の1週間前まで")


def test_xlsx_rows_read_with_their_column_names(tmp_path):
    doc = extract(write_xlsx(tmp_path / "aed.xlsx"))
    assert doc.kind == "xlsx" and doc.title == "AED設置場所一覧"
    assert doc.sections[0].text.splitlines() == [
        "施設名：市役所本庁舎、設置場所：1階 総合案内横、利用できる時間：平日 8時30分〜17時15分",
        "施設名：道の駅ひだまり、設置場所：トイレ棟入口、利用できる時間：24時間",
    ]


def test_broken_office_files_are_refused(tmp_path):
    for name in ("broken.docx", "broken.xlsx"):
        path = tmp_path / name
        path.write_bytes(b"PK\x03\x04 not really a zip file")
        with pytest.raises(ExtractError, match="壊れている"):
            extract(path)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp932"])
def test_text_in_utf8_and_shift_jis(tmp_path, encoding):
    path = tmp_path / "oshirase.txt"
    path.write_bytes("エレベーター改修工事のお知らせ\n\n東側のエレベーターは12月25日まで使えません。".encode(encoding))
    doc = extract(path)
    assert doc.title == "エレベーター改修工事のお知らせ"
    assert doc.sections[0].text == "東側のエレベーターは12月25日まで使えません。"


def test_binary_named_txt_is_refused(tmp_path):
    path = tmp_path / "photo.txt"
    path.write_bytes(bytes(range(256)) * 40)
    with pytest.raises(ExtractError, match="バイナリ"):
        extract(path)


def test_long_sections_split_at_paragraphs_then_sentences():
    sentence = "市民農園の利用者は、区画を清潔に保ち、農薬の使用は最小限にしてください。"  # 37 chars
    text = "\n".join([sentence * 3] * 4 + [sentence * 15])
    chunks = split_section(text)
    assert all(len(c) <= 400 for c in chunks)
    assert "".join(chunks).replace("\n", "") == text.replace("\n", "")  # nothing lost
    assert all(c.endswith("。") for c in chunks)
    assert len(chunks) >= 3
