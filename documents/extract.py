"""Text of one file, as sections under headings, with its title, URL and last-modified date.

HTML: trafilatura finds the main text (menus, headers and footers dropped) and gives it as XML
(headings, paragraphs, lists, tables), lxml reads the title, `<link rel="canonical">` and date
metas. PDF: pypdf, one section per page (the page number is kept). DOCX: python-docx (heading
styles, tables row by row). XLSX: openpyxl, one section per sheet, each row as 「見出し：値」.
TXT: UTF-8 or Shift_JIS (charset-normalizer decides when it is neither).

Every failure is an ExtractError with a message for staff, in Japanese.
"""
from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import List, Optional, Sequence, Tuple

# Bump when extraction or splitting changes: every file is read again on the next import.
EXTRACTOR_VERSION = "1"
SUFFIXES = {".html": "html", ".htm": "html", ".pdf": "pdf", ".docx": "docx", ".xlsx": "xlsx",
            ".txt": "txt"}
# Office formats residents' cities still have, which we do not read: reported, not ignored.
UNSUPPORTED = {".doc", ".xls", ".ppt", ".pptx", ".rtf", ".jtd"}


class ExtractError(Exception):
    """A file that cannot be read; the message is shown to staff."""


@dataclass
class Section:
    headings: Tuple[str, ...]  # under the title: 見出し, 小見出し
    text: str
    page: Optional[int] = None  # PDF page (1-based)


@dataclass
class Extracted:
    kind: str
    title: str
    sections: List[Section] = field(default_factory=list)
    url: str = ""  # canonical link, when the file names one
    modified: Optional[datetime] = None  # from the file's own metadata
    expires: Optional[datetime] = None  # <meta name="expires">: not answered after this


def kind_of(path: Path) -> Optional[str]:
    return SUFFIXES.get(path.suffix.lower())


def extract(path: Path, data: Optional[bytes] = None) -> Extracted:
    path = Path(path)
    kind = kind_of(path)
    if kind is None:
        raise ExtractError(f"この形式（{path.suffix or '拡張子なし'}）は読み込めません")
    if data is None:
        data = path.read_bytes()
    if not data.strip():
        raise ExtractError("ファイルが空です")
    reader = {"html": extract_html, "pdf": extract_pdf, "docx": extract_docx,
              "xlsx": extract_xlsx, "txt": extract_txt}[kind]
    result = reader(data, fallback_title=path.stem)
    if not any(s.text.strip() for s in result.sections):
        raise ExtractError("本文が見つかりません")
    return result


# ---- text helpers ------------------------------------------------------------------------

_SPACES = re.compile(r"[ \t\u3000\xa0]+")


def clean(text: str) -> str:
    lines = [_SPACES.sub(" ", line).strip() for line in str(text).splitlines()]
    return "\n".join(line for line in lines if line)


