"""`madoguchi docs …` commands. import/search are a stable contract (an external evaluation
uses them): keep their options and output formats.

    madoguchi docs import PATH... --db URL
    madoguchi docs search --db URL --top-k 10 --jsonl   < queries.jsonl > runs.jsonl
    madoguchi docs list | remove ID | errors
"""
from __future__ import annotations

import argparse
import contextlib
import json
import logging
import sys
from typing import Any, Iterator

from core.settings import load_settings
from documents.config import DocsConfig
from documents.store import DocumentStore
from faq.evaluation import json_objects

log = logging.getLogger(__name__)


def register(sub: Any) -> None:
    docs = sub.add_parser("docs", help="the city's pages and files as answer sources",
                          description="市のページ・資料（HTML・PDF・Word・Excel・テキスト）の読み込みと検索")
    dsub = docs.add_subparsers(dest="docs_command", required=True, metavar="SUBCOMMAND")

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("--db", help="database URL (default: the settings' db_url)")
        p.add_argument("--model", help="embedding model folder (a local sentence-transformers model)")
        p.add_argument("--index-dir", help="where the search index is kept (default: settings)")
        p.add_argument("--config", help="documents config YAML (default: documents/config.yml)")

    p = dsub.add_parser("import", help="read files or folders (HTML, PDF, DOCX, XLSX, TXT; sitemap.xml)")
    p.add_argument("paths", nargs="+", metavar="PATH", help="files or folders (a saved copy of the site)")
    common(p)
    p.set_defaults(func=cmd_import)

    p = dsub.add_parser("search", help="search the passages (one query or --jsonl from stdin)")
    p.add_argument("text", nargs="*", help="query text (without --jsonl)")
    common(p)
    p.add_argument("--top-k", type=int, default=10, help="documents per query (default 10)")
    p.add_argument("--jsonl", action="store_true",
                   help='read {"query_id","text"} lines from stdin, write result lines to stdout')
    p.set_defaults(func=cmd_search)

    p = dsub.add_parser("list", help="the sources: when read, passages, errors")
    p.add_argument("--db", help="database URL (default: the settings' db_url)")
    p.add_argument("--json", action="store_true", help="one JSON object per line")
    p.set_defaults(func=cmd_list)

    p = dsub.add_parser("remove", help="remove a source and its passages")
    p.add_argument("ids", nargs="+", metavar="ID")
    p.add_argument("--db", help="database URL (default: the settings' db_url)")
    p.set_defaults(func=cmd_remove)


def _err(message: str) -> None:
    print(message, file=sys.stderr)


@contextlib.contextmanager
def _stdout_to_stderr() -> Iterator[None]:
    with contextlib.redirect_stdout(sys.stderr):
        yield


def _service(args: argparse.Namespace):
    # lazy: documents.service loads numpy, FAISS and the encoder; `madoguchi --help` must start fast
    from documents.service import DocumentService

    for name in ("alembic", "faiss", "sentence_transformers", "transformers"):
        if not logging.getLogger().isEnabledFor(logging.DEBUG):
            logging.getLogger(name).setLevel(logging.WARNING)
    settings = load_settings()
    return DocumentService(
        DocumentStore(args.db or settings.db_url),
        model_path=getattr(args, "model", None) or settings.embedding_model,
        index_dir=getattr(args, "index_dir", None) or settings.index_dir,
        config=DocsConfig.load(getattr(args, "config", None)),
    )


def cmd_import(args: argparse.Namespace) -> int:
    with _stdout_to_stderr():
        service = _service(args)
        try:
            report = service.import_paths(args.paths)
        finally:
            service.close()
    _err(report.summary())
    return 0 if report.read or report.unchanged or not report.errors else 1


def result_line(query_id: Any, result: Any, top_k: int) -> str:
    return json.dumps({
        "query_id": query_id,
        "ranked": result.ranked_documents(top_k),
        "passages": [h.to_dict() for h in result.hits[:top_k]],
        "decision": result.decision,
    }, ensure_ascii=False)


def cmd_search(args: argparse.Namespace) -> int:
    top_k = max(1, args.top_k)
    # passages enough for top_k distinct documents (a document has several passages)
    n_passages = max(50, top_k * 10)
    with _stdout_to_stderr():
        service = _service(args)
        try:
            service.refresh(force=True)
        except Exception as exc:
            _err(f"検索の準備に失敗しました: {exc}")
            service.close()
            return 1
    try:
        if args.jsonl:
            for item in json_objects(sys.stdin):
                result = service.search(item.get("text", ""), top_k=n_passages)
                sys.stdout.write(result_line(item.get("query_id"), result, top_k) + "\n")
                sys.stdout.flush()
            return 0
        text = " ".join(args.text)
        if not text:
            _err("検索する文を指定してください（または --jsonl で標準入力から）")
            return 2
        result = service.search(text, top_k=n_passages)
        print(f"判定: {result.decision}")
        shown = set()
        for hit in result.hits:
            if hit.source_id in shown:
                continue
            shown.add(hit.source_id)
            print(f"{len(shown):2d}. {hit.score:.3f}  {hit.source_id}  {hit.heading}")
            print(f"    {hit.text[:80]}")
            if len(shown) == top_k:
                break
        return 0
    finally:
        service.close()


def _store(args: argparse.Namespace):
    logging.getLogger("alembic").setLevel(logging.WARNING)
    return DocumentStore(args.db or load_settings().db_url)


def cmd_list(args: argparse.Namespace) -> int:
    store = _store(args)
    try:
        sources, errors = store.sources(), store.errors()
    finally:
        store.close()
    if args.json:
        for s in sources:
            print(json.dumps(s.to_dict(), ensure_ascii=False))
        for e in errors:
            print(json.dumps({"error": e.error, "path": e.path, "at": e.at.isoformat()}, ensure_ascii=False))
        return 0
    for s in sources:
        state = "" if s.is_live() else "（非公開・期限切れ）"
        print(f"{s.id}\t{s.kind}\t段落 {s.passage_count}\t{s.read_at:%Y-%m-%d %H:%M}\t{s.title}{state}")
    for e in errors:
        print(f"エラー\t{e.path}\t{e.error}")
    _err(f"資料 {len(sources)} 件、エラー {len(errors)} 件")
    return 0


def cmd_remove(args: argparse.Namespace) -> int:
    """Store only: the index drops the passages when it next catches up with the store."""
    store = _store(args)
    try:
        missing = [source_id for source_id in args.ids if not store.remove(source_id)]
    finally:
        store.close()
    for source_id in missing:
        _err(f"見つかりません: {source_id}")
    _err(f"{len(args.ids) - len(missing)} 件を削除しました")
    return 1 if missing else 0
