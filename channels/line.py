"""LINE Messaging API channel (line-bot-sdk v3).

The webhook checks X-Line-Signature, answers 200 at once and works after: reply token first,
push when the reply fails. Redelivered events are dropped by webhookEventId.
"""
from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections import OrderedDict
from typing import Callable, Dict, List, Optional, Sequence

from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse, Response
from linebot.v3.exceptions import InvalidSignatureError
from linebot.v3.messaging import (
    ApiException,
    AsyncApiClient,
    AsyncMessagingApi,
    Configuration,
    FlexBox,
    FlexBubble,
    FlexButton,
    FlexMessage,
    FlexText,
    Message,
    MessageAction,
    PostbackAction,
    PushMessageRequest,
    QuickReply,
    QuickReplyItem,
    ReplyMessageRequest,
    ShowLoadingAnimationRequest,
    TextMessage,
    URIAction,
)
from linebot.v3.webhook import WebhookParser
from linebot.v3.webhooks import (
    AudioMessageContent,
    FileMessageContent,
    FollowEvent,
    ImageMessageContent,
    LocationMessageContent,
    MessageEvent,
    PostbackEvent,
    StickerMessageContent,
    TextMessageContent,
    UnfollowEvent,
    UserSource,
    VideoMessageContent,
)

from channels import texts
from channels.base import ChannelServices, InputChannel
from channels.config import GatewayConfig
from channels.http import BadRequest, decode_utf8, read_body
from channels.rasa import Button, RasaUnavailable, Turn
from core.conversation import LINE, build_conversation_id
from core.turn import Kind
from faq.language import JAPANESE, detect_safely, normalize_language
from core.privacy import mask_pii
from replies.line import MAX_MESSAGES, fit_texts

log = logging.getLogger(__name__)

# LINE's limits (the texts' in replies.line)
MAX_QUICK_REPLIES = 13
MAX_LABEL = 20
MAX_DISPLAY_TEXT = 300
MAX_POSTBACK_DATA = 300

NOT_CONFIGURED = "LINE is not configured (LINE_CHANNEL_SECRET, LINE_CHANNEL_ACCESS_TOKEN)"

def _label(text: str, limit: int = MAX_LABEL) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def greeting_messages(config: GatewayConfig, language: Optional[str] = None) -> List[TextMessage]:
    """The greeting of a new friend; in Japanese with the city's (Japanese) topics as buttons."""
    text = texts.text("greeting", language, city=config.city.name)
    topics = config.line_topics if (normalize_language(language) or JAPANESE) == JAPANESE else ()
    items = [
        QuickReplyItem(action=MessageAction(label=_label(topic), text=topic))
        for topic in topics[:MAX_QUICK_REPLIES]
    ]
    return [TextMessage(text=text, quick_reply=QuickReply(items=items) if items else None)]


def quick_reply(buttons: Sequence[Button], numbered: bool = False) -> Optional[QuickReply]:
    items = []
    seen = set()
    for index, button in enumerate(buttons, 1):
        if button.payload in seen and button.payload not in ("/deny",):
            continue
        seen.add(button.payload)
        label = f"{index}. {button.title}" if numbered else button.title
        if len(button.payload) <= MAX_POSTBACK_DATA:
            action = PostbackAction(
                label=_label(label), data=button.payload, display_text=button.title[:MAX_DISPLAY_TEXT]
            )
        else:  # too long for a postback: send the title as the resident's words
            action = MessageAction(label=_label(label), text=button.title[:MAX_DISPLAY_TEXT])
        items.append(QuickReplyItem(action=action))
        if len(items) == MAX_QUICK_REPLIES:
            break
    return QuickReply(items=items) if items else None


def passage_message(custom: Dict[str, object]) -> Optional[FlexMessage]:
    """A passage of the city's pages as a bubble: the page's title, its words, a link button."""
    title, text, url = (str(custom.get(k) or "") for k in ("title", "text", "url"))
    if not text or not url.startswith(("https://", "http://")) or len(url) > 1000:
        return None
    body = [FlexText(text=title[:200], weight="bold", wrap=True)] if title else []
    body.append(FlexText(text=text[:2000], wrap=True, size="sm"))
    bubble = FlexBubble(
        body=FlexBox(layout="vertical", spacing="md", contents=body),
        footer=FlexBox(layout="vertical", contents=[
            FlexButton(action=URIAction(label=_label(texts.text("open_page", custom.get("language"))), uri=url),
                       style="primary"),
        ]),
    )
    return FlexMessage(alt_text=_label(f"{title}：{text}" if title else text, 400), contents=bubble)


