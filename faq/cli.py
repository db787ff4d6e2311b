"""`madoguchi faq …` commands. The import/search/eval forms are a stable contract (an external
evaluation on a real city's FAQ uses them): keep their options and output formats.

    madoguchi faq import FILE.csv --db URL
    madoguchi faq search --db URL --top-k 10 --jsonl   < queries.jsonl > runs.jsonl
    madoguchi faq eval --db URL --queries FILE
    madoguchi faq export FILE.csv | calibrate --queries FILE | reindex | migrate
    madoguchi faq bench   (wired by the app, madoguchi/cli.py: benchmarks sit above the library)
"""
from __future__ import annotations

import argparse
import contextlib
import json
import logging
import sys
import time
from pathlib import Path
from typing import Any, Dict, Iterator

from core import migrations
from core.db import make_engine
from core.settings import load_settings
from faq.config import SearchConfig, default_config_path
from faq.csvio import CsvImportError, export_csv, import_csv
from faq.evaluation import json_objects, load_queries
from faq.store import FaqError, FaqStore

log = logging.getLogger(__name__)


def register(sub: Any) -> Any:
    """Adds `faq` and its subcommands; returns them, for the app to add its own (`faq bench`)."""
    faq = sub.add_parser("faq", help="FAQ store and search", description="FAQ の管理と検索")
    fsub = faq.add_subparsers(dest="faq_command", required=True, metavar="SUBCOMMAND")

    def common(p: argparse.ArgumentParser, search: bool = False) -> None:
        p.add_argument("--db", help="database URL (default: the settings' db_url)")
        if search:
            p.add_argument("--model", help="embedding model folder (a local sentence-transformers model)")
            p.add_argument("--index-dir", help="where the search index is kept (default: settings)")
            p.add_argument("--config", help="search config YAML (default: faq/search_config.yml)")

    p = fsub.add_parser("migrate", help="upgrade the database schema to the latest version")
    common(p)
    p.set_defaults(func=cmd_migrate)

    p = fsub.add_parser("import", help="import FAQ entries from CSV (all or nothing)")
    p.add_argument("file", help="CSV file (UTF-8 with or without BOM, or Shift_JIS/CP932)")
    common(p)
    p.add_argument("--by", default="csv", help="recorded as the editor (default: csv)")
    p.add_argument("--dry-run", action="store_true", help="check only, write nothing")
    p.add_argument("--no-calibrate", action="store_true",
                   help="skip building the index and calibrating the answer threshold for this FAQ")
    p.set_defaults(func=cmd_import)

    p = fsub.add_parser("export", help="export FAQ entries to CSV")
    p.add_argument("file", help="output CSV file ('-' for stdout)")
    common(p)
    p.add_argument("--encoding", default="utf-8-sig", choices=["utf-8-sig", "utf-8", "cp932"],
                   help="utf-8-sig (default, Excel reads it) or cp932 (Shift_JIS)")
    p.add_argument("--status", choices=["draft", "published"], help="only this status")
    p.add_argument("--category", help="only this category")
    p.set_defaults(func=cmd_export)

    p = fsub.add_parser("search", help="search the FAQ (one query or --jsonl from stdin)")
    p.add_argument("text", nargs="*", help="query text (without --jsonl)")
    common(p, search=True)
    p.add_argument("--top-k", type=int, default=10)
    p.add_argument("--jsonl", action="store_true",
                   help='read {"query_id","text"} lines from stdin, write result lines to stdout')
    p.add_argument("--method", choices=["fused", "bm25", "dense"], default="fused",
                   help="retriever (default: fused)")
    p.set_defaults(func=cmd_search)

    p = fsub.add_parser("eval", help="ranking and decision metrics on a query file")
    common(p, search=True)
    p.add_argument("--queries", required=True, help='JSONL with {"query_id","text","relevant"}')
    p.add_argument("--json", action="store_true", help="print the metrics as JSON")
    p.set_defaults(func=cmd_eval)

    p = fsub.add_parser("calibrate", help="fit the fusion and the answer/choices decision on a labelled query set")
    common(p, search=True)
    p.add_argument("--queries", help='JSONL with {"query_id","text","relevant"}')
    p.add_argument("--self", dest="self_only", action="store_true",
                   help="only this FAQ's own calibration of the answer threshold (no labelled queries)")
    p.add_argument("--keep-fusion", action="store_true", help="fit the decision only")
    p.add_argument("--max-wrong", type=float, default=0.02,
                   help="most wrong confident answers allowed, as a share of the questions "
                        "with an answer (default 0.02)")
    p.add_argument("--output", help="write the config here instead of --config / the default")
    p.add_argument("--dry-run", action="store_true", help="print, do not write the config")
    p.set_defaults(func=cmd_calibrate)

    p = fsub.add_parser("reindex", help="rebuild the search index from the database")
    common(p, search=True)
    p.set_defaults(func=cmd_reindex)
    return fsub


