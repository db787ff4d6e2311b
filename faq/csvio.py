"""CSV import and export that staff round-trip through Excel.

Import reads UTF-8 (with or without BOM), CP932 (Shift_JIS) and Excel's UTF-16 "Unicode text";
it checks every row first and reports each bad one with its line number, and only then writes,
in one transaction: nothing is half-imported. Export writes UTF-8 with BOM (Excel opens it
as UTF-8) or CP932.
"""
from __future__ import annotations

import csv
import io
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Dict, List, Optional, Sequence, Tuple, Union

import sqlalchemy as sa

from faq.entry import (
    EDITABLE_FIELDS,
    TRANSLATION_KEYS,
    FaqEntry,
    format_datetime,
    merge_translations,
    normalize_fields,
    validate,
)
from faq.models import faq_entries
from faq.store import ConflictError, FaqError, FaqStore, ValidationError, _row_to_entry

# The やさしい日本語 answer (FaqEntry.easy_ja) and the translations (question_en, answer_en,
# short_answer_en, … for en, zh, ko, vi, pt) are columns of their own after the Japanese ones.
EASY_JA_COLUMN = "answer_easy_ja"
_JAPANESE_FIELDS = tuple(f for f in EDITABLE_FIELDS if f not in ("translations", "easy_ja"))
EXPORT_COLUMNS = (
    "id", *_JAPANESE_FIELDS, EASY_JA_COLUMN, *TRANSLATION_KEYS, "version", "updated_by", "updated_at",
)
# Shift_JIS cannot hold Korean, Vietnamese or simplified Chinese: a CP932 file leaves the
# translation columns out (importing it back keeps the translations as they are).
CP932_COLUMNS = tuple(c for c in EXPORT_COLUMNS if c not in TRANSLATION_KEYS)
REQUIRED_COLUMNS = ("id", "question", "answer")
_READ_ONLY = {"updated_by", "updated_at", "created_at"}

# Header names staff may use instead of the English ones.
_ALIASES = {
    "id": ("id", "faq_id", "faqid", "番号", "管理番号", "faq番号"),
    "question": ("question", "質問", "質問文", "問い"),
    "alternatives": ("alternatives", "言い換え", "別表現", "類似質問", "言い換え質問"),
    "answer": ("answer", "回答", "回答文", "答え"),
    "short_answer": ("short_answer", "短い回答", "電話用回答", "sms用回答", "要約"),
    "category": ("category", "分類", "カテゴリ", "カテゴリー", "業務"),
    "department": ("department", "担当課", "担当部署", "所管課"),
    "phone": ("phone", "電話番号", "電話", "問い合わせ電話番号"),
    "url": ("url", "リンク", "関連url", "ページ"),
    "keywords": ("keywords", "キーワード"),
    "publish_start": ("publish_start", "掲載開始", "掲載開始日", "公開開始"),
    "publish_end": ("publish_end", "掲載終了", "掲載終了日", "公開終了"),
    "status": ("status", "状態", "公開状態", "ステータス"),
    "version": ("version", "版"),
    "updated_by": ("updated_by", "更新者"),
    "updated_at": ("updated_at", "更新日時"),
    "created_at": ("created_at", "作成日時"),
    EASY_JA_COLUMN: (EASY_JA_COLUMN, "easy_ja", "やさしい日本語", "やさしい日本語の回答"),
    **{key: (key,) for key in TRANSLATION_KEYS},
}
_HEADER_NAMES = {
    unicodedata.normalize("NFKC", alias).lower(): name
    for name, aliases in _ALIASES.items()
    for alias in aliases
}

# Characters CP932 lacks but has a twin for (what Windows itself maps them to).
_CP932_TWINS = str.maketrans(
    {
        "\u301c": "\uff5e",  # WAVE DASH -> FULLWIDTH TILDE
        "\u2212": "\uff0d",  # MINUS SIGN -> FULLWIDTH HYPHEN-MINUS
        "\u2016": "\u2225",  # DOUBLE VERTICAL LINE -> PARALLEL TO
        "\u00a2": "\uffe0",
        "\u00a3": "\uffe1",
        "\u00ac": "\uffe2",
        "\u2014": "\u2015",  # EM DASH -> HORIZONTAL BAR
    }
)


