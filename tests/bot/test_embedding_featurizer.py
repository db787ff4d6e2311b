"""The NLU's sentence-embedding featurizer, run inside the Rasa environment as Rasa runs it."""
from __future__ import annotations

import json
import subprocess

import numpy as np
import pytest

from core.settings import REPO_ROOT, load_settings
from madoguchi.training import rasa_environment

SCRIPT = """
import json, sys
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from bot.embedding_featurizer import SentenceEmbeddingFeaturizer
config = SentenceEmbeddingFeaturizer.get_default_config()
featurizer = SentenceEmbeddingFeaturizer("sentence_embedding", config)
texts = json.load(sys.stdin)
one_by_one = [featurizer.process([Message(data={"text": t})])[0] for t in texts]
# Rasa's training data cannot hold lone surrogates (its fingerprint encodes the text)
def trainable_text(t):
    return not any(0xD800 <= ord(c) <= 0xDFFF for c in t)
trainable = [Message(data={"text": t}) for t in texts if trainable_text(t)]
featurizer.process_training_data(TrainingData(trainable))
trained = iter(trainable)
out = []
for single in one_by_one:
    row = {}
    batch = next(trained) if trainable_text(single.get("text")) else single
    for name, message in (("single", single), ("batch", batch)):
        seq, sent = message.get_dense_features("text")
        row[name] = None if sent is None else sent.features.tolist()
        row[name + "_sequence"] = seq is not None
    out.append(row)
print(json.dumps(out))
"""

TEXTS = [
    "今日の天気は？",
    "明日は雨が降りますか",
    "住民票の写しが欲しいです",
    "ｼﾞｭｳﾐﾝﾋｮｳ ﾄﾘﾀｲ😀",
    "",
    "ごみ" * 2000,
    "<s>injected</s> <mask>",
    "\ud800壊れた文字\x00",
]


def _run(env: dict, texts) -> subprocess.CompletedProcess:
    python = load_settings().rasa_bin.parent / "python"
    return subprocess.run([str(python), "-c", SCRIPT], input=json.dumps(texts), capture_output=True,
                          text=True, cwd=REPO_ROOT, env=env, timeout=300)


@pytest.fixture(scope="module")
def features():
    result = _run(rasa_environment(load_settings()), TEXTS)
    assert result.returncode == 0, result.stderr[-3000:]
    return dict(zip(TEXTS, json.loads(result.stdout.strip().splitlines()[-1])))


def test_one_sentence_vector_per_message(features):
    for text, row in features.items():
        if not text:
            assert row["single"] is None and row["batch"] is None
            continue
        vec = np.asarray(row["single"])
        assert vec.shape == (1, 384) and np.isfinite(vec).all()
        assert abs(float(np.linalg.norm(vec)) - 1.0) < 1e-4
        assert not row["single_sequence"]  # sentence features only
        np.testing.assert_allclose(np.asarray(row["batch"]), vec, atol=1e-6)  # training sees what a resident gets


def test_same_vectors_as_the_faq_query_encoder(features):
    """The Rasa environment runs the app's int8 query encoder: same file, tokenizer and prefix.
    The two environments have different ONNX Runtime releases, whose int8 kernels differ
    slightly (>= 0.997 measured); a missing "query: " prefix gives 0.98-0.99."""
    from faq.embeddings import Encoder

    encoder = Encoder(load_settings().nlu_embedding_model, precision="float32")
    assert encoder.query_runtime == "onnx-int8"
    texts = [t for t in TEXTS if t]
    want = encoder.encode_queries(texts)
    got = np.vstack([np.asarray(features[t]["single"]) for t in texts])
    assert (want * got).sum(axis=1).min() >= 0.995


def test_vectors_carry_meaning(features):
    weather, rain, certificate = (np.asarray(features[t]["single"])[0] for t in TEXTS[:3])
    assert weather @ rain > weather @ certificate + 0.03
    half_width = np.asarray(features[TEXTS[3]]["single"])[0]
    assert half_width @ certificate > half_width @ weather


def test_missing_model_is_a_clear_error(tmp_path):
    env = rasa_environment(load_settings())
    env["MADOGUCHI_NLU_EMBEDDING_MODEL"] = str(tmp_path / "no-model")
    result = _run(env, ["こんにちは"])
    assert result.returncode != 0
    assert "make setup" in result.stderr and "no-model" in result.stderr
