"""Sentence embeddings of the resident's message as dense NLU features.

Word and character n-grams tell 「今日の天気は？」 and 「今日のごみの日は？」 apart only by the words
seen in training; a multilingual sentence embedding also carries what a message is about. The
model is the FAQ search's own multilingual-e5-small, run from its int8 ONNX export
(faq.onnx_query) with ONNX Runtime: no torch or transformers in the Rasa environment, about
5 ms a message on one core. The folder is MADOGUCHI_NLU_EMBEDDING_MODEL (core.settings).
"""
from __future__ import annotations

from typing import Any, Dict, List, Text

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.featurizers.dense_featurizer.dense_featurizer import DenseFeaturizer
from rasa.nlu.tokenizers.tokenizer import Tokenizer
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from faq import onnx_query
from faq.embeddings import l2_normalized, model_fingerprint, tokenizer_safe_text
from core.settings import load_settings


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=False)
class SentenceEmbeddingFeaturizer(DenseFeaturizer, GraphComponent):
    @classmethod
    def required_components(cls) -> List[type]:
        return [Tokenizer]

    @staticmethod
    def required_packages() -> List[Text]:
        return ["onnxruntime", "tokenizers"]

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {**DenseFeaturizer.get_default_config(), "prefix": "query: ", "scale": 1.0}

    @classmethod
    def validate_config(cls, config: Dict[Text, Any]) -> None:
        pass

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "SentenceEmbeddingFeaturizer":
        return cls(execution_context.node_name, config)

    def __init__(self, name: Text, config: Dict[Text, Any]) -> None:
        super().__init__(name, config)
        folder = load_settings().nlu_embedding_model.expanduser().resolve()
        onnx_file = onnx_query.cache_path(folder, model_fingerprint(folder), int8=True)
        if not onnx_file.is_file():
            raise FileNotFoundError(
                f"the NLU needs the ONNX export of {folder} ({onnx_file}); run `make setup` "
                f"(python -m faq.e5_convert and python -m faq.embeddings)")
        self._encoder = onnx_query.OnnxQueryEncoder.from_folder(folder, onnx_file)
        self._prefix = config["prefix"]
        self._scale = float(config["scale"])

    def _vectors(self, texts: List[str]) -> np.ndarray:
        limit = self._encoder.max_seq_length
        vecs = self._encoder.encode([self._prefix + tokenizer_safe_text(t, limit) for t in texts])
        return l2_normalized(vecs) * np.float32(self._scale)

    def _featurize(self, messages: List[Message]) -> None:
        todo = [m for m in messages if m.get(TEXT)]
        for message, vec in zip(todo, self._vectors([m.get(TEXT) for m in todo])):
            self.add_features_to_message(None, vec.reshape(1, -1), TEXT, message)

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        self._featurize(training_data.training_examples)
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        self._featurize(messages)
        return messages
