"""Document search benchmark: import of 1,000 generated pages (time, passages, progress bar),
re-import with nothing changed and with one page changed, search latency with the sample FAQ and
20,000 passages, and quality on the sample site's dev queries (nDCG@10 by page, answer rate).
Writes benchmarks/results/docs.{json,md}.

    .venv/bin/python -m benchmarks.docs_bench [--quick]

The 1,000 pages are the sample site's HTML pages rewritten for each district (title, numbers,
office and a district note), each a real HTML file with the site's menus and footer. For the
20,000-passage index, the imported passages' vectors and BM25 terms are copied with a little
noise until 20,000 are indexed: a search's time depends on how many passages and postings there
are, not on their wording, and encoding 20,000 passages would take most of an hour here.
"""
from __future__ import annotations

import argparse
import json
import logging
import platform
import re
import resource
import statistics
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Dict, List

import numpy as np

from core.settings import REPO_ROOT, load_settings
from documents.config import DocsConfig
from documents.evaluation import evaluate, top_scores
from documents.index import SourceMeta
from documents.service import DocumentService
from documents.store import DocumentStore
from faq.csvio import import_csv
from faq.evaluation import load_queries
from faq.service import FaqService, load_encoder
from faq.store import FaqStore

RESULTS = REPO_ROOT / "benchmarks" / "results"
SAMPLE_SITE = REPO_ROOT / "documents" / "data" / "site"
DOC_QUERIES = REPO_ROOT / "documents" / "data" / "dev_queries.jsonl"
FAQ_QUERIES = REPO_ROOT / "faq" / "data" / "dev_queries.jsonl"
SAMPLE_CSV = REPO_ROOT / "faq" / "data" / "sample_faq.csv"
TARGETS = {"import_s_1000_pages": 600.0, "search_p95_ms_20000": 40.0}
DISTRICTS = ["北町", "南町", "東町", "西町", "中央", "港", "桜ヶ丘", "緑が丘", "若葉", "青葉台", "旭",
             "本郷", "新田", "川端", "山手", "浜田", "松原", "竹の内", "梅園", "城南", "城北", "泉",
             "柳川", "高砂", "大森"]

log = logging.getLogger("docs_bench")


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def make_pages(target: Path, count: int) -> int:
    """`count` HTML pages: the sample site's pages for each district."""
    pages = sorted((SAMPLE_SITE).rglob("*.html"))
    n = 0
    for d, district in enumerate(DISTRICTS):
        for page in pages:
            if n == count:
                return n
            html = page.read_text(encoding="utf-8")
            html = re.sub(r"<h1>(.*?)</h1>", lambda m: f"<h1>{district}地区の{m.group(1)}</h1>", html)
            html = re.sub(r"<title>(.*?)｜", lambda m: f"<title>{district}地区の{m.group(1)}｜", html)
            html = re.sub(r"(\d+)(円|人|区画|台|件)", lambda m: f"{int(m.group(1)) + d}{m.group(2)}", html)
            html = html.replace("市役所", f"{district}支所").replace(
                "</article>", f"<p>{district}地区にお住まいの方は、{district}地区センター（{district}1丁目）でも"
                f"ご相談いただけます。</p></article>")
            out = target / district / page.relative_to(SAMPLE_SITE)
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(html, encoding="utf-8")
            n += 1
    return n


def grow_index(index: Any, target: int, seed: int = 7) -> None:
    """Copies the indexed passages (vector + noise, same BM25 terms) up to `target`."""
    rng = np.random.default_rng(seed)
    faiss_vectors = index.vectors
    base = [s for s, p in enumerate(index.passages) if p is not None]
    copy = 0
    while len(index) < target:
        copy += 1
        batch = base[: target - len(index)]
        slots = index._take_slots(len(batch))
        vecs = faiss_vectors.reconstruct_batch(np.asarray(batch, dtype=np.int64))
        vecs = vecs + rng.normal(0, 0.02, vecs.shape).astype(np.float32)
        vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
        faiss_vectors.add_with_ids(vecs, np.asarray(slots, dtype=np.int64))
        for old, new in zip(batch, slots):
            p = index.passages[old]
            source_id = f"{p.source_id}#copy{copy}"
            meta = index.sources.get(source_id)
            if meta is None:
                src = index.sources[p.source_id]
                meta = index.sources[source_id] = SourceMeta(source_id, src.title, src.url, src.content_hash,
                                                             src.revision, True, float("inf"), [])
            meta.slots.append(new)
            index.passages[new] = p
            index.source_of[new] = source_id
            index.alive[new] = True
            terms = index.bm25.doc_terms(old)
            index.bm25.add(new, *[[t for t, n in terms[f].items() for _ in range(n)] for f in ("question", "answer")])


