"""Questions about another municipality are out of scope, whatever the classifier thinks.

「川崎市役所の電話番号」 reads like a municipal question, and FAQ search would answer it with this
city's number. After the intent classifier, this rule marks a question whose topic is another
city, ward, town office or prefecture (faq.places) as out_of_scope and adds the place as the
entity `other_municipality`, so the reply can name it. Intents other than the overridable ones
(emergency, request_human, ...) are kept: a fire in 川崎市 still gets 119.
"""
from __future__ import annotations

from typing import Any, Dict, List, Text

import yaml
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.language import add_entity, set_intent
from faq.places import other_municipality
from core.settings import office_file

ENTITY = "other_municipality"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class OtherMunicipalityRule(GraphComponent):
    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {
            "intent": "out_of_scope",
            "overridable_intents": ["ask_question", "out_of_scope"],
            # The city's own names; office.yml's `city` is always one of them.
            "own_names": [],
        }

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "OtherMunicipalityRule":
        return cls(config)

    def __init__(self, config: Dict[Text, Any]) -> None:
        self._intent = config["intent"]
        self._overridable = set(config["overridable_intents"])
        office = yaml.safe_load(office_file().read_text(encoding="utf-8")) or {}
        self._own_names = [*config["own_names"], str(office.get("city") or "")]

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            self._apply(message)
        return messages

    def _apply(self, message: Message) -> None:
        mention = other_municipality(message.get(TEXT) or "", self._own_names)
        if mention is None:
            return
        add_entity(message, ENTITY, mention.name, mention.start, mention.end, self.__class__.__name__)
        intent = message.get(INTENT) or {}
        if intent.get(INTENT_NAME_KEY) not in self._overridable:
            return
        set_intent(message, self._intent)
