"""The stable command-line contract, run as a user would: .venv/bin/madoguchi faq …"""
from __future__ import annotations

import json
import os
from pathlib import Path
import subprocess

import pytest

from faq.store import FaqStore
from core.settings import REPO_ROOT

MADOGUCHI = str(REPO_ROOT / ".venv" / "bin" / "madoguchi")
SAMPLE_CSV = REPO_ROOT / "faq" / "data" / "sample_faq.csv"
DEV_QUERIES = REPO_ROOT / "faq" / "data" / "dev_queries.jsonl"


@pytest.fixture(scope="module")
def cli_env(tmp_path_factory, model_path):
    home = tmp_path_factory.mktemp("cli_home")
    env = dict(os.environ)
    env.update(
        {
            "MADOGUCHI_HOME": str(home),
            "MADOGUCHI_EMBEDDING_MODEL": str(model_path),
            "MADOGUCHI_INDEX_DIR": str(home / "index"),
        }
    )
    env.pop("MADOGUCHI_DB_URL", None)
    return env, f"sqlite:///{home / 'cli.db'}"


def run(env, *args, stdin=None, timeout=600):
    return subprocess.run(
        [MADOGUCHI, "faq", *args], input=stdin, capture_output=True, text=True, env=env,
        timeout=timeout, cwd=REPO_ROOT,
    )


def test_import_search_jsonl_eval_export(cli_env, tmp_path):
    env, db = cli_env
    proc = run(env, "import", str(SAMPLE_CSV), "--db", db)
    assert proc.returncode == 0, proc.stderr
    assert "新規 320 件" in proc.stderr and proc.stdout == ""
    assert "回答のしきい値" in proc.stderr  # the index is built and this FAQ calibrated
    home = env["MADOGUCHI_INDEX_DIR"]
    calibrations = list(Path(home).glob("faq-*.calibration.json"))
    assert len(calibrations) == 1
    assert json.loads(calibrations[0].read_text(encoding="utf-8"))["entries"] > 250

    queries = [
        {"query_id": "q1", "text": "粗大ごみを出したい"},
        {"query_id": "q2", "text": ""},
        {"query_id": "q3", "text": "😀" * 50},
        {"query_id": "q4", "text": "あ" * 10_000},
        {"query_id": "q5", "text": "How do I register my move-in?"},
        {"query_id": 6, "text": "住民票の写しはどこで取れますか？"},
    ]
    stdin = "\n".join(json.dumps(q, ensure_ascii=False) for q in queries) + "\n\nnot json\n"
    proc = run(env, "search", "--db", db, "--top-k", "10", "--jsonl", stdin=stdin)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert len(lines) == len(queries)  # the blank and the broken line are skipped (logged)
    results = [json.loads(line) for line in lines]
    assert [r["query_id"] for r in results] == [q["query_id"] for q in queries]
    for r in results:
        assert set(r) == {"query_id", "ranked", "scores", "decision"}
        assert r["decision"] in ("answer", "suggest", "none")
        assert len(r["ranked"]) == len(r["scores"]) <= 10
        assert r["scores"] == sorted(r["scores"], reverse=True)
    assert results[0]["ranked"][0] == "F0161"
    assert results[1] == {"query_id": "q2", "ranked": [], "scores": [], "decision": "none"}
    assert results[5]["ranked"][0] == "F0001" and results[5]["decision"] == "answer"
    assert "not a JSON object" in proc.stderr

    proc = run(env, "eval", "--db", db, "--queries", str(DEV_QUERIES))
    assert proc.returncode == 0, proc.stderr
    for label in ("nDCG@10", "Hit@1", "Hit@5", "MRR@10", "answer", "suggest", "none", "precision"):
        assert label in proc.stdout
    fused = next(line for line in proc.stdout.splitlines() if line.startswith("fused"))
    ndcg = float(fused.split()[1])
    assert ndcg > 0.8
    for label in ("what the resident got", "a confident answer, and it was right",
                  "a confident answer, and it was WRONG", "choices, one of them right",
                  "choices, none right", "nothing found", "回答のしきい値"):
        assert label in proc.stdout, proc.stdout
    wrong = next(line for line in proc.stdout.splitlines() if "it was WRONG" in line)
    assert float(wrong.split()[-1].rstrip("%")) <= 3.0

    proc = run(env, "calibrate", "--self", "--db", db)
    assert proc.returncode == 0, proc.stderr
    assert "回答のしきい値" in proc.stderr and "基準" in proc.stderr

    out = tmp_path / "export.csv"
    proc = run(env, "export", str(out), "--db", db)
    assert proc.returncode == 0, proc.stderr
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")
    proc = run(env, "export", str(tmp_path / "sjis.csv"), "--db", db, "--encoding", "cp932")
    assert proc.returncode == 0, proc.stderr
    (tmp_path / "sjis.csv").read_bytes().decode("cp932")


def test_bad_import_exits_nonzero_and_imports_nothing(cli_env, tmp_path):
    env, _ = cli_env
    db = f"sqlite:///{tmp_path / 'bad.db'}"
    bad = tmp_path / "bad.csv"
    bad.write_text("id,question,answer\nA1,質問,回答\nA2,,回答\nA1,重複,回答\n", encoding="utf-8")
    proc = run(env, "import", str(bad), "--db", db)
    assert proc.returncode == 1
    assert "3 行目（A2）" in proc.stderr and "4 行目（A1）" in proc.stderr
    store = FaqStore(db)
    assert store.count() == 0
    store.close()
    proc = run(env, "import", str(tmp_path / "missing.csv"), "--db", db)
    assert proc.returncode == 2