@dataclass(frozen=True)
class RowError:
    line: int  # line number in the file (1 = header)
    faq_id: str
    message: str

    def __str__(self) -> str:
        where = f"{self.line} 行目" + (f"（{self.faq_id}）" if self.faq_id else "")
        return f"{where}: {self.message}"


class CsvImportError(FaqError):
    """The file was not imported; `errors` lists every problem found."""

    def __init__(self, errors: Sequence[RowError]) -> None:
        self.errors = list(errors)
        lines = "\n".join(str(e) for e in self.errors)
        super().__init__(
            f"取り込みを中止しました（{len(self.errors)} 件の問題。何も取り込んでいません）:\n{lines}"
        )


@dataclass
class ImportReport:
    encoding: str
    created: List[str] = field(default_factory=list)
    updated: List[str] = field(default_factory=list)
    unchanged: List[str] = field(default_factory=list)
    ignored_columns: List[str] = field(default_factory=list)
    dry_run: bool = False

    @property
    def total(self) -> int:
        return len(self.created) + len(self.updated) + len(self.unchanged)

    def summary(self) -> str:
        head = "確認しました（取り込みはしていません）" if self.dry_run else "取り込みました"
        text = (
            f"{head}: 新規 {len(self.created)} 件、更新 {len(self.updated)} 件、"
            f"変更なし {len(self.unchanged)} 件（文字コード: {self.encoding}）"
        )
        if self.ignored_columns:
            text += f"\n使わなかった列: {', '.join(self.ignored_columns)}"
        return text


