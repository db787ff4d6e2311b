"""Character n-grams over the words' readings, for questions typed in kana only.

「じゅうみんひょう とりたい」 shares no character with 「住民票を取りたい」, and the sentence embedding
knows kana spellings poorly; their Sudachi readings (ジュウ ミン ヒョウ / ジュウミンヒョウ) share most
n-grams. Elderly residents and residents learning Japanese often write so.
"""
from __future__ import annotations

from typing import List, Text

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.constants import TOKENS_NAMES
from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import CountVectorsFeaturizer
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=True)
class ReadingCountVectorsFeaturizer(CountVectorsFeaturizer):
    """A CountVectorsFeaturizer that reads token.data["reading"] (bot/tokenizer.py) for the text."""

    def _get_message_tokens_by_attribute(self, message: Message, attribute: Text) -> List[Text]:
        if attribute != TEXT:
            return super()._get_message_tokens_by_attribute(message, attribute)
        return [token.get("reading") or token.text for token in message.get(TOKENS_NAMES[attribute]) or []]
