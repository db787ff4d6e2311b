"""Import of files and folders (a saved copy of the city's site, or any folder of files).

A file's id is its public URL when one is known (sitemap.xml in the folder or named on the
command line, `<link rel="canonical">`, or a path→URL rule of the config), else its path under
the folder given, without the extension. An unchanged file (same content hash) is not read
again. A file that cannot be read is recorded with the reason and skipped: nothing else is lost.
Re-importing a folder drops the sources whose files are gone from it.
"""
from __future__ import annotations

import hashlib
import logging
import sys
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple
from urllib.parse import urlsplit

from documents.config import DocsConfig
from documents.extract import EXTRACTOR_VERSION, UNSUPPORTED, ExtractError, extract, kind_of, parse_date
from documents.passages import make_passages
from documents.store import DocumentStore

log = logging.getLogger(__name__)


@dataclass
class ImportReport:
    read: int = 0
    unchanged: int = 0
    removed: int = 0
    passages: int = 0
    errors: List[Tuple[str, str]] = field(default_factory=list)

    def summary(self) -> str:
        text = (f"読み込み {self.read} 件（段落 {self.passages}）、変更なし {self.unchanged} 件、"
                f"削除 {self.removed} 件、エラー {len(self.errors)} 件")
        lines = [text] + [f"  {path}: {error}" for path, error in self.errors]
        return "\n".join(lines)


@dataclass(frozen=True)
class SitemapEntry:
    url: str
    lastmod: Optional[datetime]


def read_sitemap(path: Path) -> List[SitemapEntry]:
    from lxml import etree

    try:
        root = etree.parse(str(path)).getroot()
    except (OSError, etree.XMLSyntaxError) as exc:
        raise ExtractError(f"sitemap.xml を読めません（{type(exc).__name__}）") from exc
    out = []
    for url in root.iter("{*}url"):
        loc = url.findtext("{*}loc")
        if loc and loc.strip():
            out.append(SitemapEntry(loc.strip(), parse_date(url.findtext("{*}lastmod"))))
    return out


def sitemap_paths(entries: Iterable[SitemapEntry]) -> Dict[str, SitemapEntry]:
    """Relative file paths a saved copy of the site may use for each URL -> the entry."""
    out: Dict[str, SitemapEntry] = {}
    for entry in entries:
        parts = urlsplit(entry.url)
        path = parts.path.lstrip("/")
        if not path or path.endswith("/"):
            path += "index.html"
        for candidate in (path, f"{parts.netloc}/{path}"):
            out.setdefault(candidate, entry)
    return out


def _sha256(data: bytes) -> str:
    digest = hashlib.sha256(EXTRACTOR_VERSION.encode())
    digest.update(data)
    return digest.hexdigest()


def _mtime(path: Path) -> Optional[datetime]:
    try:
        return datetime.fromtimestamp(path.stat().st_mtime, timezone.utc).replace(tzinfo=None)
    except OSError:
        return None


def _files(root: Path) -> List[Path]:
    return sorted(
        p for p in root.rglob("*")
        if p.is_file() and not any(part.startswith(".") for part in p.relative_to(root).parts)
    )


def on_terminal() -> bool:
    """Progress bars only on a terminal (quiet in pipes and logs)."""
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


def _progress(items: Sequence[Path], show: Optional[bool]):
    from tqdm import tqdm

    if show is None:
        show = on_terminal()
    return tqdm(items, desc="資料を読み込み中", unit="件", file=sys.stderr, disable=not show)