def render_turn(turn: Turn) -> List[Message]:
    """A bot turn as LINE messages: texts, choices listed with numbers, buttons as quick replies;
    a passage as a bubble with a link button."""
    if turn.kind == Kind.PASSAGE and turn.bubbles:
        bubble = passage_message(turn.custom)
        if bubble is not None:  # replaces the passage's text; 「解決しましたか？」 follows
            return [bubble] + render_turn(Turn(bubbles=turn.bubbles[1:]))
    choices = turn.kind == Kind.CHOICES
    out_texts: List[str] = []
    buttons: List[Button] = []
    hints = {b.payload: b.hint for b in turn.choices} if choices else {}
    for bubble in turn.bubbles:
        text = bubble.text
        if choices and bubble.buttons:
            listing = "\n".join(
                f"{i}. {b.title}" + (f"\n　（{hints[b.payload]}）" if hints.get(b.payload) else "")
                for i, b in enumerate(bubble.buttons, 1)
            )
            text = f"{text}\n\n{listing}" if text else listing
        if text:
            out_texts.append(text)
        buttons.extend(bubble.buttons)
    if choices and not buttons and turn.choices:
        buttons = turn.choices
        listing = "\n".join(f"{i}. {b.title}" for i, b in enumerate(buttons, 1))
        out_texts.append(listing)
    if not out_texts:
        return []
    messages = [TextMessage(text=text) for text in fit_texts(out_texts)]
    if buttons:
        messages[-1] = TextMessage(text=messages[-1].text, quick_reply=quick_reply(buttons, numbered=choices))
    return messages


def staff_messages(config: GatewayConfig, text: str, language: Optional[str] = None) -> List[TextMessage]:
    header = f"【{config.city.name} {texts.text('staff_label', language)}】\n"
    return [TextMessage(text=piece) for piece in fit_texts([header + text])]


def _routes(line: Callable[[], "LineChannel"]) -> APIRouter:
    router = APIRouter()

    @router.post("/line/webhook")
    async def line_webhook(request: Request):
        return await line().webhook(request)

    return router


