"""The resident's language, found after the intent classifier (which knows only Japanese).

Every message with letters gets the entity `language` (ja, en, zh, ko, vi, pt: faq/language.py,
Lingua), which fills the slot `language`: the domain's fixed replies (greeting, 119/110 …) have a
variation per language, and the actions read it. A message in another language is not left to a
classifier trained on Japanese: a few words per language say emergency, greeting, thanks,
goodbye, yes, no or "a person"; anything else is a question for FAQ search (ask_question).
"""
from __future__ import annotations

import re
from typing import Any, Dict, List, Optional, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import (
    ENTITIES,
    ENTITY_ATTRIBUTE_CONFIDENCE,
    ENTITY_ATTRIBUTE_END,
    ENTITY_ATTRIBUTE_START,
    ENTITY_ATTRIBUTE_TYPE,
    ENTITY_ATTRIBUTE_VALUE,
    EXTRACTOR,
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RANKING_KEY,
    PREDICTED_CONFIDENCE_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message

from faq.language import detect, is_foreign

ENTITY = "language"

# Checked in this order: an emergency wins over everything in the same message.
_INTENT_WORDS = (
    ("emergency", {
        "en": r"\bfire\b|on fire|ambulance|\bhelp me\b|emergency|\bpolice\b|\bburglar|\bthief\b|heart attack|"
              r"can'?t breathe|not breathing|unconscious|bleeding|\binjured\b|accident|\bcollapsed\b",
        "zh": r"着火|失火|火灾|救护车|救命|报警|警察|小偷|急救|晕倒|流血|车祸",
        "ko": r"불이야|불이 났|화재|구급차|살려|경찰|도둑|응급|쓰러졌|피가|교통사고",
        "vi": r"cháy|cứu thương|cấp cứu|cứu tôi|cứu với|cảnh sát|\btrộm\b|tai nạn|bất tỉnh|chảy máu",
        "pt": r"\bfogo\b|incêndio|ambulância|socorro|polícia|\bladrão\b|emergência|acidente|desmaiou|sangrando",
    }),
    ("request_human", {
        "en": r"\b(talk|speak|chat) (to|with) (a |an )?(person|human|staff|someone|operator|officer)|"
              r"\b(a|real) (person|human)\b|\boperator\b|\bstaff member\b",
        "zh": r"人工|工作人员|真人|转接",
        "ko": r"상담원|직원(과|이랑|하고)? ?(이야기|대화|연결)|사람(과|이랑|하고)? ?(이야기|대화|연결)",
        "vi": r"nhân viên|người thật|nói chuyện với (người|nhân viên)",
        "pt": r"atendente|funcionário|falar com (uma pessoa|alguém|um humano)|pessoa real",
    }),
    ("thanks", {
        "en": r"^\W*(thanks?( you)?|thank you( so much| very much)?|thx|ty)\b\W*$",
        "zh": r"^\W*(谢谢|多谢|感谢)(你|您)?\W*$",
        "ko": r"^\W*(감사합니다|고맙습니다|고마워요?|감사해요)\W*$",
        "vi": r"^\W*(cảm ơn|cám ơn)( bạn| nhiều)*\W*$",
        "pt": r"^\W*(obrigad[oa]|valeu)( mesmo)?\W*$",
    }),
    ("goodbye", {
        "en": r"^\W*(bye|goodbye|good bye|see you)\W*$",
        "zh": r"^\W*(再见|拜拜)\W*$",
        "ko": r"^\W*(안녕히 (계세요|가세요)|잘 있어요)\W*$",
        "vi": r"^\W*(tạm biệt|chào tạm biệt)\W*$",
        "pt": r"^\W*(tchau|adeus|até logo)\W*$",
    }),
    ("greet", {
        "en": r"^\W*(hi|hello|hey|good (morning|afternoon|evening))( there)?\W*$",
        "zh": r"^\W*(你好|您好|早上好|晚上好|嗨)\W*$",
        "ko": r"^\W*(안녕하세요|안녕|안녕하십니까)\W*$",
        "vi": r"^\W*(xin chào|chào bạn|chào)\W*$",
        "pt": r"^\W*(olá|ola|oi|bom dia|boa tarde|boa noite)\W*$",
    }),
    ("affirm", {
        "en": r"^\W*(yes|yeah|yep|ok|okay|sure|solved|it did)\W*$",
        "zh": r"^\W*(是|是的|对|好|好的|解决了)\W*$",
        "ko": r"^\W*(네|예|응|좋아요|해결됐어요|해결되었습니다)\W*$",
        "vi": r"^\W*(có|vâng|dạ|được|ok|đã giải quyết)\W*$",
        "pt": r"^\W*(sim|ok|certo|resolvido)\W*$",
    }),
    ("deny", {
        "en": r"^\W*(no|nope|not really|it didn'?t|no thanks)\W*$",
        "zh": r"^\W*(不|不是|没有|没解决|不用)\W*$",
        "ko": r"^\W*(아니요|아니오|아뇨|아니)\W*$",
        "vi": r"^\W*(không|chưa|không cần)\W*$",
        "pt": r"^\W*(não|nao|não obrigado)\W*$",
    }),
)
_PATTERNS = [
    (intent, {lang: re.compile(pattern, re.IGNORECASE) for lang, pattern in words.items()})
    for intent, words in _INTENT_WORDS
]


def foreign_intent(text: str, language: str) -> str:
    """The intent of a message in another language (ask_question unless its words say more)."""
    for intent, patterns in _PATTERNS:
        pattern = patterns.get(language)
        if pattern is not None and pattern.search(text):
            return intent
    return "ask_question"


def set_intent(message: Message, intent: Text) -> None:
    """Replaces the classifier's intent with `intent`, confidence 1 and first in the ranking."""
    message.set(INTENT, {INTENT_NAME_KEY: intent, PREDICTED_CONFIDENCE_KEY: 1.0}, add_to_output=True)
    ranking = [r for r in message.get(INTENT_RANKING_KEY) or [] if r.get(INTENT_NAME_KEY) != intent]
    message.set(INTENT_RANKING_KEY,
                [{INTENT_NAME_KEY: intent, PREDICTED_CONFIDENCE_KEY: 1.0}, *ranking],
                add_to_output=True)


def add_entity(message: Message, entity: Text, value: Text, start: int, end: int, extractor: Text) -> None:
    message.set(ENTITIES, [*(message.get(ENTITIES) or []), {
        ENTITY_ATTRIBUTE_TYPE: entity,
        ENTITY_ATTRIBUTE_VALUE: value,
        ENTITY_ATTRIBUTE_START: start,
        ENTITY_ATTRIBUTE_END: end,
        ENTITY_ATTRIBUTE_CONFIDENCE: 1.0,
        EXTRACTOR: extractor,
    }], add_to_output=True)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class LanguageRule(GraphComponent):
    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {}

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "LanguageRule":
        return cls()

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            self._apply(message)
        return messages

    def _apply(self, message: Message) -> None:
        text = message.get(TEXT) or ""
        language: Optional[str] = detect(text)
        if language is None:
            return  # 「1」, 「？」: the conversation keeps its language
        add_entity(message, ENTITY, language, 0, len(text), self.__class__.__name__)
        if is_foreign(language):
            set_intent(message, foreign_intent(text, language))