# ---- helpers ---------------------------------------------------------------------------------


_NOISY_LOGGERS = ("alembic", "faiss", "sentence_transformers", "transformers", "httpx")


def _quiet_libraries() -> None:
    """Library INFO lines (model loading, faiss CPU flavour) are noise unless -v."""
    if logging.getLogger().isEnabledFor(logging.DEBUG):
        return
    for name in _NOISY_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)


def _db(args: argparse.Namespace) -> str:
    return args.db or load_settings().db_url


def _service(args: argparse.Namespace, **kwargs: Any):
    # lazy: faq.service loads numpy, FAISS and the encoder; `madoguchi --help` must start fast
    from faq.service import FaqService

    _quiet_libraries()
    settings = load_settings()
    return FaqService(
        FaqStore(_db(args)),
        model_path=getattr(args, "model", None) or settings.embedding_model,
        index_dir=getattr(args, "index_dir", None) or settings.index_dir,
        config=SearchConfig.load(getattr(args, "config", None)),
        **kwargs,
    )


@contextlib.contextmanager
def _stdout_to_stderr() -> Iterator[None]:
    """Libraries that print while loading must not corrupt --jsonl output."""
    with contextlib.redirect_stdout(sys.stderr):
        yield


def _err(message: str) -> None:
    print(message, file=sys.stderr)


# ---- commands --------------------------------------------------------------------------------


def cmd_migrate(args: argparse.Namespace) -> int:
    engine = make_engine(_db(args))
    try:
        applied = migrations.upgrade(engine)
        current = migrations.current_revision(engine)
    finally:
        engine.dispose()
    _err(f"データベースは最新です（{current}）" if not applied else f"更新しました（{current}）")
    return 0


def cmd_import(args: argparse.Namespace) -> int:

    path = Path(args.file)
    if not path.is_file():
        _err(f"ファイルがありません: {path}")
        return 2
    store = FaqStore(_db(args))
    try:
        report = import_csv(store, path, by=args.by, dry_run=args.dry_run)
    except CsvImportError as exc:
        _err(str(exc))
        return 1
    finally:
        store.close()
    _err(report.summary())
    if not args.dry_run and not args.no_calibrate:
        return _calibrate_installation(args)
    return 0


def _calibrate_installation(args: argparse.Namespace) -> int:
    """Builds the index and fits this FAQ's answer threshold (faq.calibration)."""
    # lazy: faq.calibration loads numpy and faq.service; keeps `madoguchi --help` fast
    from faq.calibration import calibrate_installation, describe_installation

    with _stdout_to_stderr():
        service = _service(args)
        try:
            service.refresh()
            data = calibrate_installation(service)
        except Exception as exc:  # the import itself stands; search uses the shipped threshold
            _err(f"索引の作成または較正に失敗しました（取り込みは完了しています）: {exc}")
            return 1
        finally:
            service.close()
    _err(describe_installation(data))
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    store = FaqStore(_db(args))
    filters: Dict[str, Any] = {}
    if args.status:
        filters["status"] = args.status
    if args.category:
        filters["category"] = args.category
    try:
        if args.file == "-":
            n = export_csv(store, sys.stdout.buffer, encoding=args.encoding, **filters)
            sys.stdout.flush()
        else:
            n = export_csv(store, args.file, encoding=args.encoding, **filters)
    except FaqError as exc:
        _err(str(exc))
        return 1
    finally:
        store.close()
    _err(f"{n} 件を書き出しました" + ("" if args.file == "-" else f": {args.file}"))
    return 0


def _result_line(query_id: Any, result: Any) -> str:
    return json.dumps(
        {
            "query_id": query_id,
            "ranked": [h.faq_id for h in result.hits],
            "scores": [round(h.score, 6) for h in result.hits],
            "decision": result.decision,
        },
        ensure_ascii=False,
    )


def cmd_search(args: argparse.Namespace) -> int:
    method = None if args.method == "fused" else args.method
    top_k = max(1, args.top_k)
    out = sys.stdout
    with _stdout_to_stderr():
        service = _service(args)
        try:
            service.refresh()  # build or catch up before the first query
        except Exception as exc:
            _err(f"検索の準備に失敗しました: {exc}")
            service.close()
            return 1
    try:
        if args.jsonl:
            for item in json_objects(sys.stdin):
                with _stdout_to_stderr():
                    result = service.search(item.get("text", ""), top_k=top_k, method=method)
                out.write(_result_line(item.get("query_id"), result) + "\n")
                out.flush()
            return 0
        text = " ".join(args.text)
        if not text:
            _err("検索する文を指定してください（または --jsonl で標準入力から）")
            return 2
        result = service.search(text, top_k=top_k, method=method)
        labels = {"answer": "回答", "suggest": "候補を提示", "none": "該当なし"}
        print(f"判定: {result.decision}（{labels[result.decision]}）")
        for i, hit in enumerate(result.hits, 1):
            print(f"{i:2d}. {hit.faq_id}  {hit.score:.3f}  {hit.entry.question}")
        if result.decision == "answer" and result.top:
            print()
            print(result.top.entry.answer)
        return 0
    finally:
        with _stdout_to_stderr():
            service.close()


