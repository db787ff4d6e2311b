"""Custom actions served by the rasa-sdk action server (app environment).

The conversation state the actions share lives in slots:
  awaiting           what the last bot turn asked for: feedback | choice | handoff_offer | None
  last_faq_id        the FAQ answered last (follow-ups like 「電話番号は？」 refer to it)
  last_query         the resident's last question; candidates: FAQ ids found for it
  last_inquiry_id    the record that feedback (はい／いいえ) updates
  offered_more       whether other candidates were offered once already for this question
"""
from __future__ import annotations

import abc
import dataclasses
import logging
import multiprocessing
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ConversationPaused, EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

import replies
from actions import texts
from actions.documents import answer_from_documents
from actions.documents import warm_up as warm_up_documents
from actions.services import faq_service, records
from core import turn
from core.office import Office
from core.privacy import find_phone_number, mask_pii
from core.settings import read
from records.store import channel_of as from_id

log = logging.getLogger(__name__)


def live_entry(faq_id: Optional[str]):
    """The entry, if residents may see it now (published and inside its window)."""
    if not faq_id:
        return None
    entry = faq_service().get(faq_id)
    return entry if entry is not None and entry.is_searchable() else None


def office():
    """Read on every use (a small file): staff can change the hours without a restart."""
    return Office.load()


def channel_of(tracker: Tracker) -> str:
    metadata = tracker.latest_message.get("metadata") or {}
    if isinstance(metadata, dict) and metadata.get("channel"):
        return str(metadata["channel"])
    return from_id(tracker.sender_id)


def resident_language(tracker: Tracker, detected: Optional[str] = None) -> str:
    """The language to answer in: the message's own, else the channel's (the widget's switch,
    LINE's profile), else the conversation's (slot `language`), else Japanese."""
    metadata = tracker.latest_message.get("metadata") or {}
    channel_language = metadata.get("language") if isinstance(metadata, dict) else None
    for value in (detected, channel_language, tracker.get_slot("language")):
        if texts.normalize_language(value):
            return texts.language_of(value)
    return texts.language_of(None)


def custom(tracker: Tracker, payload: turn.Payload) -> Dict[str, Any]:
    """The turn's part for the channels, in the resident's language unless it names one."""
    if payload.language is None:
        payload = dataclasses.replace(payload, language=resident_language(tracker))
    return payload.custom()


def transcript(tracker: Tracker) -> List[Dict[str, Any]]:
    lines = []
    for event in tracker.events:
        if event.get("event") in ("user", "bot") and event.get("text"):
            who = "resident" if event["event"] == "user" else "bot"
            lines.append({"who": who, "text": event["text"], "at": event.get("timestamp")})
    return lines[-50:]


def office_hours_text() -> str:
    return office().describe_hours()


def open_ticket_for(tracker: Tracker, kind: str, *, reason: str, **fields: Any) -> int:
    """A ticket for staff with what the conversation knows: last query, candidates, transcript."""
    values: Dict[str, Any] = {
        "last_query": tracker.get_slot("last_query") or "",
        "candidates": tracker.get_slot("candidates") or [],
        "transcript": transcript(tracker),
        "channel": channel_of(tracker),
    }
    values.update(fields)
    return records().open_ticket(tracker.sender_id, kind, reason=reason, **values)


def open_error_ticket(tracker: Tracker, reason: str) -> None:
    try:
        records().open_ticket(
            tracker.sender_id,
            "error",
            reason=reason,
            last_query=tracker.latest_message.get("text") or "",
            transcript=transcript(tracker),
        )
    except Exception:
        log.exception("could not record an error ticket for %s", mask_pii(tracker.sender_id))


