"""Custom actions served by the rasa-sdk action server (app environment)."""
from __future__ import annotations

import logging
import threading
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from madoguchi.privacy import mask_pii

log = logging.getLogger(__name__)

_service = None
_service_lock = threading.Lock()


def faq_service():
    """One FaqService per action server process, created on first use."""
    global _service
    with _service_lock:
        if _service is None:
            from faq.service import FaqService

            _service = FaqService.from_settings()
        return _service


def format_answer(entry) -> Text:
    lines = [entry.answer.strip()]
    contact = "、".join(part for part in (entry.department, entry.phone) if part)
    if contact:
        lines.append(f"お問い合わせ：{contact}")
    if entry.url:
        lines.append(f"詳しくは：{entry.url}")
    return "\n\n".join(lines)


class ActionAnswerFaq(Action):
    def name(self) -> Text:
        return "action_answer_faq"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        text: Optional[str] = tracker.latest_message.get("text") or ""
        try:
            result = faq_service().search(text, top_k=3)
        except Exception:
            log.exception("FAQ search failed for %s", mask_pii(text))
            dispatcher.utter_message(
                text="申し訳ありません。ただいま回答を準備できませんでした。少し時間をおいて、もう一度お試しください。"
            )
            return []
        if result.decision == "answer" and result.hits:
            entry = result.hits[0].entry
            dispatcher.utter_message(text=format_answer(entry))
            return [SlotSet("last_faq_id", entry.id), SlotSet("last_query", text)]
        if result.decision == "suggest" and result.hits:
            dispatcher.utter_message(
                text="次のうち、知りたい内容に近いものはありますか？",
                buttons=[
                    {"title": hit.entry.question, "payload": hit.entry.question}
                    for hit in result.hits[:3]
                ],
            )
            return [SlotSet("last_query", text)]
        dispatcher.utter_message(
            text="申し訳ありません。お答えできる情報が見つかりませんでした。別の言葉で聞いていただくか、「職員と話したい」と送ってください。"
        )
        return [SlotSet("last_query", text)]