class LineChannel(InputChannel):
    path = "/line"
    plain_errors = True

    def __init__(self, config: GatewayConfig, services: ChannelServices) -> None:
        super().__init__(config, services)
        self.parser = WebhookParser(config.line_channel_secret)
        self._seen: "OrderedDict[str, float]" = OrderedDict()
        self._tasks: set = set()
        self._locks: Dict[str, asyncio.Lock] = {}
        self._client: Optional[AsyncApiClient] = None
        self._api: Optional[AsyncMessagingApi] = None
        self._languages: "OrderedDict[str, Optional[str]]" = OrderedDict()  # LINE profile language

    def router(self) -> APIRouter:
        return _routes(lambda: self)

    @classmethod
    def unconfigured_router(cls) -> APIRouter:
        def off() -> "LineChannel":
            raise BadRequest(503, NOT_CONFIGURED)

        return _routes(off)

    @property
    def api(self) -> AsyncMessagingApi:
        if self._api is None:
            configuration = Configuration(access_token=self.config.line_channel_access_token)
            self._client = AsyncApiClient(configuration)
            self._api = AsyncMessagingApi(self._client)
            self._api.line_base_path = self.config.line_api_url
        return self._api

    async def close(self) -> None:
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=10)
        if self._client is not None:
            await self._client.close()
            self._client = None
            self._api = None

    async def idle(self, timeout: float = 30) -> None:
        """Waits until the events received so far are handled (tests and shutdown)."""
        deadline = time.monotonic() + timeout
        while self._tasks and time.monotonic() < deadline:
            await asyncio.wait(list(self._tasks), timeout=max(0.01, deadline - time.monotonic()))

    # --- the webhook ------------------------------------------------------------------

    async def webhook(self, request: Request) -> Response:
        signature = request.headers.get("x-line-signature")
        body = await read_body(request, self.config.max_body_bytes)
        if not signature:
            raise BadRequest(400, "missing X-Line-Signature")
        text = decode_utf8(body)
        if not self.parser.signature_validator.validate(text, signature):
            raise BadRequest(400, "invalid X-Line-Signature")
        try:
            events = self.parser.parse(text, signature)
        except InvalidSignatureError:
            raise BadRequest(400, "invalid X-Line-Signature") from None
        except Exception as error:
            raise BadRequest(400, f"unreadable LINE payload ({type(error).__name__})") from None
        for event in events:
            event_id = getattr(event, "webhook_event_id", None)
            if event_id:
                if event_id in self._seen:
                    log.info("LINE event %s already handled (redelivery): skipped", event_id)
                    continue
                self._seen[event_id] = time.time()
                while len(self._seen) > 20000:
                    self._seen.popitem(last=False)
            task = asyncio.create_task(self._handle_safely(event))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return PlainTextResponse("OK")

    def _user_lock(self, event) -> asyncio.Lock:
        """Events of one user are handled in order (answers must not overtake each other)."""
        user_id = getattr(getattr(event, "source", None), "user_id", None) or ""
        if len(self._locks) > 10000:
            for key in [k for k, v in self._locks.items() if not v.locked()][:5000]:
                self._locks.pop(key, None)
        return self._locks.setdefault(user_id, asyncio.Lock())

    async def _handle_safely(self, event) -> None:
        try:
            async with self._user_lock(event):
                await self.handle(event)
        except Exception:
            log.exception("LINE event %s failed", getattr(event, "webhook_event_id", "?"))

    # --- events -----------------------------------------------------------------------

    async def handle(self, event) -> None:
        source = getattr(event, "source", None)
        if not isinstance(source, UserSource) or not source.user_id:
            log.debug("LINE event from a group or room ignored")
            return
        user_id = source.user_id
        conversation_id = build_conversation_id(LINE, user_id)
        reply_token = getattr(event, "reply_token", None)
        if isinstance(event, FollowEvent):
            await self.send(user_id, reply_token, greeting_messages(self.config, await self.profile_language(user_id)))
        elif isinstance(event, UnfollowEvent):
            self.services.desk.end(conversation_id)
        elif isinstance(event, PostbackEvent):
            data = (event.postback.data or "").strip() if event.postback else ""
            if data:  # a payload: its letters tell nothing of the resident's language
                await self.converse(user_id, reply_token, data, written=False)
        elif isinstance(event, MessageEvent):
            message = event.message
            if isinstance(message, TextMessageContent):
                await self.converse(user_id, reply_token, message.text or "")
            else:
                kind = (
                    "sticker" if isinstance(message, StickerMessageContent)
                    else "location" if isinstance(message, LocationMessageContent)
                    else "audio" if isinstance(message, AudioMessageContent)
                    else "image" if isinstance(message, (ImageMessageContent, VideoMessageContent, FileMessageContent))
                    else "image"
                )
                language = await self.profile_language(user_id)
                await self.send(user_id, reply_token, [TextMessage(text=texts.text(kind, language))])

    async def converse(self, user_id: str, reply_token: Optional[str], text: str, written: bool = True) -> None:
        """`written`: the resident's own words (their language may be detected), not a button's payload."""
        text = text.strip()
        if not text:
            return
        if len(text) > self.config.max_message_chars:
            language = await self.resident_language(user_id, text)
            await self.send(user_id, reply_token, [TextMessage(text=texts.text("too_long", language))])
            return
        await self.show_loading(user_id)
        try:
            turn = await self.services.ask(build_conversation_id(LINE, user_id), text, language=await self.profile_language(user_id))
        except RasaUnavailable:
            language = await self.resident_language(user_id, text if written else "")
            await self.send(user_id, reply_token, [TextMessage(text=texts.unavailable(self.config.city, language))])
            return
        messages = render_turn(turn)
        if messages:
            await self.send(user_id, reply_token, messages)

    async def resident_language(self, user_id: str, text: str = "") -> Optional[str]:
        """For the gateway's own texts: the language of the resident's message when it has
        letters, else their LINE app's."""
        written = await asyncio.to_thread(detect_safely, text[:500]) if text else None
        return written or await self.profile_language(user_id)

    async def profile_language(self, user_id: str) -> Optional[str]:
        """The language of the resident's LINE app (profile), when LINE tells it; asked once
        per user. The message's own language still wins in the actions."""
        if user_id in self._languages:
            return self._languages[user_id]
        language = None
        try:
            profile = await self.api.get_profile(user_id)
            language = normalize_language(getattr(profile, "language", None))
        except Exception as error:  # noqa: BLE001 - no profile: the message's language decides
            log.info("LINE profile of %s unavailable: %s", mask_pii(user_id), type(error).__name__)
        self._languages[user_id] = language
        while len(self._languages) > 20000:
            self._languages.popitem(last=False)
        return language

    # --- sending ----------------------------------------------------------------------

    async def show_loading(self, user_id: str, seconds: int = 20) -> None:
        try:
            await self.api.show_loading_animation(
                ShowLoadingAnimationRequest(chat_id=user_id, loading_seconds=seconds), _request_timeout=5
            )
        except Exception as error:  # only a courtesy
            log.debug("LINE loading animation failed: %s", error)

    async def send(self, to: str, reply_token: Optional[str], messages: List[TextMessage]) -> str:
        """Replies with the token; pushes when there is none or the reply fails. Returns how it went."""
        messages = messages[:MAX_MESSAGES]
        if reply_token:
            try:
                await self.api.reply_message(
                    ReplyMessageRequest(reply_token=reply_token, messages=messages), _request_timeout=10
                )
                return "reply"
            except ApiException as error:
                log.warning("LINE reply failed (HTTP %s); pushing instead", error.status)
            except Exception as error:
                log.warning("LINE reply failed (%s); pushing instead", type(error).__name__)
        return await self.push(to, messages)

    async def push(self, to: str, messages: List[TextMessage]) -> str:
        try:
            await self.api.push_message(
                PushMessageRequest(to=to, messages=messages[:MAX_MESSAGES]),
                x_line_retry_key=str(uuid.uuid4()),
                _request_timeout=10,
            )
            return "push"
        except ApiException as error:
            log.error("LINE push to %s failed (HTTP %s): %s", build_conversation_id(LINE, to), error.status, mask_pii(str(error.body)[:200]))
        except Exception as error:
            log.error("LINE push to %s failed: %s", build_conversation_id(LINE, to), type(error).__name__)
        return "failed"

    async def deliver_staff(self, user_id: str, text: str) -> bool:
        language = await self.profile_language(user_id)
        return await self.push(user_id, staff_messages(self.config, text, language)) == "push"