class Importer:
    def __init__(self, store: DocumentStore, config: Optional[DocsConfig] = None) -> None:
        self.store = store
        self.config = config or DocsConfig.load()

    def import_paths(self, paths: Sequence[Path], show_progress: Optional[bool] = None) -> ImportReport:
        report = ImportReport()
        sitemap: Dict[str, SitemapEntry] = {}
        jobs: List[Tuple[Path, Path, bool]] = []  # (root, file, whole folder)
        for raw in paths:
            path = Path(raw).expanduser().resolve()
            if path.is_dir():
                for f in _files(path):
                    if f.suffix.lower() == ".xml" and f.name.lower().startswith("sitemap"):
                        self._add_sitemap(f, sitemap, report)
                    else:
                        jobs.append((path, f, True))
            elif path.is_file() and path.suffix.lower() == ".xml":
                self._add_sitemap(path, sitemap, report)
            elif path.is_file():
                jobs.append((path.parent, path, False))
            else:
                report.errors.append((str(path), "ファイルもフォルダもありません"))
        seen: Dict[str, set] = {}
        for root, f, whole in self._with_progress(jobs, show_progress):
            if whole:
                seen.setdefault(str(root), set()).add(str(f))
            self._import_file(root, f, sitemap, report)
        for root, files in seen.items():
            for source in self.store.sources(origin=root):
                if source.path not in files and self.store.remove(source.id):
                    report.removed += 1
        return report

    @staticmethod
    def _with_progress(jobs, show_progress):
        bar = _progress([j[1] for j in jobs], show_progress)
        try:
            for job in jobs:
                yield job
                bar.update(1)
        finally:
            bar.close()

    def _add_sitemap(self, path: Path, sitemap: Dict[str, SitemapEntry], report: ImportReport) -> None:
        try:
            sitemap.update(sitemap_paths(read_sitemap(path)))
        except ExtractError as exc:
            report.errors.append((str(path), str(exc)))
            self.store.record_error(str(path), str(exc), origin=str(path.parent))

    def _fail(self, root: Path, f: Path, message: str, report: ImportReport) -> None:
        report.errors.append((str(f), message))
        self.store.record_error(str(f), message, origin=str(root))
        log.warning("document %s not read: %s", f, message)

    def reread(self, sources: Sequence[Any]) -> ImportReport:
        """Reads the sources' files again now, changed or not (the console's 「今すぐ読み直す」).
        A file that is gone is reported, and its source kept until staff remove it."""
        report = ImportReport()
        for source in sources:
            f = Path(source.path)
            if not f.is_file():
                self._fail(Path(source.origin), f, "ファイルが見つかりません（移動または削除されました）", report)
                continue
            self._import_file(Path(source.origin), f, {}, report, force=True)
        return report

    def _import_file(self, root: Path, f: Path, sitemap: Dict[str, SitemapEntry],
                     report: ImportReport, force: bool = False) -> None:
        suffix = f.suffix.lower()
        if suffix in UNSUPPORTED:
            self._fail(root, f, f"この形式（{suffix}）は読み込めません。PDF か、docx・xlsx で保存し直してください", report)
            return
        if kind_of(f) is None:
            return  # images, style sheets, scripts of a saved site: not documents
        try:
            size = f.stat().st_size
        except OSError as exc:
            self._fail(root, f, f"ファイルを開けません（{exc.strerror or type(exc).__name__}）", report)
            return
        if size > self.config.max_file_bytes:
            self._fail(root, f, f"ファイルが大きすぎます（{size / 1048576:.0f} MB、上限 "
                                f"{self.config.max_file_mb:g} MB）", report)
            return
        try:
            data = f.read_bytes()
        except OSError as exc:
            self._fail(root, f, f"ファイルを開けません（{exc.strerror or type(exc).__name__}）", report)
            return
        content_hash = _sha256(data)
        existing = self.store.by_path(str(f))
        if existing is not None and existing.content_hash == content_hash and not force:
            self.store.touch(existing.id)
            self.store.clear_errors([str(f)])
            report.unchanged += 1
            return
        try:
            doc = extract(f, data)
        except ExtractError as exc:
            self._fail(root, f, str(exc), report)
            return
        except Exception as exc:  # a library bug on one odd file must not stop the import
            log.exception("extracting %s failed", f)
            self._fail(root, f, f"読み込みに失敗しました（{type(exc).__name__}）", report)
            return
        passages = make_passages(doc.title, doc.sections)
        if not passages:
            self._fail(root, f, "本文が見つかりません", report)
            return
        relative = f.relative_to(root).as_posix()
        entry = sitemap.get(relative)
        url = ((entry.url if entry else "") or _absolute(doc.url) or self.config.url_for(relative)
               or (existing.url if existing else ""))  # a URL once known (sitemap) is kept
        source_id = url or str(PurePosixPath(relative).with_suffix(""))
        if existing is not None and existing.id != source_id:
            self.store.remove(existing.id)
        modified = doc.modified or (entry.lastmod if entry else None) or _mtime(f)
        self.store.save({
            "id": source_id, "origin": str(root), "path": str(f), "url": url, "title": doc.title[:500],
            "kind": doc.kind, "content_hash": content_hash, "size": size, "modified_at": modified,
            "publish_end": doc.expires,
        }, passages)
        report.read += 1
        report.passages += len(passages)


def _absolute(url: str) -> str:
    parts = urlsplit(url or "")
    return url if parts.scheme in ("http", "https") and parts.netloc else ""
