"""Small real files of every format, written by the same libraries a city's office software
stands in for (reportlab, python-docx, openpyxl, pypdf)."""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

from core.settings import REPO_ROOT

SAMPLE_SITE = REPO_ROOT / "documents" / "data" / "site"
DEV_QUERIES = REPO_ROOT / "documents" / "data" / "dev_queries.jsonl"

PAGE = """<!DOCTYPE html><html lang="ja"><head><meta charset="{charset}"><title>{title}｜ひだまり市</title>
{head}</head><body>
<header><a href="/">ひだまり市</a><nav><ul><li><a href="/kurashi/">くらし・手続き</a></li>
<li><a href="/kosodate/">子育て・教育</a></li><li><a href="/kenko/">健康・福祉</a></li></ul></nav></header>
<div class="breadcrumb"><a href="/">トップページ</a> &gt; くらし</div>
<main><h1>{title}</h1>{body}</main>
<aside><h2>関連リンク</h2><ul><li><a href="#">農業委員会のページ</a></li></ul></aside>
<footer><p>ひだまり市役所 〒000-0000 ひだまり市中央1-1 代表電話 099-000-1111</p><p>Copyright Hidamari City</p></footer>
</body></html>"""


def html_page(title: str, body: str, head: str = "", charset: str = "utf-8") -> bytes:
    return PAGE.format(title=title, body=body, head=head, charset=charset).encode(
        "cp932" if charset.lower() in ("shift_jis", "cp932") else "utf-8")


def write_pdf(path: Path, pages: Sequence[Sequence[str]], title: str = "", password: str = "") -> Path:
    import io

    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("HeiseiKakuGo-W5"))
    buffer = io.BytesIO()
    c = canvas.Canvas(buffer)
    if title:
        c.setTitle(title)
    for lines in pages:
        c.setFont("HeiseiKakuGo-W5", 11)
        y = 780
        for line in lines:
            c.drawString(50, y, line)
            y -= 20
        c.showPage()
    c.save()
    data = buffer.getvalue()
    if password:
        from pypdf import PdfReader, PdfWriter

        writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
        writer.encrypt(user_password=password, owner_password=password)
        out = io.BytesIO()
        writer.write(out)
        data = out.getvalue()
    path.write_bytes(data)
    return path


def write_docx(path: Path) -> Path:
    import docx

    document = docx.Document()
    document.add_heading("里親制度説明会のご案内", level=1)
    document.add_heading("日程", level=2)
    document.add_paragraph("第1回 5月17日（土）10時から11時30分まで、市役所3階の301会議室で開きます。")
    table = document.add_table(rows=3, cols=2)
    for row, values in zip(table.rows, [("回", "日時"), ("第2回", "8月23日 10時"), ("第3回", "11月15日 14時")]):
        for cell, value in zip(row.cells, values):
            cell.text = value
    document.add_heading("申込み", level=2)
    document.add_paragraph("開催日の1週間前までに、こども家庭課へお申し込みください。")
    document.save(path)
    return path


def write_xlsx(path: Path) -> Path:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "AED"
    for row in [["施設名", "設置場所", "利用できる時間"],
                ["市役所本庁舎", "1階 総合案内横", "平日 8時30分〜17時15分"],
                ["道の駅ひだまり", "トイレ棟入口", "24時間"]]:
        sheet.append(row)
    book.properties.title = "AED設置場所一覧"
    book.save(path)
    return path
