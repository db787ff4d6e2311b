"""Query encoding with ONNX Runtime, int8.

A single resident query is a dozen to fifty tokens: torch then spends most of its time
dispatching ops (about 20 ms for multilingual-e5-small on one core). ONNX Runtime runs the
same BERT graph, exported once from the local model. Its MatMul weights are then quantised to
int8, one scale per output channel (dynamic quantisation, the embedding table stays float32):
measured here, 5 ms p50 / 14 ms p95 a query against 18 / 35 ms for the float32 export, cosine
>= 0.993 against float32 on the dev queries, and the same dev-set ranking quality. FAQ entries
(passages) stay on torch: their vectors are computed once, in batches.

The exports are cached beside the model folder (``<model>.onnx/<fingerprint>.onnx`` and
``….int8.onnx``), made by setup (``python -m faq.embeddings MODEL_DIR``) or on first use, and
checked against torch on load: a file that disagrees is skipped. The Rasa environment's NLU featurizer uses the int8 file too.
"""
from __future__ import annotations

import copy
import logging
import os
import tempfile
import warnings
from pathlib import Path
from typing import Any, Optional

import numpy as np

log = logging.getLogger(__name__)

PARITY_TEXT = "query: 住民票の写しはどこで取れますか"
MIN_PARITY_COSINE = 0.999  # torch may run in bfloat16 (>= 0.9999 against float32)
MIN_PARITY_COSINE_INT8 = 0.99  # measured >= 0.993 on every dev query


def available() -> bool:
    try:
        import onnxruntime  # noqa: F401
        import onnx  # noqa: F401  (the exporter needs it)
    except ImportError:
        return False
    return True


def pooling_mode(st_model: Any) -> Optional[str]:
    """"mean" or "cls" for a plain [Transformer, Pooling(, Normalize)] model, else None."""
    modules = list(st_model)
    if len(modules) < 2 or type(modules[0]).__name__ != "Transformer":
        return None
    if type(modules[1]).__name__ != "Pooling":
        return None
    if any(type(m).__name__ != "Normalize" for m in modules[2:]):
        return None
    return pooling_from_config(modules[1].get_config_dict())


def pooling_from_config(config: dict) -> Optional[str]:
    """"mean" or "cls" from a sentence-transformers Pooling config, else None."""
    mode = config.get("pooling_mode")
    if mode is None:  # older configs: one flag per mode
        flags = [k for k, v in config.items() if k.startswith("pooling_mode_") and v is True]
        mode = flags[0].replace("pooling_mode_", "").replace("_tokens", "").replace("_token", "") if len(flags) == 1 else None
    return {"mean": "mean", "cls": "cls"}.get(mode)


def cache_path(model_path: Path, fingerprint: str, int8: bool = False) -> Path:
    safe = fingerprint.replace(":", "-")[:48]
    return model_path.parent / f"{model_path.name}.onnx" / f"{safe}{'.int8' if int8 else ''}.onnx"


def _atomic_write(dest: Path, write: Any) -> Path:
    """Calls write(tmp_path), then moves the file into place."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=dest.parent, suffix=".part.onnx")
    os.close(fd)
    try:
        write(tmp)
        os.chmod(tmp, 0o644)
        os.replace(tmp, dest)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return dest


class _DropPreprocessingHint(logging.Filter):
    """ONNX Runtime's "consider pre-processing before quantization" is advice for conv nets."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "pre-processing before quantization" not in record.getMessage()


