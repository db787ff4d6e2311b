"""Short-query encoding with ONNX Runtime.

A single resident query is a dozen tokens: torch then spends most of its time dispatching
ops, not computing (about 20 ms for multilingual-e5-small on one core). ONNX Runtime runs the
same BERT graph, exported once from the local model, in about a third of that, with the same
float32 vectors (cosine 1.0 against torch float32). Batches (index builds) stay on torch.

The export is cached beside the model folder (``<model>.onnx/<fingerprint>.onnx``) and made
by setup or on first use; it is checked against torch on load and skipped if it disagrees.
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
    config = modules[1].get_config_dict()
    mode = config.get("pooling_mode")
    if mode is None:  # older configs: one flag per mode
        flags = [k for k, v in config.items() if k.startswith("pooling_mode_") and v is True]
        mode = flags[0].replace("pooling_mode_", "").replace("_tokens", "").replace("_token", "") if len(flags) == 1 else None
    return {"mean": "mean", "cls": "cls"}.get(mode)


def cache_path(model_path: Path, fingerprint: str) -> Path:
    safe = fingerprint.replace(":", "-")[:48]
    return model_path.parent / f"{model_path.name}.onnx" / f"{safe}.onnx"


def export(auto_model: Any, tokenizer: Any, dest: Path) -> Path:
    """Exports the transformer body (token states) to `dest`, atomically."""
    import torch

    class _Body(torch.nn.Module):
        def __init__(self, model: Any) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids, attention_mask):  # noqa: ANN001
            return self.model(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state

    dest.parent.mkdir(parents=True, exist_ok=True)
    features = tokenizer([PARITY_TEXT, PARITY_TEXT + "、教えてください"], padding=True, return_tensors="pt")
    model = copy.deepcopy(auto_model).float().eval()  # torch may run it in bfloat16
    if hasattr(model, "set_attn_implementation"):
        model.set_attn_implementation("eager")  # the SDPA path does not trace to ONNX
    body = _Body(model).eval()
    fd, tmp = tempfile.mkstemp(dir=dest.parent, suffix=".onnx.part")
    os.close(fd)
    try:
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
        os.chmod(tmp, 0o644)
        os.replace(tmp, dest)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return dest


class OnnxQueryEncoder:
    """Token ids -> pooled (not normalised) float32 vectors, as the sentence-transformers model."""

    def __init__(self, onnx_file: Path, tokenizer: Any, pooling: str, max_seq_length: int,
                 threads: int = 1) -> None:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = max(1, int(threads))
        options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.log_severity_level = 3
        self.session = ort.InferenceSession(str(onnx_file), options, providers=["CPUExecutionProvider"])
        self.tokenizer = tokenizer
        self.pooling = pooling
        self.max_seq_length = max_seq_length
        self.path = onnx_file

    def encode(self, texts: list[str]) -> np.ndarray:
        features = self.tokenizer(texts, padding=True, truncation=True, max_length=self.max_seq_length,
                                  return_tensors="np")
        ids = features["input_ids"].astype(np.int64)
        mask = features["attention_mask"].astype(np.int64)
        states = self.session.run(None, {"input_ids": ids, "attention_mask": mask})[0]
        if self.pooling == "cls":
            return states[:, 0, :].astype(np.float32)
        weights = mask[:, :, None].astype(np.float32)
        return (states * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)


def load(st_model: Any, model_path: Path, fingerprint: str, torch_encode: Any,
         threads: int = 1) -> Optional[OnnxQueryEncoder]:
    """The ONNX query encoder for this model, exporting it if needed; None (torch is used)
    when ONNX Runtime is missing, the model is not a plain pooled transformer, the export
    fails, or its vectors disagree with torch's."""
    if not available():
        return None
    pooling = pooling_mode(st_model)
    if pooling is None:
        log.info("query encoding stays on torch: %s is not a plain pooled transformer", model_path)
        return None
    transformer = st_model[0]
    path = cache_path(model_path, fingerprint)
    try:
        if not path.is_file():
            log.info("exporting the embedding model to ONNX for fast queries: %s", path)
            export(transformer.auto_model, transformer.tokenizer, path)
        encoder = OnnxQueryEncoder(path, transformer.tokenizer, pooling, int(st_model.max_seq_length or 512),
                                   threads)
        a = encoder.encode([PARITY_TEXT])[0]
        b = np.asarray(torch_encode([PARITY_TEXT]), dtype=np.float32)[0]
        cosine = float(a @ b / max(np.linalg.norm(a) * np.linalg.norm(b), 1e-12))
    except Exception as error:  # a broken or foreign file: torch still works
        log.warning("ONNX query encoder unavailable (%s); queries use torch", error)
        return None
    if cosine < MIN_PARITY_COSINE:
        log.warning("ONNX export %s disagrees with torch (cosine %.5f); queries use torch", path, cosine)
        return None
    return encoder


def main(argv: Optional[list] = None) -> int:
    """`python -m faq.onnx_query MODEL_DIR`: make the ONNX export now (setup), not on first use."""
    import argparse
    import sys

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("model_dir", type=Path)
    args = parser.parse_args(argv)
    if not available():
        print("onnxruntime is not installed: queries are encoded with torch", file=sys.stderr)
        return 0
    from faq.embeddings import Encoder, model_fingerprint

    if cache_path(args.model_dir.resolve(), model_fingerprint(args.model_dir)).is_file():
        return 0
    logging.basicConfig(level=logging.WARNING)
    encoder = Encoder(args.model_dir)
    print(f"query encoding: {encoder.query_runtime}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
