"""The REST input channel madoguchi's gateway and tests talk to (`/webhooks/rest/webhook`).

Rasa's own RestInput drops the request's metadata and, when the action server is down or slow,
answers the resident with nothing. This one passes `metadata` (the channel: line / phone / web)
to the actions, bounds the wait for the action server, and when a turn fails gives the resident a
polite answer and records a ticket for staff in the app database.
"""
from __future__ import annotations

import asyncio
import logging
from typing import Any, Awaitable, Callable, Dict, List, Optional, Text

import rasa.core.actions.action as rasa_action
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from core.privacy import mask_pii
from core.settings import number, read
from core.turn import Error
from records.store import Records
from replies import TURN_FAILED

logger = logging.getLogger(__name__)

ACTION_TIMEOUT = read("MADOGUCHI_ACTION_TIMEOUT", 10.0, number)
# Rasa waits up to five minutes for the action server; a resident should not.
rasa_action.DEFAULT_REQUEST_TIMEOUT = ACTION_TIMEOUT
TURN_TIMEOUT = ACTION_TIMEOUT + 5


def _validate_action_result(self: rasa_action.RemoteAction, result: Dict[Text, Any]) -> bool:
    """Rasa's check of the action server's answer, with the schema compiled once.

    Rasa calls jsonschema.validate(), which checks the schema itself on every call: that was
    40 % of the Rasa server's CPU time under load (py-spy). Same errors, same message.
    """
    import jsonschema

    validator = getattr(type(self), "_madoguchi_validator", None)
    if validator is None:
        schema = self.action_response_format_spec()
        cls = jsonschema.validators.validator_for(schema)
        cls.check_schema(schema)
        validator = cls(schema)
        type(self)._madoguchi_validator = validator
    error = jsonschema.exceptions.best_match(validator.iter_errors(result))
    if error is not None:
        error.message += (
            ". Failed to validate Action server response from API, make sure your response "
            "from the Action endpoint is valid."
        )
        raise error
    return True


rasa_action.RemoteAction._validate_action_result = _validate_action_result
MAX_TEXT = 5000


def failed_custom_action(events: List[Any]) -> Optional[str]:
    """The custom action of the last turn that ran but said nothing (its events were lost)."""
    turn: List[Any] = []
    for event in reversed(events):
        if getattr(event, "type_name", "") == "user":
            break
        turn.append(event)
    turn.reverse()
    for index, event in enumerate(turn):
        name = getattr(event, "action_name", None)
        if getattr(event, "type_name", "") != "action" or not name:
            continue
        if name.startswith("action_") and name not in ("action_listen", "action_session_start"):
            later = turn[index + 1:]
            if not any(getattr(e, "type_name", "") == "bot" for e in later):
                return name
    return None


def record_ticket(sender_id: str, text: str, reason: str, transcript: List[Dict[str, Any]]) -> None:
    """Writes an `error` ticket straight into the app database (the tickets table of records.store)."""
    url = read("MADOGUCHI_DB_URL", "")
    if not url:
        logger.error("MADOGUCHI_DB_URL is not set: cannot record a ticket for %s", mask_pii(sender_id))
        return
    try:
        engine = _engine(url)
        Records(engine).open_ticket(
            sender_id, "error", reason=reason, last_query=text, transcript=transcript
        )
    except Exception:
        logger.exception("could not record a ticket for %s", mask_pii(sender_id))


_engines: Dict[str, Any] = {}


def _engine(url: str):
    import sqlalchemy as sa

    if url not in _engines:
        _engines[url] = sa.create_engine(url, pool_pre_ping=True)
    return _engines[url]


class MadoguchiRestInput(RestInput):
    @classmethod
    def name(cls) -> Text:
        return "rest"

    def get_metadata(self, request: Request) -> Optional[Dict[Text, Any]]:
        body = request.json if isinstance(request.json, dict) else {}
        metadata = body.get("metadata")
        return metadata if isinstance(metadata, dict) else None

    def blueprint(
        self, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> Blueprint:
        hook = Blueprint("madoguchi_rest_webhook", __name__)

        @hook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @hook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            try:
                body = request.json
            except Exception:
                body = None
            if not isinstance(body, dict):
                return response.json({"error": "the body must be a JSON object"}, status=400)
            sender_id, text = body.get("sender"), body.get("message")
            if not isinstance(sender_id, str) or not sender_id or not isinstance(text, str):
                return response.json({"error": "'sender' and 'message' are required strings"}, status=400)
            text = text[:MAX_TEXT]
            collector = CollectingOutputChannel()
            message = UserMessage(
                text, collector, sender_id,
                input_channel=self.name(), metadata=self.get_metadata(request),
            )
            reason = None
            try:
                await asyncio.wait_for(on_new_message(message), timeout=TURN_TIMEOUT)
            except asyncio.TimeoutError:
                reason = f"turn timed out after {TURN_TIMEOUT:.0f} s"
            except Exception as error:
                logger.exception("turn failed for %s", mask_pii(sender_id))
                reason = f"turn failed: {type(error).__name__}"
            agent = request.app.ctx.agent
            tracker = None
            if reason is None and not collector.messages:
                tracker = await agent.tracker_store.retrieve(sender_id)
                failed = failed_custom_action(tracker.events) if tracker else None
                if failed and not tracker.is_paused():
                    reason = f"custom action {failed} failed (action server down or slow)"
            if reason is None:
                return response.json(collector.messages)
            logger.error("%s for %s: %s", reason, mask_pii(sender_id), mask_pii(text))
            if tracker is None:
                tracker = await agent.tracker_store.retrieve(sender_id)
            transcript = [
                {"who": "resident" if e.type_name == "user" else "bot", "text": e.text, "at": e.timestamp}
                for e in (tracker.events if tracker else [])
                if e.type_name in ("user", "bot") and getattr(e, "text", None)
            ][-50:]
            await asyncio.get_running_loop().run_in_executor(
                None, record_ticket, sender_id, text, reason, transcript
            )
            return response.json(
                collector.messages
                + [
                    {"recipient_id": sender_id, "text": TURN_FAILED},
                    {"recipient_id": sender_id, "custom": Error().custom()},
                ]
            )

        return hook
