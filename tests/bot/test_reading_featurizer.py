"""The kana-reading n-gram featurizer (bot/reading_featurizer.py), run inside the Rasa environment."""
from __future__ import annotations

import json
import subprocess

from core.settings import REPO_ROOT, load_settings
from madoguchi.training import rasa_environment

SCRIPT = """
import json, sys
from rasa.engine.graph import ExecutionContext
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import CountVectorsFeaturizer
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from bot.tokenizer import SudachiTokenizer
from bot.reading_featurizer import ReadingCountVectorsFeaturizer

tok = SudachiTokenizer(SudachiTokenizer.get_default_config())
import pathlib
storage = LocalModelStorage(pathlib.Path(sys.argv[1]))
def features(cls):
    config = {**cls.get_default_config(), "analyzer": "char_wb", "min_ngram": 2, "max_ngram": 3}
    featurizer = cls.create(config, storage, Resource(cls.__name__), ExecutionContext(None))
    texts = json.load(open(sys.argv[2]))
    messages = [Message(data={"text": t}) for t in texts]
    for m in messages:
        tok.process([m])
    featurizer.train(TrainingData(messages))
    featurizer.process(messages)
    return [sorted(m.get_sparse_features("text")[1].features.tocsr().indices.tolist()) for m in messages]
print(json.dumps({"reading": features(ReadingCountVectorsFeaturizer), "plain": features(CountVectorsFeaturizer)}))
"""

PAIRS = [("住民票を取りたい", "じゅうみんひょう とりたい"), ("児童手当はいつ振り込み", "じどうてあて いつふりこみ"),
         ("保育園の申し込み", "ほいくえん もうしこみ")]


def shared_share(rows):
    """For each pair: the share of the kana-only text's n-grams that the kanji text also has."""
    return [len(set(a) & set(b)) / len(set(b)) for a, b in zip(rows[0::2], rows[1::2])]


def test_kana_only_text_shares_the_reading_ngrams_of_its_kanji_spelling(tmp_path):
    texts = [t for pair in PAIRS for t in pair]
    (tmp_path / "storage").mkdir()
    (tmp_path / "texts.json").write_text(json.dumps(texts, ensure_ascii=False), encoding="utf-8")
    settings = load_settings()
    result = subprocess.run(
        [str(settings.rasa_bin.parent / "python"), "-c", SCRIPT, str(tmp_path / "storage"), str(tmp_path / "texts.json")],
        capture_output=True, text=True, cwd=REPO_ROOT, env=rasa_environment(settings), timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    rows = json.loads(result.stdout.strip().splitlines()[-1])
    reading, plain = shared_share(rows["reading"]), shared_share(rows["plain"])
    assert all(share >= 0.6 for share in reading), reading
    assert all(r > p + 0.3 for r, p in zip(reading, plain)), (reading, plain)