def decode_text(data: bytes) -> str:
    """UTF-8 (with or without BOM), Shift_JIS/CP932, else what charset-normalizer finds.
    Binary data (NUL bytes, or no encoding fits) is refused."""
    head = data[:65536]
    if b"\x00" in head and not (head.startswith(b"\xff\xfe") or head.startswith(b"\xfe\xff")):
        raise ExtractError("文字のファイルではありません（バイナリデータです）")
    for encoding in ("utf-8-sig", "cp932"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None:
        raise ExtractError("文字コードが判別できません（バイナリデータの可能性があります）")
    text = str(best)
    if _control_share(text) > 0.05:
        raise ExtractError("文字のファイルではありません（バイナリデータです）")
    return text


def _control_share(text: str) -> float:
    if not text:
        return 0.0
    bad = sum(1 for ch in text if ord(ch) < 32 and ch not in "\n\r\t\f")
    return bad / len(text)


def parse_date(value: Optional[str]) -> Optional[datetime]:
    """ISO dates and times, 2026/04/01, 2026年4月1日, HTTP dates -> naive UTC."""
    if not value:
        return None
    value = value.strip()
    m = re.search(r"(\d{4})[-/年.](\d{1,2})[-/月.](\d{1,2})", value)
    if m and not re.match(r"^\d{4}-\d{2}-\d{2}T", value):
        try:
            return datetime(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        except ValueError:
            return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        from email.utils import parsedate_to_datetime

        try:
            parsed = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(timezone.utc).replace(tzinfo=None)
    return parsed


# ---- HTML --------------------------------------------------------------------------------

_DATE_METAS = ("last-modified", "dcterms.modified", "dc.date.modified", "date",
               "article:modified_time", "og:updated_time")


def _html_text(data: bytes) -> str:
    m = re.search(rb"<meta[^>]+charset=[\"']?([A-Za-z0-9_\-]+)", data[:4096], re.I)
    if m:
        name = m.group(1).decode("ascii").lower()
        if name in ("shift_jis", "shift-jis", "sjis", "x-sjis", "windows-31j", "ms932"):
            name = "cp932"  # what Japanese Windows writes under these names (①, ～, 髙)
        try:
            return data.decode(name)
        except (LookupError, UnicodeDecodeError):
            pass
    return decode_text(data)


def extract_html(data: bytes, fallback_title: str = "") -> Extracted:
    import lxml.html
    import trafilatura

    html = _html_text(data)
    try:
        tree = lxml.html.fromstring(html)
    except Exception as exc:  # lxml raises several types on garbage
        raise ExtractError(f"HTML を読めません（{type(exc).__name__}）") from exc
    title = _html_title(tree) or fallback_title
    canonical = ""
    for link in tree.xpath("//link[@rel][@href]"):
        if "canonical" in link.get("rel", "").lower().split():
            canonical = link.get("href", "").strip()
            break
    metas = {}
    for meta in tree.xpath("//meta[@content]"):
        name = (meta.get("name") or meta.get("property") or meta.get("http-equiv") or "").lower()
        if name:
            metas.setdefault(name, meta.get("content", ""))
    modified = next((parse_date(metas[n]) for n in _DATE_METAS if metas.get(n)), None)
    if modified is None:
        times = tree.xpath("//time/@datetime")
        modified = parse_date(times[0]) if times else None
    expires = parse_date(metas.get("expires"))

    main_html = _without_chrome(tree)
    xml = None
    for precision in (True, False):  # precision first: a short page is otherwise taken whole
        xml = trafilatura.extract(
            main_html, output_format="xml", include_tables=True, include_comments=False,
            include_links=False, include_images=False, favor_precision=precision,
            deduplicate=False, with_metadata=False,
        )
        if xml:
            break
    sections = _sections_from_trafilatura(xml, title) if xml else []
    if not sections:  # text straight in <body> or a table cell, which trafilatura does not take
        text = clean("\n".join(lxml.html.fromstring(main_html).itertext()))
        lines = [line for line in text.split("\n") if line != title]
        if lines:
            sections = [Section((), "\n".join(lines))]
    return Extracted("html", title, sections, canonical, modified, expires)


# class or id names city CMSs give their menus, breadcrumbs, side bars and page-end surveys
_CHROME_NAMES = frozenset("""
header site-header global-header footer site-footer global-footer breadcrumb breadcrumbs pankuzu
topicpath topic-path gnav global-nav globalnav lnav local-nav sidebar side-menu sidemenu side
menu survey questionnaire enquete pagetop page-top sns share skip
""".split())
_MAIN_XPATH = ("//main", "//*[@role='main']", "//article", "//*[@id='main']",
               "//*[@id='contents']", "//*[@id='content']")


def _without_chrome(tree) -> str:
    """The page's main region with menus, breadcrumbs and side bars removed (rules on the
    elements and the class names city sites use), for trafilatura to read."""
    import copy

    import lxml.html

    tree = copy.deepcopy(tree)
    for el in tree.xpath("//script | //style | //noscript | //form | //nav | //aside"):
        el.drop_tree()
    for el in tree.xpath("//header | //footer"):
        if not el.xpath("ancestor::main | ancestor::article"):
            el.drop_tree()
    for el in tree.xpath("//*[@class or @id]"):
        names = set((el.get("class") or "").lower().split()) | {(el.get("id") or "").lower()}
        if names & _CHROME_NAMES and el.getparent() is not None:
            el.drop_tree()
    region = None
    for xpath in _MAIN_XPATH:
        found = tree.xpath(xpath)
        if found:
            region = found[0]
            break
    body = lxml.html.tostring(region if region is not None else tree, encoding="unicode")
    return f"<html><body>{body}</body></html>" if region is not None else body


def _html_title(tree) -> str:
    h1 = [clean(el.text_content()) for el in tree.xpath("//main//h1 | //article//h1")]
    if not h1:
        h1 = [clean(el.text_content()) for el in tree.xpath("//h1")]
    if h1 and h1[0]:
        return h1[0]
    titles = tree.xpath("//title/text()")
    if titles:
        # 「ページ名｜ひだまり市」: the site's name after a separator is not the page's.
        return re.split(r"\s*[|｜]\s*|\s+[-–—]\s+", clean(titles[0]))[0]
    return ""


def _sections_from_trafilatura(xml: str, title: str) -> List[Section]:
    from lxml import etree

    try:
        root = etree.fromstring(xml.encode("utf-8"))
    except etree.XMLSyntaxError:
        return []
    main = root.find("main")
    if main is None:
        main = root
    builder = _SectionBuilder()
    for el in main:
        tag = el.tag
        text = clean("".join(el.itertext()))
        if tag == "head":
            rend = (el.get("rend") or "h2")[1:]
            level = int(rend) if rend.isdigit() else 2
            if level == 1 and text == title:
                continue
            builder.heading(text, max(level - 1, 1))
        elif tag == "list":
            items = [clean("".join(item.itertext())) for item in el.iter("item")]
            builder.paragraph("\n".join(f"・{i}" for i in items if i))
        elif tag == "table":
            builder.paragraph(_table_text(
                [[clean("".join(c.itertext())) for c in row.iter("cell")] for row in el.iter("row")]
            ))
        elif text:
            builder.paragraph(text)
    builder.flush()
    return builder.sections


class _SectionBuilder:
    """Paragraphs collected under the current heading path."""

    def __init__(self) -> None:
        self.path: List[str] = []
        self.levels: List[int] = []
        self.paragraphs: List[str] = []
        self.sections: List[Section] = []
        self.page: Optional[int] = None

    def heading(self, text: str, level: int) -> None:
        self.flush()
        if not text:
            return
        while self.levels and self.levels[-1] >= level:
            self.levels.pop()
            self.path.pop()
        self.levels.append(level)
        self.path.append(text[:80])

    def paragraph(self, text: str) -> None:
        if text.strip():
            self.paragraphs.append(text.strip())

    def flush(self) -> None:
        if self.paragraphs:
            self.sections.append(Section(tuple(self.path), "\n".join(self.paragraphs), self.page))
        self.paragraphs = []


def _table_text(rows: Sequence[Sequence[str]]) -> str:
    """A table as lines 「見出し：値、見出し：値」 under its header row, readable aloud and in chat."""
    rows = [[c for c in row] for row in rows if any(c.strip() for c in row)]
    if not rows:
        return ""
    header = rows[0]
    if len(rows) == 1 or len(header) < 2 or not all(header):
        return "\n".join("　".join(c for c in row if c) for row in rows)
    lines = []
    for row in rows[1:]:
        parts = [f"{h}：{v}" if h else v for h, v in zip(header, row) if v]
        if parts:
            lines.append("、".join(parts))
    return "\n".join(lines)


# ---- PDF ---------------------------------------------------------------------------------


def extract_pdf(data: bytes, fallback_title: str = "") -> Extracted:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            try:
                opened = reader.decrypt("")
            except Exception:
                opened = 0
            if not opened:
                raise ExtractError("パスワードで保護された PDF のため読めません")
        pages = [page.extract_text() or "" for page in reader.pages]
        info = reader.metadata
    except ExtractError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, IndexError,
            OSError, RecursionError) as exc:
        raise ExtractError(f"PDF が壊れているため読めません（{type(exc).__name__}）") from exc
    except Exception as exc:  # pypdf raises many kinds on a damaged file
        raise ExtractError(f"PDF を読めません（{type(exc).__name__}）") from exc
    title = ""
    modified = None
    if info is not None:
        title = clean(str(info.get("/Title") or ""))
        if title.lower() in ("untitled", "無題", "none"):
            title = ""
        raw_date = str(info.get("/ModDate") or info.get("/CreationDate") or "")
        m = re.match(r"D:(\d{4})(\d{2})(\d{2})", raw_date)
        if m:
            modified = datetime(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    texts = [clean(_join_pdf_lines(_without_title(p, title))) for p in pages]
    if not title:
        first = next((t for t in texts if t), "")
        title = first.split("\n", 1)[0][:60] if first else fallback_title
    sections = [Section((), t, n) for n, t in enumerate(texts, 1) if t]
    return Extracted("pdf", title or fallback_title, sections, "", modified)


_LIST_ITEM = re.compile(r"^(?:[・●○■□◆※\-－①-⑳]|\d+[.．、)）]|[（(]\d+[)）]|第\d+[条章回])")


def _without_title(text: str, title: str) -> str:
    """The title repeated at the top of each page is not part of the page's text."""
    lines = text.strip().split("\n", 1)
    if title and lines and clean(lines[0]) == title:
        return lines[1] if len(lines) > 1 else ""
    return text


def _join_pdf_lines(text: str) -> str:
    """PDF lines break inside Japanese sentences: join a line to the next unless it ends one."""
    out: List[str] = []
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        if out and not re.search(r"[。．！？!?：:）)」]$", out[-1]) and not _LIST_ITEM.match(line):
            out[-1] += line
        else:
            out.append(line)
    return "\n".join(out)


# ---- DOCX --------------------------------------------------------------------------------


def extract_docx(data: bytes, fallback_title: str = "") -> Extracted:
    try:
        import docx
        from docx.table import Table
        from docx.text.paragraph import Paragraph

        document = docx.Document(io.BytesIO(data))
    except Exception as exc:
        raise ExtractError(f"Word ファイルが壊れているため読めません（{type(exc).__name__}）") from exc
    props = document.core_properties
    title = clean(props.title or "")
    builder = _SectionBuilder()
    body = document.element.body
    for child in body.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "p":
            para = Paragraph(child, document)
            text = clean(para.text)
            style = (para.style.name if para.style is not None else "") or ""
            if style == "Title" and text:
                title = title or text
            elif style.startswith("Heading") and text:
                digits = style.replace("Heading", "").strip()
                level = int(digits) if digits.isdigit() else 1
                if not title and level == 1:
                    title = text
                    continue
                builder.heading(text, level)
            elif text:
                builder.paragraph(text)
        elif tag == "tbl":
            table = Table(child, document)
            builder.paragraph(_table_text([[clean(c.text) for c in row.cells] for row in table.rows]))
    builder.flush()
    modified = props.modified.replace(tzinfo=None) if props.modified else None
    return Extracted("docx", title or fallback_title, builder.sections, "", modified)


# ---- XLSX --------------------------------------------------------------------------------

MAX_XLSX_ROWS = 5000


def extract_xlsx(data: bytes, fallback_title: str = "") -> Extracted:
    try:
        from openpyxl import load_workbook

        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:
        raise ExtractError(f"Excel ファイルが壊れているため読めません（{type(exc).__name__}）") from exc
    sections = []
    try:
        title = clean(book.properties.title or "") if book.properties else ""
        modified = book.properties.modified if book.properties else None
        for sheet in book.worksheets:
            rows: List[List[str]] = []
            for n, row in enumerate(sheet.iter_rows(values_only=True)):
                if n >= MAX_XLSX_ROWS:
                    break
                rows.append([_cell(v) for v in row])
            rows = _drop_empty_columns(rows)
            text = _table_text(rows)
            if text:
                sections.append(Section((sheet.title,) if len(book.worksheets) > 1 else (), text))
    finally:
        book.close()
    return Extracted("xlsx", title or fallback_title, sections, "", modified)


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return f"{value.year}年{value.month}月{value.day}日"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return clean(str(value)).replace("\n", " ")


def _drop_empty_columns(rows: List[List[str]]) -> List[List[str]]:
    width = max((len(r) for r in rows), default=0)
    keep = [i for i in range(width) if any(i < len(r) and r[i] for r in rows)]
    return [[r[i] if i < len(r) else "" for i in keep] for r in rows]


# ---- TXT ---------------------------------------------------------------------------------


def extract_txt(data: bytes, fallback_title: str = "") -> Extracted:
    text = decode_text(data)
    lines = [line for line in clean(text).split("\n")]
    if not lines or not lines[0]:
        raise ExtractError("本文が見つかりません")
    title = lines[0][:60] if len(lines) > 1 and len(lines[0]) <= 60 else fallback_title
    body = lines[1:] if title == lines[0][:60] and len(lines) > 1 else lines
    builder = _SectionBuilder()
    for line in body:
        m = re.match(r"^(#{1,4})\s*(.+)$|^[■◆【](.+?)】?$", line)
        if m:
            builder.heading((m.group(2) or m.group(3)).strip(), len(m.group(1) or "#"))
        else:
            builder.paragraph(line)
    builder.flush()
    return Extracted("txt", title, builder.sections)