def percentiles(ms: List[float]) -> Dict[str, float]:
    ms = sorted(ms)
    return {"p50_ms": round(statistics.median(ms), 2), "p95_ms": round(ms[int(len(ms) * 0.95) - 1], 2),
            "max_ms": round(ms[-1], 2), "queries": len(ms)}


def main(argv: List[str] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="100 pages, 2,000 passages (a smoke run)")
    parser.add_argument("--out", default=str(RESULTS))
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for name in ("alembic", "faiss", "sentence_transformers", "transformers", "core.migrations", "documents"):
        logging.getLogger(name).setLevel(logging.WARNING)

    pages_n = 100 if args.quick else 1000
    passages_n = 2000 if args.quick else 20000
    settings = load_settings()
    encoder = load_encoder(settings.embedding_model, threads=1)
    results: Dict[str, Any] = {
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": {"cpus": __import__("os").cpu_count(), "python": platform.python_version(),
                    "platform": platform.platform()},
        "targets": TARGETS,
    }
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        # 1. import of generated pages
        made = make_pages(tmp / "site", pages_n)
        svc = DocumentService(DocumentStore(f"sqlite:///{tmp / 'bench.db'}"), encoder,
                              index_dir=tmp / "index", config=DocsConfig())
        started = time.perf_counter()
        report = svc.import_paths([tmp / "site"])
        import_s = time.perf_counter() - started
        log.info("imported %d pages, %d passages in %.1f s", report.read, report.passages, import_s)
        started = time.perf_counter()
        again = svc.import_paths([tmp / "site"])
        unchanged_s = time.perf_counter() - started
        page = next((tmp / "site").rglob("camp.html"))
        page.write_text(page.read_text(encoding="utf-8").replace("直火は禁止です。", "直火は禁止です。花火もできません。"),
                        encoding="utf-8")
        started = time.perf_counter()
        one = svc.import_paths([tmp / "site"])
        one_s = time.perf_counter() - started
        results["import"] = {
            "pages": made, "read": report.read, "passages": report.passages, "errors": len(report.errors),
            "seconds": round(import_s, 1), "pages_per_s": round(report.read / import_s, 2),
            "reimport_unchanged_s": round(unchanged_s, 2), "unchanged": again.unchanged,
            "reimport_one_changed_s": round(one_s, 2), "changed": one.read,
            "index_bytes": svc.index_path.stat().st_size,
        }

        # 2. latency with the sample FAQ and 20,000 passages, in one process as the action server
        faq = FaqService(FaqStore(f"sqlite:///{tmp / 'bench.db'}"), encoder, index_dir=tmp / "index",
                         show_progress=False)
        import_csv(faq.store, SAMPLE_CSV)
        faq.refresh()
        svc.refresh()
        grow_index(svc._index, passages_n)
        queries = [q.text for q in load_queries(DOC_QUERIES)] + [q.text for q in load_queries(FAQ_QUERIES)]
        for text in queries[:20]:  # warm-up
            svc.search(text)
        docs_ms, both_ms = [], []
        for text in queries:
            t0 = time.perf_counter()
            faq.search(text, top_k=5)
            t1 = time.perf_counter()
            svc.search(text, top_k=3)
            t2 = time.perf_counter()
            docs_ms.append((t2 - t1) * 1000)
            both_ms.append((t2 - t0) * 1000)
        results["search"] = {"passages": len(svc._index), "faq_entries": len(faq.index),
                             "documents": percentiles(docs_ms), "faq_then_documents": percentiles(both_ms)}
        faq.close()
        svc.close()

        # 3. quality on the sample site
        sample = DocumentService(DocumentStore(f"sqlite:///{tmp / 'sample.db'}"), encoder, config=DocsConfig())
        sample.import_paths([SAMPLE_SITE])
        metrics = evaluate(sample)
        threshold = sample.config.answer_min_score
        off_topic = top_scores(sample, [q.text for q in load_queries(FAQ_QUERIES)])
        results["quality"] = {
            "queries": metrics["queries"], "ndcg@10": round(metrics["ndcg@10"], 4),
            "hit@1": round(metrics["hit@1"], 4), "hit@5": round(metrics["hit@5"], 4),
            "mrr@10": round(metrics["mrr@10"], 4), "answer_rate": round(metrics["answer_rate"], 4),
            "answer_precision": round(metrics["answer_precision"] or 0.0, 4),
            "answer_min_score": threshold,
            "off_topic_queries": len(off_topic),
            "off_topic_answer_rate": round(float(np.mean([s >= threshold for s in off_topic])), 4),
            "misses": metrics["misses"],
        }
        sample.close()

        # 4. the sample FAQ's answers as one page each (no questions), asked its dev queries:
        #    how a city's FAQ pages answer residents' own words
        pages = tmp / "faq_pages"
        pages.mkdir()
        import csv
        import html as html_lib

        with open(SAMPLE_CSV, encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                if row["status"] == "published":
                    body = "".join(f"<p>{html_lib.escape(line)}</p>" for line in row["answer"].splitlines() if line.strip())
                    (pages / f"{row['id']}.html").write_text(f"<html><body>{body}</body></html>", encoding="utf-8")
        as_pages = DocumentService(DocumentStore(f"sqlite:///{tmp / 'faq_pages.db'}"), encoder, config=DocsConfig())
        as_pages.import_paths([pages])
        m = evaluate(as_pages, FAQ_QUERIES)
        results["faq_answers_as_pages"] = {"pages": len(as_pages.store.sources()), "queries": m["queries"],
                                           "ndcg@10": round(m["ndcg@10"], 4), "hit@1": round(m["hit@1"], 4),
                                           "hit@5": round(m["hit@5"], 4)}
        as_pages.close()
    results["peak_rss_mb"] = round(_rss_mb(), 1)
    write(results, Path(args.out), "docs-quick" if args.quick else "docs")
    return 0


def write(results: Dict[str, Any], out: Path, name: str) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{name}.json").write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    imp, search, q = results["import"], results["search"], results["quality"]
    lines = [
        "# Document search benchmark", "",
        f"{results['date']}, {results['machine']['cpus']} CPUs, Python {results['machine']['python']}. "
        "`python -m benchmarks.docs_bench`.", "",
        "## Import", "",
        f"- {imp['read']} of {imp['pages']} generated HTML pages (site menus and footer included), "
        f"{imp['passages']} passages: **{imp['seconds']} s** ({imp['pages_per_s']} pages/s; target "
        f"{TARGETS['import_s_1000_pages']:.0f} s for 1,000), {imp['errors']} errors",
        f"- again with nothing changed: {imp['reimport_unchanged_s']} s ({imp['unchanged']} unchanged); "
        f"with one page changed: {imp['reimport_one_changed_s']} s ({imp['changed']} read again)",
        f"- saved index: {imp['index_bytes'] / 1e6:.1f} MB", "",
        f"## Search latency ({search['passages']:,} passages, {search['faq_entries']} FAQ entries, one process)", "",
        "| path | p50 ms | p95 ms | max ms | queries |", "| --- | --- | --- | --- | --- |",
    ]
    for label, key in (("document search", "documents"), ("FAQ search, then document search", "faq_then_documents")):
        s = search[key]
        lines.append(f"| {label} | {s['p50_ms']} | {s['p95_ms']} | {s['max_ms']} | {s['queries']} |")
    lines += [
        "", f"Target: document search p95 ≤ {TARGETS['search_p95_ms_20000']:.0f} ms.", "",
        "## Quality (sample site, documents/data/dev_queries.jsonl)", "",
        f"- nDCG@10 by page **{q['ndcg@10']}**, Hit@1 {q['hit@1']}, Hit@5 {q['hit@5']}, MRR@10 {q['mrr@10']} "
        f"({q['queries']} queries)",
        f"- answered with a passage (score ≥ {q['answer_min_score']}): {q['answer_rate']:.1%}, "
        f"the right page first in {q['answer_precision']:.1%} of them",
        f"- questions on other topics (the FAQ's {q['off_topic_queries']} dev queries) given a passage: "
        f"{q['off_topic_answer_rate']:.1%}",
        "",
        "## The sample FAQ's answers as pages",
        "",
        f"Each of the {results['faq_answers_as_pages']['pages']} published answers of faq/data/sample_faq.csv as one HTML "
        f"page without its question, asked the FAQ's {results['faq_answers_as_pages']['queries']} answerable dev "
        f"queries (as an evaluation on a real city's FAQ pages does): nDCG@10 by page "
        f"**{results['faq_answers_as_pages']['ndcg@10']}**, Hit@1 {results['faq_answers_as_pages']['hit@1']}, "
        f"Hit@5 {results['faq_answers_as_pages']['hit@5']}.",
        "",
        f"Peak memory {results['peak_rss_mb']} MB.", "",
    ]
    if q["misses"]:
        lines += ["Queries whose first page is not a relevant one:", ""]
        lines += [f"- {m['query_id']} 「{m['text']}」 → {m['top'][0] if m['top'] else '—'}" for m in q["misses"]]
    (out / f"{name}.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    sys.exit(main())