def decode_bytes(data: bytes) -> Tuple[str, str]:
    """Text and a label of the encoding found. Raises CsvImportError if it is neither."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="strict"), "UTF-8（BOM付き）"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16"), "UTF-16"
    try:
        return data.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError as utf8_error:
        try:
            return data.decode("cp932"), "Shift_JIS（CP932）"
        except UnicodeDecodeError:
            line = data[: utf8_error.start].count(b"\n") + 1
            raise CsvImportError(
                [
                    RowError(
                        line,
                        "",
                        "文字コードが読めません。UTF-8 か Shift_JIS（CP932）で保存してください",
                    )
                ]
            ) from None


def _header_name(raw: str) -> str:
    key = unicodedata.normalize("NFKC", raw or "").strip().lower()
    return _HEADER_NAMES.get(key, key)


def parse_csv(text: str) -> Tuple[List[str], List[Tuple[int, Dict[str, str]]], List[RowError]]:
    """(column names, [(line number, {column: value})], structural errors)."""
    first_line = text.split("\n", 1)[0]
    delimiter = "\t" if first_line.count("\t") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    errors: List[RowError] = []
    rows: List[Tuple[int, Dict[str, str]]] = []
    try:
        header = next(reader)
    except StopIteration:
        return [], [], [RowError(1, "", "ファイルが空です")]
    except csv.Error as exc:
        return [], [], [RowError(1, "", f"見出し行が読めません（{exc}）")]
    columns = [_header_name(h) for h in header]
    seen: Dict[str, int] = {}
    for index, name in enumerate(columns):
        if name and name in seen:
            errors.append(RowError(1, "", f"列「{header[index]}」が二つあります"))
        seen[name] = index
    missing = [c for c in REQUIRED_COLUMNS if c not in seen]
    if missing:
        errors.append(RowError(1, "", f"必要な列がありません: {', '.join(missing)}"))
    line = reader.line_num + 1
    while True:
        try:
            values = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            errors.append(RowError(line, "", f"CSV の形が崩れています（{exc}）"))
            break
        start, line = line, reader.line_num + 1
        if not any(v.strip() for v in values):
            continue  # blank lines Excel leaves at the end
        if len(values) > len(columns) and any(v.strip() for v in values[len(columns) :]):
            errors.append(
                RowError(
                    start,
                    values[seen["id"]].strip() if "id" in seen and seen["id"] < len(values) else "",
                    f"列の数（{len(values)}）が見出し（{len(columns)}）より多いです",
                )
            )
            continue
        row = {name: (values[i] if i < len(values) else "") for i, name in enumerate(columns)}
        rows.append((start, row))
    return columns, rows, errors


def _row_fields(row: Dict[str, str], columns: Sequence[str]) -> Tuple[Dict[str, Any], Optional[int], List[str]]:
    """Editable fields, the expected version and the problems of one row."""
    problems: List[str] = []
    data: Dict[str, Any] = {}
    translations: Dict[str, str] = {}
    version: Optional[int] = None
    for name in columns:
        value = row.get(name, "")
        if name in TRANSLATION_KEYS:
            translations[name] = value
        elif name == EASY_JA_COLUMN:
            data["easy_ja"] = value
        elif name in ("publish_start", "publish_end", "status"):
            try:
                data.update(normalize_fields({name: value}))
            except ValueError as exc:
                problems.append(f"{name}: {exc}")
        elif name == "version":
            raw = unicodedata.normalize("NFKC", value).strip()
            if raw:
                if raw.isdigit():
                    version = int(raw)
                else:
                    problems.append(f"version「{value}」は数字ではありません")
        elif name in _ALIASES and name not in _READ_ONLY:
            data[name] = value
    fields = normalize_fields(data)
    if translations:  # merged into the stored ones in import_csv: absent columns keep theirs
        fields["translations"] = translations
    return fields, version, problems


def import_csv(
    store: FaqStore,
    source: Union[str, Path, bytes],
    *,
    by: str = "csv",
    dry_run: bool = False,
) -> ImportReport:
    """Imports a CSV file (path or bytes). Raises CsvImportError listing every bad row."""
    data = source if isinstance(source, bytes) else Path(source).read_bytes()
    text, encoding = decode_bytes(data)
    columns, rows, errors = parse_csv(text)
    report = ImportReport(encoding=encoding, dry_run=dry_run)
    report.ignored_columns = sorted({c or "(空の見出し)" for c in columns if c not in _ALIASES})
    if errors and (not columns or any(e.line == 1 for e in errors)):
        raise CsvImportError(errors)

    ids_seen: Dict[str, int] = {}
    prepared: List[Tuple[int, Dict[str, Any], Optional[int]]] = []
    for line, row in rows:
        fields, version, problems = _row_fields(row, columns)
        faq_id = fields.get("id", "")
        if faq_id in ids_seen:
            problems.append(f"id「{faq_id}」は {ids_seen[faq_id]} 行目にもあります")
        elif faq_id:
            ids_seen[faq_id] = line
        if problems:
            errors.append(RowError(line, faq_id, "、".join(problems)))
            continue
        prepared.append((line, fields, version))

    # Check each row against what is stored (merged fields, versions) before writing.
    existing = {e.id: e for e in _get_many(store, [f["id"] for _, f, _ in prepared if f["id"]])}
    for line, fields, version in prepared:
        faq_id = fields["id"]
        current = existing.get(faq_id)
        if "translations" in fields:
            fields["translations"] = merge_translations(
                current.translations if current else (), fields["translations"]
            )
        values = {k: v for k, v in fields.items() if k != "id"}
        if current is None:
            values.setdefault("status", "published")
            entry = FaqEntry(id=faq_id, question="", answer="").replace(**values)
        else:
            entry = current.replace(**values)
            if version is not None and version != current.version:
                errors.append(
                    RowError(
                        line,
                        faq_id,
                        f"この行は版 {version} を編集したものですが、現在は版 {current.version} です"
                        "（他の人が更新しています。書き出し直してから編集してください）",
                    )
                )
                continue
        problems = validate(entry)
        if problems:
            errors.append(RowError(line, faq_id, "、".join(problems)))
    if errors:
        raise CsvImportError(sorted(errors, key=lambda e: e.line))

    batch = [(fields, version) for _, fields, version in prepared]
    try:
        summary = store.import_entries(batch, by=by, dry_run=dry_run)
    except (ConflictError, ValidationError) as exc:  # someone wrote in between
        line = next((ln for ln, f, _ in prepared if f["id"] == getattr(exc, "faq_id", "")), 0)
        raise CsvImportError([RowError(line, getattr(exc, "faq_id", ""), str(exc))]) from exc
    report.created, report.updated, report.unchanged = (
        summary.created,
        summary.updated,
        summary.unchanged,
    )
    return report


def _get_many(store: FaqStore, ids: Sequence[str]) -> List[FaqEntry]:
    out: List[FaqEntry] = []
    with store.engine.connect() as conn:
        for start in range(0, len(ids), 500):
            chunk = list(ids[start : start + 500])
            query = sa.select(faq_entries).where(faq_entries.c.id.in_(chunk))
            out.extend(_row_to_entry(r) for r in conn.execute(query))
    return out


def entry_text_fields(entry: FaqEntry, list_separator: str = "|") -> Dict[str, str]:
    """An entry's fields as text, as staff read and write them (CSV cells, the console's form)."""
    return {
        "id": entry.id,
        "question": entry.question,
        "alternatives": list_separator.join(entry.alternatives),
        "answer": entry.answer,
        "short_answer": entry.short_answer,
        "category": entry.category,
        "department": entry.department,
        "phone": entry.phone,
        "url": entry.url,
        "keywords": list_separator.join(entry.keywords),
        "publish_start": format_datetime(entry.publish_start),
        "publish_end": format_datetime(entry.publish_end, end=True),
        "status": entry.status,
        "easy_ja": entry.easy_ja,
        **{key: dict(entry.translations).get(key, "") for key in TRANSLATION_KEYS},
    }


def entry_row(entry: FaqEntry, columns: Sequence[str] = EXPORT_COLUMNS) -> List[str]:
    values = {
        **entry_text_fields(entry),
        "version": str(entry.version),
        "updated_by": entry.updated_by,
        "updated_at": format_datetime(entry.updated_at) if entry.updated_at else "",
    }
    values[EASY_JA_COLUMN] = values.pop("easy_ja")
    return [values[c] for c in columns]


def export_csv(
    store: FaqStore,
    dest: Union[str, Path, IO[bytes]],
    *,
    encoding: str = "utf-8-sig",
    **filters: Any,
) -> int:
    """Writes the entries (filters as for FaqStore.list) and returns how many.

    encoding: "utf-8-sig" (default, Excel reads the BOM) or "cp932". With CP932 a character
    it cannot hold raises FaqError naming the entries, rather than losing it silently."""
    entries = store.list(**filters)
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    enc = encoding.lower().replace("_", "-")
    cp932 = enc in ("cp932", "shift-jis", "sjis", "shift_jis", "ms932", "windows-31j")
    columns = CP932_COLUMNS if cp932 else EXPORT_COLUMNS
    writer.writerow(columns)
    for entry in entries:
        writer.writerow(entry_row(entry, columns))
    text = buffer.getvalue()
    if cp932:
        text = text.translate(_CP932_TWINS)
        try:
            data = text.encode("cp932")
        except UnicodeEncodeError:
            bad = []
            for entry in entries:
                row_text = ",".join(entry_row(entry, columns)).translate(_CP932_TWINS)
                chars = sorted({ch for ch in row_text if not _cp932_ok(ch)})
                if chars:
                    bad.append(f"{entry.id}（{''.join(chars)}）")
            raise FaqError(
                "Shift_JIS（CP932）にない文字があるため書き出せません。UTF-8 で書き出してください: "
                + "、".join(bad[:20])
                + (" ほか" if len(bad) > 20 else "")
            ) from None
    elif enc in ("utf-8-sig", "utf8-sig", "utf-8", "utf8"):
        data = text.encode("utf-8-sig" if enc.endswith("sig") else "utf-8")
    else:
        raise ValueError(f"unsupported encoding {encoding!r} (utf-8-sig, utf-8 or cp932)")
    if isinstance(dest, (str, Path)):
        Path(dest).write_bytes(data)
    else:
        dest.write(data)
    return len(entries)


def _cp932_ok(ch: str) -> bool:
    try:
        ch.encode("cp932")
        return True
    except UnicodeEncodeError:
        return False