def _print_metrics(metrics: Dict[str, Any]) -> None:
    print(f"queries: {metrics['queries']} (digest {metrics['digest']})")
    print(f"{'method':<8} {'nDCG@10':>8} {'Hit@1':>7} {'Hit@5':>7} {'MRR@10':>7}")
    for method in ("bm25", "dense", "fused"):
        m = metrics[method]
        print(
            f"{method:<8} {m['ndcg@10']:8.4f} {m['hit@1']:7.4f} {m['hit@5']:7.4f} {m['mrr@10']:7.4f}"
        )
    d = metrics["decision"]
    print()
    print("decision  count  precision")
    for name in ("answer", "suggest", "none"):
        p = d[f"{name}_precision"]
        print(f"{name:<8} {d[f'{name}_count']:6d}  {'-' if p is None else f'{p:.4f}'}")
    print()
    _print_outcomes(metrics["outcomes"])
    if metrics.get("installation") is not None:
        # lazy: faq.calibration loads numpy and faq.service; keeps `madoguchi --help` fast
        from faq.calibration import describe_installation

        print()
        print(describe_installation(metrics["installation"]))


def _print_outcomes(outcomes: Dict[str, Any]) -> None:
    # lazy: faq.calibration loads numpy and faq.service; keeps `madoguchi --help` fast
    from faq.calibration import OUTCOME_LABELS

    n = outcomes["answerable"]
    print(f"what the resident got ({n} questions with an answer in the FAQ; "
          f"choices show up to {outcomes['choices_shown']} entries)")
    for key, label in OUTCOME_LABELS.items():
        print(f"  {label:<40} {outcomes['counts'][key]:5d}  {outcomes['shares'][key]:6.1%}")
    if n:
        print(f"  {'right answer or right choice':<40} {'':5}  {outcomes['right_or_right_choice']:6.1%}")
    na = outcomes["no_answer_queries"]
    if na["total"]:
        print(f"questions with no answer in the FAQ: {na['total']} "
              f"(answered anyway {na['answer']}, choices {na['suggest']}, nothing {na['none']})")


def cmd_eval(args: argparse.Namespace) -> int:
    # lazy: faq.calibration loads numpy and faq.service; keeps `madoguchi --help` fast
    from faq.calibration import evaluate

    queries = load_queries(args.queries)
    with _stdout_to_stderr():
        service = _service(args)
        try:
            metrics = evaluate(service, queries)
        finally:
            service.close()
    if args.json:
        print(json.dumps(metrics, ensure_ascii=False, indent=2))
    else:
        _print_metrics(metrics)
    return 0


def cmd_calibrate(args: argparse.Namespace) -> int:
    # lazy: faq.calibration loads numpy and faq.service; keeps `madoguchi --help` fast
    from faq.calibration import calibrate, evaluate

    if args.self_only:
        return _calibrate_installation(args)
    if not args.queries:
        _err("--queries FILE（正解付きの質問）か --self を指定してください")
        return 2
    queries = load_queries(args.queries)
    with _stdout_to_stderr():
        service = _service(args)
        try:
            new_cfg, report = calibrate(
                service, queries, tune=not args.keep_fusion, max_wrong=args.max_wrong,
            )
            service.config = new_cfg
            if service._index is not None:
                service._index.config = new_cfg
            metrics = evaluate(service, queries)
        except ValueError as exc:
            _err(f"較正できませんでした: {exc}")
            return 1
        finally:
            service.close()
    f = report["fusion"]
    d = new_cfg.decision
    print(f"fusion: {f['method']} {f['weights']}")
    print(f"decision: answer when P(right) >= {d.answer_min_confidence}; "
          f"{d.choices} choices when P(right among them) >= {d.suggest_min_confidence}")
    print()
    print("5-fold cross-validated (each question judged by models fitted without it):")
    _print_outcomes(report["cross_validated"])
    print()
    print("fitted on all of them:")
    _print_metrics(metrics)
    if not args.dry_run:
        path = new_cfg.save(args.output or args.config or default_config_path())
        _err(f"設定を書き込みました: {path}")
    return 0


def cmd_reindex(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    service = _service(args)
    try:
        index = service.reindex()
    finally:
        service.close()
    _err(
        f"索引を作り直しました: {len(index)} 件、ベクトル {index.vectors.ntotal} 本、"
        f"{time.perf_counter() - started:.1f} 秒"
    )
    return 0