def quantize(source: Path, dest: Path) -> Path:
    """int8 weights for every MatMul, per output channel; activations quantised at run time."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    def write(tmp: str) -> None:
        hint = _DropPreprocessingHint()
        logging.getLogger().addFilter(hint)
        try:
            quantize_dynamic(str(source), tmp, weight_type=QuantType.QInt8, per_channel=True,
                             op_types_to_quantize=["MatMul"])
        finally:
            logging.getLogger().removeFilter(hint)

    return _atomic_write(dest, write)


def export(auto_model: Any, tokenizer: Any, dest: Path) -> Path:
    """Exports the transformer body (token states) to `dest`, atomically."""
    import torch

    class _Body(torch.nn.Module):
        def __init__(self, model: Any) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids, attention_mask):  # noqa: ANN001
            return self.model(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state

    features = tokenizer([PARITY_TEXT, PARITY_TEXT + "、教えてください"], padding=True, return_tensors="pt")
    model = copy.deepcopy(auto_model).float().eval()  # torch may run it in bfloat16
    if hasattr(model, "set_attn_implementation"):
        model.set_attn_implementation("eager")  # the SDPA path does not trace to ONNX
    body = _Body(model).eval()

    def write(tmp: str) -> None:
        with torch.inference_mode(False), torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # tracer chatter
            torch.onnx.export(
                body,
                (features["input_ids"], features["attention_mask"]),
                tmp,
                input_names=["input_ids", "attention_mask"],
                output_names=["token_states"],
                dynamic_axes={
                    "input_ids": {0: "batch", 1: "tokens"},
                    "attention_mask": {0: "batch", 1: "tokens"},
                    "token_states": {0: "batch", 1: "tokens"},
                },
                opset_version=17,
                dynamo=False,
            )

    _atomic_write(dest, write)
    return dest


class OnnxQueryEncoder:
    """Texts -> pooled (not normalised) float32 vectors, as the sentence-transformers model.

    Needs only numpy, onnxruntime and a `tokenizers.Tokenizer`, so the Rasa environment's NLU
    featurizer (bot/embedding_featurizer.py) runs it too."""

    def __init__(self, onnx_file: Path, tokenizer: Any, pooling: str, max_seq_length: int,
                 threads: int = 1) -> None:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = max(1, int(threads))
        options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.log_severity_level = 3
        self.session = ort.InferenceSession(str(onnx_file), options, providers=["CPUExecutionProvider"])
        self.tokenizer = copy.deepcopy(tokenizer)
        self.tokenizer.encode_special_tokens = tokenizer.encode_special_tokens  # not kept by a copy
        self.tokenizer.enable_truncation(max_seq_length)
        self.tokenizer.no_padding()
        self.pooling = pooling
        self.max_seq_length = max_seq_length
        self.path = onnx_file

    @classmethod
    def from_folder(cls, model_dir: Path, onnx_file: Path, threads: int = 1) -> "OnnxQueryEncoder":
        """From a sentence-transformers folder's tokenizer.json and pooling config alone."""
        import json

        from tokenizers import Tokenizer

        pooling_config = json.loads((model_dir / "1_Pooling" / "config.json").read_text(encoding="utf-8"))
        pooling = pooling_from_config(pooling_config)
        if pooling is None:
            raise ValueError(f"{model_dir}: only mean or CLS pooling runs on ONNX Runtime")
        max_seq_length = 512
        st_config = model_dir / "sentence_bert_config.json"
        if st_config.is_file():
            max_seq_length = int(json.loads(st_config.read_text(encoding="utf-8")).get("max_seq_length") or 512)
        tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        hf_config = model_dir / "tokenizer_config.json"
        if hf_config.is_file() and json.loads(hf_config.read_text(encoding="utf-8")).get("split_special_tokens"):
            tokenizer.encode_special_tokens = True  # "<s>" typed by a resident is plain text
        return cls(onnx_file, tokenizer, pooling, max_seq_length, threads)

    def encode(self, texts: list[str]) -> np.ndarray:
        """One run per text: int8 activations are scaled over the whole input, so a padded
        batch would give a text a slightly different vector than it gets alone."""
        return np.vstack([self._encode_one(text) for text in texts]) if texts else np.zeros((0, 0), np.float32)

    def _encode_one(self, text: str) -> np.ndarray:
        encoding = self.tokenizer.encode(text)
        ids = np.array([encoding.ids], dtype=np.int64)
        mask = np.array([encoding.attention_mask], dtype=np.int64)
        states = self.session.run(None, {"input_ids": ids, "attention_mask": mask})[0]
        if self.pooling == "cls":
            return states[:, 0, :].astype(np.float32)
        return states.mean(axis=1, dtype=np.float32)


def load(st_model: Any, model_path: Path, fingerprint: str, torch_encode: Any,
         threads: int = 1, int8: bool = True) -> Optional[OnnxQueryEncoder]:
    """The ONNX query encoder for this model (int8 unless told otherwise), exporting and
    quantising it if needed; None (torch is used) when ONNX Runtime is missing, the model is
    not a plain pooled transformer, the export fails, or its vectors disagree with torch's."""
    if not available():
        return None
    pooling = pooling_mode(st_model)
    if pooling is None:
        log.info("query encoding stays on torch: %s is not a plain pooled transformer", model_path)
        return None
    transformer = st_model[0]
    float_path = cache_path(model_path, fingerprint)
    path = cache_path(model_path, fingerprint, int8=int8)
    try:
        if not path.is_file():
            if not float_path.is_file():
                log.info("exporting the embedding model to ONNX for fast queries: %s", float_path)
                export(transformer.auto_model, transformer.tokenizer, float_path)
            if int8:
                log.info("quantising the ONNX export to int8: %s", path)
                quantize(float_path, path)
        encoder = OnnxQueryEncoder(path, transformer.tokenizer.backend_tokenizer, pooling,
                                   int(st_model.max_seq_length or 512), threads)
        a = encoder.encode([PARITY_TEXT])[0]
        b = np.asarray(torch_encode([PARITY_TEXT]), dtype=np.float32)[0]
        cosine = float(a @ b / max(np.linalg.norm(a) * np.linalg.norm(b), 1e-12))
    except Exception as error:  # a broken or foreign file: torch still works
        log.warning("ONNX query encoder unavailable (%s); queries use torch", error)
        return None
    if cosine < (MIN_PARITY_COSINE_INT8 if int8 else MIN_PARITY_COSINE):
        log.warning("ONNX export %s disagrees with torch (cosine %.5f); queries use torch", path, cosine)
        return None
    return encoder
