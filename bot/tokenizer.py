"""A Japanese tokenizer for Rasa 3.6 built on SudachiPy.

Rasa's WhitespaceTokenizer refuses `ja`. This one keeps each token's character offsets in the
original text (so entities and featurizers line up) and puts Sudachi's normalised form in the
token's lemma, which the CountVectorsFeaturizer uses by default: 引越し・引越・ひっこし become one
feature, and full/half width variants too. Its katakana reading goes in token.data["reading"]
(bot/reading_featurizer.py).
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.tokenizers.tokenizer import Token, Tokenizer
from rasa.shared.nlu.training_data.message import Message

from faq.japanese import JapaneseAnalyzer, normalize_width


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=False
)
class SudachiTokenizer(Tokenizer):
    @staticmethod
    def supported_languages() -> Optional[List[Text]]:
        return ["ja"]

    @staticmethod
    def required_packages() -> List[Text]:
        return ["sudachipy", "sudachidict_core"]

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {
            "split_mode": "C",
            "intent_tokenization_flag": False,
            "intent_split_symbol": "_",
            "token_pattern": None,
            "prefix_separator_symbol": None,
        }

    def __init__(self, config: Dict[Text, Any]) -> None:
        super().__init__(config)
        self._analyzer = JapaneseAnalyzer(split_mode=config["split_mode"])

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "SudachiTokenizer":
        return cls(config)

    def tokenize(self, message: Message, attribute: Text) -> List[Token]:
        text = message.get(attribute) or ""
        tokens = [
            Token(
                text=m.surface,
                start=m.start,
                end=m.end,
                data={"pos": m.pos, "reading": normalize_width(m.reading)},
                lemma=normalize_width(m.normalized),
            )
            for m in self._analyzer.morphemes(text, with_reading=True)
        ]
        return self._apply_token_pattern(tokens)