class MadoguchiAction(Action, abc.ABC):
    """Runs `act`; any failure gives the resident a polite answer and the staff a ticket."""

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        try:
            return self.act(dispatcher, tracker)
        except Exception as error:
            log.exception("%s failed for %s", self.name(), mask_pii(tracker.latest_message.get("text") or ""))
            open_error_ticket(tracker, f"{self.name()}: {type(error).__name__}")
            lang = resident_language(tracker)
            dispatcher.utter_message(text=texts.text("error", lang), json_message=custom(tracker, turn.Error()))
            return [SlotSet("awaiting", None)]

    @abc.abstractmethod
    def act(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> List[EventType]:
        """The action's work; `run` adds the safety net."""


def answer_entry(dispatcher, tracker, entry, *, decision: str, query: str, candidates, score=None,
                 language: Optional[str] = None) -> List[EventType]:
    inquiry_id = records().log_inquiry(
        tracker.sender_id, query, decision, faq_id=entry.id, candidates=candidates, top_score=score
    )
    lang = language or resident_language(tracker)
    answer = texts.localized_answer(entry, lang)
    # Not in the resident's language: the answer ends with a line saying so and offers a person.
    dispatcher.utter_message(
        text=answer.text, buttons=[texts.talk_to_staff(lang)] if answer.offers_staff else [],
    )
    dispatcher.utter_message(text=texts.text("solved", lang), buttons=texts.yes_no(lang), json_message=None)
    dispatcher.utter_message(json_message=custom(tracker, replies.answer_payload(
        entry, question=answer.question, short_answer=answer.short_text,
        language=lang, answer_language=answer.version,
    )))
    return [
        SlotSet("last_faq_id", entry.id),
        SlotSet("last_inquiry_id", str(inquiry_id)),
        SlotSet("awaiting", "feedback"),
    ]


def offer_choices(dispatcher, tracker, entries, *, text_key: str) -> List[EventType]:
    lang = resident_language(tracker)
    buttons = texts.localize_choices(replies.choice_buttons(entries), entries, lang)
    dispatcher.utter_message(text=texts.text(text_key, lang), buttons=buttons)
    # the hints are the Japanese answers' first words: only for Japanese
    payload = replies.choices_payload(entries) if texts.language_of(lang) == texts.JAPANESE else buttons
    dispatcher.utter_message(json_message=custom(tracker, turn.Choices(choices=payload)))
    return [SlotSet("awaiting", "choice")]


def offer_staff(dispatcher, tracker, text_key: str) -> List[EventType]:
    lang = resident_language(tracker)
    dispatcher.utter_message(text=f"{texts.text(text_key, lang)}{texts.text('offer_staff', lang)}",
                             buttons=texts.yes_no(lang))
    dispatcher.utter_message(json_message=custom(tracker, turn.NoMatch()))
    return [SlotSet("awaiting", "handoff_offer")]


class ActionAnswerFaq(MadoguchiAction):
    def name(self) -> Text:
        return "action_answer_faq"

    def act(self, dispatcher, tracker) -> List[EventType]:
        text = tracker.latest_message.get("text") or ""
        service = faq_service()

        chosen = next(tracker.get_latest_entity_values("faq_id"), None)
        if chosen is None and tracker.get_slot("awaiting") == "choice":
            number = replies.choice_number(text)
            candidates = tracker.get_slot("candidates") or []
            if number and number <= min(len(candidates), faq_service().config.decision.choices):
                chosen = candidates[number - 1]
        if chosen:
            entry = live_entry(chosen)
            if entry is not None:
                query = tracker.get_slot("last_query") or text
                return answer_entry(
                    dispatcher, tracker, entry, decision="choice", query=query,
                    candidates=tracker.get_slot("candidates") or [chosen],
                )

        last_faq_id = tracker.get_slot("last_faq_id")
        kind = replies.follow_up_kind(text)
        if kind and last_faq_id:
            entry = live_entry(last_faq_id)
            if entry is not None:
                records().log_inquiry(tracker.sender_id, text, "followup", faq_id=entry.id)
                dispatcher.utter_message(text=replies.follow_up_text(kind, entry, office_hours_text()))
                dispatcher.utter_message(json_message=custom(tracker, replies.answer_payload(entry)))
                return []

        result = service.search(text, top_k=10)
        hits = result.hits
        shown = [] if result.decision == "answer" else list(result.suggestions(service.config.decision.choices))
        # the choices first, in the order shown (「2番」 picks the second), then the rest
        candidates = [h.faq_id for h in shown] + [h.faq_id for h in hits if h not in shown]
        top_score = hits[0].score if hits else None
        lang = resident_language(tracker, result.language)
        events: List[EventType] = [
            SlotSet("last_query", text),
            SlotSet("candidates", candidates),
            SlotSet("offered_more", False),
            SlotSet("language", lang),
        ]
        if result.decision == "answer" and hits:
            return events + answer_entry(
                dispatcher, tracker, hits[0].entry, decision="answer", query=text,
                candidates=candidates, score=top_score, language=lang,
            )
        # no confident FAQ: the city's pages
        passage = answer_from_documents(dispatcher, tracker, text, candidates=candidates, top_score=top_score)
        if passage is not None:
            return events + passage
        inquiry_id = records().log_inquiry(
            tracker.sender_id, text, result.decision if hits else "none",
            candidates=candidates, top_score=top_score,
        )
        events.append(SlotSet("last_inquiry_id", str(inquiry_id)))
        if result.decision == "suggest" and shown:
            return events + offer_choices(dispatcher, tracker, [h.entry for h in shown], text_key="choose")
        if shown:  # no confident match: the nearest entries, once, then a person
            events.append(SlotSet("offered_more", True))
            return events + offer_choices(dispatcher, tracker, [h.entry for h in shown], text_key="nearest")
        return events + offer_staff(dispatcher, tracker, "no_match")


class ActionYesNo(MadoguchiAction):
    """はい／いいえ: to 「解決しましたか？」, to the choices, or to the offer of a person."""

    def name(self) -> Text:
        return "action_yes_no"

    def act(self, dispatcher, tracker) -> List[EventType]:
        yes = tracker.latest_message.get("intent", {}).get("name") == "affirm"
        awaiting = tracker.get_slot("awaiting")
        inquiry_id = tracker.get_slot("last_inquiry_id")

        if awaiting == "feedback":
            if inquiry_id:
                records().record_feedback(int(inquiry_id), resolved=yes)
            if yes:
                lang = resident_language(tracker)
                dispatcher.utter_message(text=texts.text("glad", lang) + texts.text("anything_else", lang))
                return [SlotSet("awaiting", None)]
            return self._not_solved(dispatcher, tracker)
        if awaiting == "choice" and not yes:
            if inquiry_id:
                records().record_feedback(int(inquiry_id), resolved=False)
            return self._not_solved(dispatcher, tracker)
        if awaiting == "handoff_offer":
            if yes:
                return ActionHandoff().act(dispatcher, tracker)
            lang = resident_language(tracker)
            dispatcher.utter_message(text=texts.text("declined_staff", lang) + texts.text("anything_else", lang))
            return [SlotSet("awaiting", None)]
        dispatcher.utter_message(text=texts.text("anything_else", resident_language(tracker)))
        return [SlotSet("awaiting", None)]

    def _not_solved(self, dispatcher, tracker) -> List[EventType]:
        """Other candidates once, then a person."""
        if not tracker.get_slot("offered_more"):
            shown = {tracker.get_slot("last_faq_id")}
            if tracker.get_slot("awaiting") == "choice":
                shown |= set((tracker.get_slot("candidates") or [])[: faq_service().config.decision.choices])
            others = [
                entry for entry in (
                    live_entry(faq_id) for faq_id in (tracker.get_slot("candidates") or [])
                    if faq_id not in shown
                ) if entry is not None
            ][:3]
            if others:
                return [SlotSet("offered_more", True)] + offer_choices(
                    dispatcher, tracker, others, text_key="other_candidates"
                )
        return offer_staff(dispatcher, tracker, "sorry")


class ActionOutOfScope(MadoguchiAction):
    def name(self) -> Text:
        return "action_out_of_scope"

    def act(self, dispatcher, tracker) -> List[EventType]:
        text = tracker.latest_message.get("text") or ""
        records().log_inquiry(tracker.sender_id, text, "out_of_scope")
        place = next(tracker.get_latest_entity_values("other_municipality"), None)
        city = office().city or "市"
        lang = resident_language(tracker)
        if lang != "ja":
            reply = texts.text("out_of_scope", lang) + texts.text("ask_city", lang)
        elif place:
            reply = (f"申し訳ありません。{place}のことは、{place}の窓口にお問い合わせください。"
                     f"こちらは{city}の窓口です。{city}の手続きや施設についてのご質問でしたら、お気軽にどうぞ。")
        else:
            reply = f"{replies.OUT_OF_SCOPE}{city}の手続きや施設についてのご質問でしたら、お気軽にどうぞ。"
        dispatcher.utter_message(text=reply, buttons=[texts.talk_to_staff(lang)])
        dispatcher.utter_message(json_message=custom(tracker, turn.NoMatch()))
        return [SlotSet("awaiting", None)]


class ActionHandoff(MadoguchiAction):
    """In office hours: a ticket, and the bot stays quiet until staff release the conversation.
    Outside them: when staff are back, and the resident may leave a message."""

    def name(self) -> Text:
        return "action_handoff"

    def act(self, dispatcher, tracker) -> List[EventType]:
        the_office = office()
        entry = live_entry(tracker.get_slot("last_faq_id"))
        department = entry.department if entry else ""
        transfer_phone = (entry.phone if entry else "") or the_office.switchboard
        if the_office.is_open():
            ticket_id = open_ticket_for(
                tracker, "handoff", reason="resident asked for a person", department=department
            )
            dispatcher.utter_message(text=texts.text("handoff", resident_language(tracker), ticket_id=ticket_id))
            dispatcher.utter_message(
                json_message=custom(tracker, turn.Handoff(
                    ticket_id=ticket_id, transfer_phone=transfer_phone, in_hours=True, department=department,
                ))
            )
            return [SlotSet("awaiting", None), ConversationPaused()]
        back_at = the_office.describe_next_opening()
        dispatcher.utter_message(text=texts.text("after_hours", resident_language(tracker), back_at=back_at))
        dispatcher.utter_message(
            json_message=custom(tracker, turn.AfterHours(
                in_hours=False, back_at=back_at, transfer_phone=transfer_phone, department=department,
            ))
        )
        return [SlotSet("awaiting", None), FollowupAction("message_form")]


class ActionTakeMessage(MadoguchiAction):
    """The message left outside office hours becomes a ticket."""

    def name(self) -> Text:
        return "action_take_message"

    def act(self, dispatcher, tracker) -> List[EventType]:
        message = tracker.get_slot("resident_message") or ""
        entry = live_entry(tracker.get_slot("last_faq_id"))
        ticket_id = open_ticket_for(
            tracker,
            "after_hours",
            reason="message left outside office hours",
            message=message,
            callback=find_phone_number(message) or "",
            department=entry.department if entry else "",
        )
        back_at = office().describe_next_opening()
        if tracker.latest_message.get("intent", {}).get("name") == "emergency":
            dispatcher.utter_message(response="utter_emergency")
        dispatcher.utter_message(
            text=texts.text("message_taken", resident_language(tracker), ticket_id=ticket_id, back_at=back_at)
        )
        return [SlotSet("resident_message", None)]


def warm_up() -> None:
    """Loads the FAQ index and the database before the first resident waits for them."""
    faq_service().search("住民票", top_k=1)
    records()
    warm_up_documents()


# rasa-sdk's Sanic imports this module in its manager process and again in the worker that
# serves requests; only the worker needs the index (and the manager must not touch
# multiprocessing's start method, which loading it does).
if read("MADOGUCHI_WARM_UP", "") == "1" and multiprocessing.current_process().name != "MainProcess":
    warm_up()
