"""When no FAQ entry is confident: the best passage of the city's own pages and files, cut to
the sentences that answer, with the page's title and link (documents/). Kept apart from the FAQ
actions: `answer_from_documents` is their one entry point."""
from __future__ import annotations

import logging
from typing import Any, Dict, List, Optional

from rasa_sdk.events import EventType, SlotSet

import replies
from actions.services import document_service, records
from core.turn import Passage
from documents.excerpt import excerpt, first_sentence

log = logging.getLogger(__name__)

CHAT_CHARS = 160  # the excerpt shown on web and LINE
SPOKEN_CHARS = 80  # the sentence read on the phone


def passage_payload(hit: Any, query: str, analyzer: Any) -> Dict[str, Any]:
    text = excerpt(hit.text, query, analyzer, CHAT_CHARS)
    return {
        "doc_id": hit.source_id,
        "title": hit.title,
        "heading": hit.heading,
        "url": hit.url,
        "text": text,
        "spoken": first_sentence(excerpt(hit.text, query, analyzer, SPOKEN_CHARS), SPOKEN_CHARS),
        "score": round(hit.score, 4),
    }


def answer_from_documents(dispatcher, tracker, text: str, *, candidates: List[str],
                          top_score: Optional[float]) -> Optional[List[EventType]]:
    """The passage answer, or None (no document is good enough, or the search failed: the
    FAQ's own no-match replies follow)."""
    try:
        service = document_service()
        result = service.search(text, top_k=3)
        if result.decision != "answer" or result.top is None:
            return None
        payload = passage_payload(result.top, text, service.analyzer)
    except Exception:
        log.exception("document search failed; the FAQ's reply follows")
        return None
    inquiry_id = records().log_inquiry(
        tracker.sender_id, text, "passage", candidates=candidates, top_score=top_score
    )
    dispatcher.utter_message(text=replies.passage_text(payload))
    dispatcher.utter_message(text=replies.SOLVED_QUESTION, buttons=[replies.YES, replies.NO])
    dispatcher.utter_message(json_message=Passage(**payload).custom())
    return [
        SlotSet("last_faq_id", None),
        SlotSet("last_inquiry_id", str(inquiry_id)),
        SlotSet("awaiting", "feedback"),
    ]


def warm_up() -> None:
    """Loads the passage index before the first resident waits for it; a failure only logs."""
    try:
        document_service().search("市役所", top_k=1)
    except Exception:
        log.exception("document index not loaded at start")
