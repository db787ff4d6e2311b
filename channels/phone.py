"""The phone: Twilio Programmable Voice webhooks answering with TwiML, in Japanese.

Every webhook is checked with Twilio's RequestValidator against MADOGUCHI_PUBLIC_URL (Twilio
signs the public URL). The call's state (what was offered, how often the caller was silent)
lives in memory, keyed by CallSid.
"""
from __future__ import annotations

import asyncio
import contextvars
import logging
import re
import time
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, List, Optional
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response
from twilio.request_validator import RequestValidator
from twilio.rest import Client
from twilio.twiml.voice_response import VoiceResponse

from channels.base import ChannelServices, InputChannel
from channels.config import GatewayConfig
from channels.http import BadRequest, parse_form, read_body
from channels.rasa import Button, RasaUnavailable, Turn
from channels.voicemail import record_voicemail
from core.conversation import PHONE, build_conversation_id
from core.privacy import mask_pii
from core.settings import load_settings
from core.turn import Kind
from faq.store import FaqStore
from replies.speech import read_phone, shorten, speakable, speakable_en

log = logging.getLogger(__name__)

BASE = "/twilio/voice"
MODES = ("main", "choices", "after", "offer", "confirm")
PHONE_CHOICES = 3  # read aloud: more than three is hard to keep in mind
_JAPANESE_SCRIPT = re.compile(r"[\u3040-\u30ff\u3400-\u9fff]")
REQUEST_HUMAN = "/request_human"
NOT_CONFIGURED = "Twilio is not configured (TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, TWILIO_PHONE_NUMBER)"

ANYTHING_ELSE = "ほかにご質問はありますか。"
ASK_AGAIN = "どうぞ、ご質問をお話しください。"
GOODBYE = "お電話ありがとうございました。失礼いたします。"
NOT_HEARD = "申し訳ありません。お声が聞き取れませんでした。"
OFFER_STAFF = "職員におつなぎする場合は、0を押してください。ご用件がお済みでしたら、このままお切りください。"
BAD_KEY = "申し訳ありません。その番号はご利用いただけません。"
SMS_OFFER = "詳しい案内のホームページを、ショートメッセージでお送りする場合は、1を押してください。"
SMS_SENT = "ショートメッセージをお送りしました。"
SMS_FAILED = "申し訳ありません。ショートメッセージをお送りできませんでした。"
TRANSFER = "担当の職員におつなぎします。そのままお待ちください。"
NO_ANSWER = "申し訳ありません。ただいま担当の職員が電話に出られません。"
RECORD_PROMPT = (
    "発信音のあとに、ご用件とお名前、折り返しのお電話番号をお話しください。"
    "お話しが終わりましたら、シャープを押してください。"
)
RECORDED = "メッセージをお預かりしました。内容を確認のうえ、担当の職員からご連絡します。"
NOT_RECORDED = "メッセージを録音できませんでした。"
NO_MATCH = (
    "申し訳ありません。お答えできる情報が見つかりませんでした。"
    "別の言い方でもう一度お話しいただくか、職員におつなぎする場合は0を押してください。"
)
ERROR = (
    "申し訳ありません。ただいまお答えを準備できませんでした。"
    "もう一度お話しいただくか、職員におつなぎする場合は0を押してください。"
)
SORRY_AGAIN = "失礼しました。もう一度、ご用件をお話しください。"
UNAVAILABLE = "申し訳ありません。ただいま自動案内がご利用いただけません。"
TO_SWITCHBOARD = "代表電話におつなぎします。そのままお待ちください。"
EMERGENCY = "火事・救急は119番、事件・事故は110番へ、今すぐお電話ください。"

# A caller who presses 9 at the start is answered in English: Twilio gathers English speech
# (language en-US), an English voice reads, and the bot answers with the entries' English
# short answers. The language of the call being answered (a contextvar: one per request).
ENGLISH_KEY = "9"
ENGLISH_OFFER = "For English, press 9."
ENGLISH_MENU = "Please ask your question in English, in a few words. To talk to a staff member, press 0."
_LANGUAGE: contextvars.ContextVar[str] = contextvars.ContextVar("phone_language", default="ja")
ENGLISH = {
    ANYTHING_ELSE: "Do you have any other questions?",
    ASK_AGAIN: "Please ask your question.",
    GOODBYE: "Thank you for calling. Goodbye.",
    NOT_HEARD: "Sorry, I could not hear you.",
    OFFER_STAFF: "To talk to a staff member, press 0. If you are finished, you can hang up.",
    BAD_KEY: "Sorry, that number cannot be used.",
    SMS_OFFER: "To get the web page with the details by text message, press 1.",
    SMS_SENT: "We have sent you a text message.",
    SMS_FAILED: "Sorry, we could not send the text message.",
    TRANSFER: "I will connect you to a staff member. Please hold. The staff may speak only Japanese.",
    NO_ANSWER: "Sorry, no staff member can answer the phone right now.",
    RECORD_PROMPT: "After the tone, please say your request, your name and your phone number. Then press the hash key.",
    RECORDED: "We have received your message. A staff member will contact you.",
    NOT_RECORDED: "We could not record your message.",
    NO_MATCH: "Sorry, I could not find an answer. Please say it in other words, or press 0 to talk to a staff member.",
    ERROR: "Sorry, I could not prepare an answer. Please say it again, or press 0 to talk to a staff member.",
    SORRY_AGAIN: "Sorry. Please say your question again.",
    UNAVAILABLE: "Sorry, the automatic guide is not available right now.",
    TO_SWITCHBOARD: "I will connect you to the city office's main number. Please hold. The staff may speak only Japanese.",
    EMERGENCY: "For a fire or an ambulance, call 119. For a crime or an accident, call 110. Please call now.",
}


def in_english() -> bool:
    return _LANGUAGE.get() == "en"


def localized(text: str) -> str:
    """A fixed phone text in the call's language."""
    return ENGLISH.get(text, text) if in_english() else text


FALLBACK_DEFAULT_HINTS = (
    "粗大ごみ", "ごみの分別", "住民票", "戸籍", "印鑑登録", "マイナンバーカード", "国民健康保険",
    "児童手当", "転入", "転出", "引っ越し", "税金", "保育園", "職員と話したい",
)

_YES = re.compile(r"^(はい|ええ|うん|そうです|お願いします|おねがいします|合ってます|あってます|大丈夫です|yes|yeah|sure|right)", re.I)
_NO = re.compile(r"^(いいえ|いえ|違い|ちがい|違う|ちがう|ない|ありません|大丈夫|結構|けっこう|以上|特に|no\b|nope|nothing|that's all)", re.I)
_NONE_OF_THESE = re.compile(r"どれ(に|で)?も|当てはまらない|あてはまらない|違う|ちがう|ない")
_KANJI_NUM = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "いち": 1, "に": 2, "さん": 3, "よん": 4, "し": 4, "ご": 5}
_CHOICE = re.compile(r"^([1-9]|一|二|三|四|五|いち|に|さん|よん|し|ご)\s*(ばん|番|つめ|つ目|番目|ばんめ)")


def spoken_choice(text: str, count: int) -> Optional[int]:
    """「2番」「にばん」「二番目」「3」 -> 2 / 2 / 2 / 3 (1-based), when in range."""
    folded = unicodedata.normalize("NFKC", text).strip().rstrip("。.、です").replace(" ", "")
    number: Optional[int] = None
    if folded.isdigit() and len(folded) == 1:
        number = int(folded)
    else:
        match = _CHOICE.match(folded)
        if match:
            token = match.group(1)
            number = int(token) if token.isdigit() else _KANJI_NUM[token]
        elif folded.startswith("最初"):
            number = 1
        elif folded.startswith("最後"):
            number = count
    return number if number is not None and 1 <= number <= count else None


def e164(number: str) -> str:
    """A Japanese number as Twilio dials it: 「099-000-1000」 -> 「+81990001000」."""
    number = unicodedata.normalize("NFKC", number).split("内線")[0]
    digits = re.sub(r"[^\d+]", "", number)
    if digits.startswith("+"):
        return digits
    if digits.startswith("0"):
        return "+81" + digits[1:]
    return digits


def is_japanese_mobile(number: str) -> bool:
    return bool(re.match(r"^(\+81|0)[789]0\d{8}$", re.sub(r"[^\d+]", "", number or "")))


@dataclass
class Call:
    sid: str
    caller: str = ""
    mode: str = "main"
    prompt: str = ""
    silences: int = 0
    choices: List[Button] = field(default_factory=list)
    answer: Dict[str, object] = field(default_factory=dict)
    pending: str = ""
    handoff: Dict[str, object] = field(default_factory=dict)
    sms_sent: bool = False
    language: str = "ja"  # "en" after the caller pressed 9
    touched: float = field(default_factory=time.time)


def _routes(phone: Callable[[], "PhoneChannel"]) -> APIRouter:
    router = APIRouter()

    @router.post(BASE)
    async def twilio_incoming(request: Request):
        return await phone().incoming(request)

    @router.post(BASE + "/input")
    async def twilio_input(request: Request):
        return await phone().input(request)

    @router.post(BASE + "/silence")
    async def twilio_silence(request: Request):
        return await phone().silence(request)

    @router.post(BASE + "/dial-status")
    async def twilio_dial_status(request: Request):
        return await phone().dial_status(request)

    @router.post(BASE + "/recorded")
    async def twilio_recorded(request: Request):
        return await phone().recorded(request)

    @router.post(BASE + "/transcribed")
    async def twilio_transcribed(request: Request):
        return await phone().transcribed(request)

    @router.post(BASE + "/status")
    async def twilio_status(request: Request):
        return await phone().status(request)

    return router


class PhoneChannel(InputChannel):
    path = "/twilio"
    plain_errors = True

    def __init__(self, config: GatewayConfig, services: ChannelServices) -> None:
        super().__init__(config, services)
        self.validator = RequestValidator(config.twilio_auth_token)
        self.calls: Dict[str, Call] = {}
        self._hints: Optional[str] = None
        self._client: Optional[Client] = None

    def router(self) -> APIRouter:
        return _routes(lambda: self)

    @classmethod
    def unconfigured_router(cls) -> APIRouter:
        def off() -> "PhoneChannel":
            raise BadRequest(503, NOT_CONFIGURED)

        return _routes(off)

    # --- plumbing ---------------------------------------------------------------------

    def url(self, path: str, **query: str) -> str:
        return self.config.url(BASE + path) + (("?" + urlencode(query)) if query else "")

    def call(self, form: Dict[str, str]) -> Call:
        sid = form.get("CallSid") or ""
        if not sid:
            raise BadRequest(400, "missing CallSid")
        now = time.time()
        if len(self.calls) > 5000:
            for key in [k for k, c in self.calls.items() if now - c.touched > 4 * 3600]:
                self.calls.pop(key, None)
        call = self.calls.get(sid)
        if call is None:
            call = self.calls[sid] = Call(sid=sid, caller=form.get("From", ""))
        call.touched = now
        _LANGUAGE.set(call.language)
        return call

    async def verified_form(self, request: Request) -> Dict[str, str]:
        body = await read_body(request, self.config.max_body_bytes)
        signature = request.headers.get("x-twilio-signature")
        if not signature:
            raise BadRequest(403, "missing X-Twilio-Signature")
        form = parse_form(request, body)
        url = self.config.url(request.url.path) + (f"?{request.url.query}" if request.url.query else "")
        if not self.validator.validate(url, form, signature):
            raise BadRequest(403, "invalid X-Twilio-Signature")
        return form

    @property
    def twilio(self) -> Client:
        if self._client is None:
            client = Client(self.config.twilio_account_sid, self.config.twilio_auth_token)
            if self.config.twilio_api_url:
                client.api.base_url = self.config.twilio_api_url
            self._client = client
        return self._client

    def hints(self) -> str:
        """Speech hints: common words, then the FAQ's keywords, categories and departments."""
        if self._hints is None:
            phrases: List[str] = list(FALLBACK_DEFAULT_HINTS)  # common words first, then the FAQ's
            try:
                settings = load_settings()
                if settings.db_url.startswith("sqlite:///"):
                    if not Path(settings.db_url[len("sqlite:///"):]).exists():
                        raise FileNotFoundError(settings.db_url)
                store = FaqStore.from_settings(settings, migrate=False)
                try:
                    for entry in store.iter_all():
                        if entry.status != "published":
                            continue
                        for phrase in (*entry.keywords, entry.category, entry.department):
                            phrase = (phrase or "").strip()
                            if phrase and len(phrase) <= 30 and "," not in phrase and phrase not in phrases:
                                phrases.append(phrase)
                finally:
                    store.close()
            except Exception as error:  # no FAQ database yet: the common words only
                log.info("Speech hints from the FAQ unavailable (%s); using common words", type(error).__name__)
            self._hints = ",".join(phrases[:200])
        return self._hints

    # --- TwiML building blocks ---------------------------------------------------------

    def say(self, parent, text: str) -> None:
        if in_english():
            parent.say(localized(text), voice=self.config.phone_voice_en, language="en-US")
        else:
            parent.say(text, voice=self.config.phone_voice, language=self.config.phone_language)

    def gather(
        self, response: VoiceResponse, call: Call, mode: str, prompt: str, speech: bool = True, prefix: str = "",
        offer_english: bool = False,
    ) -> None:
        """Says `prefix` + `prompt` and waits for speech or a key; `prompt` is what a retry repeats."""
        call.mode, call.prompt = mode, prompt
        english = in_english()
        gather = response.gather(
            input="dtmf speech" if speech else "dtmf",
            language="en-US" if english else self.config.phone_language,
            hints=self.hints() if speech and not english else None,
            action=self.url("/input", mode=mode),
            method="POST",
            num_digits=1,
            timeout=6,
            speech_timeout="auto" if speech else None,
        )
        self.say(gather, localized(prefix) + (" " if english and prefix else "") + localized(prompt))
        if offer_english:
            gather.say(ENGLISH_OFFER, voice=self.config.phone_voice_en, language="en-US")
        response.redirect(self.url("/silence", mode=mode), method="POST")

    def menu_prompt(self) -> str:
        if in_english():
            return ENGLISH_MENU
        keys = "、".join(f"{label}は{key}" for key, label, _ in self.config.phone_menu)
        return f"ご用件を短くお話しください。番号でお選びになる場合は、{keys}、職員とお話しになる場合は0を押してください。"

    def twiml(self, response: VoiceResponse) -> Response:
        return Response(str(response), media_type="text/xml; charset=utf-8")

    def hangup(self, response: VoiceResponse, *texts: str) -> None:
        self.say(response, " ".join(localized(t) for t in texts or (GOODBYE,)) if in_english()
                 else "".join(texts or (GOODBYE,)))
        response.hangup()

    # --- webhooks ---------------------------------------------------------------------

    async def incoming(self, request: Request) -> Response:
        form = await self.verified_form(request)
        call = self.call(form)
        log.info("Incoming call %s from %s", call.sid, mask_pii(call.caller))
        if self._hints is None:  # reads the FAQ database once, off the event loop
            await asyncio.to_thread(self.hints)
        response = VoiceResponse()
        greeting = f"お電話ありがとうございます。{self.config.city.name}、AI案内窓口です。"
        self.gather(response, call, "main", self.menu_prompt(), prefix=greeting, offer_english=True)
        return self.twiml(response)

    async def input(self, request: Request) -> Response:
        form = await self.verified_form(request)
        call = self.call(form)
        mode = request.query_params.get("mode", call.mode)
        if mode not in MODES:
            raise BadRequest(400, f"unknown mode {mode!r}")
        digits = (form.get("Digits") or "").strip()
        speech = (form.get("SpeechResult") or "").strip()
        call.silences = 0
        response = VoiceResponse()
        if digits:
            await self.on_digits(response, call, mode, digits[:1])
        elif speech:
            confidence = _float(form.get("Confidence"))
            await self.on_speech(response, call, mode, speech[: self.config.max_message_chars], confidence)
        else:  # an empty result counts as silence
            return await self._silence(call, mode)
        return self.twiml(response)

    async def silence(self, request: Request) -> Response:
        form = await self.verified_form(request)
        call = self.call(form)
        mode = request.query_params.get("mode", call.mode)
        return await self._silence(call, mode if mode in MODES else "main")

    async def _silence(self, call: Call, mode: str) -> Response:
        call.silences += 1
        response = VoiceResponse()
        if call.silences == 1 and mode != "offer":
            self.gather(response, call, mode, call.prompt or self.menu_prompt(), prefix=NOT_HEARD)
        elif call.silences <= 2 and mode != "offer":
            self.gather(response, call, "offer", OFFER_STAFF, speech=False, prefix=NOT_HEARD)
        else:
            self.hangup(response)
        return self.twiml(response)

    async def dial_status(self, request: Request) -> Response:
        form = await self.verified_form(request)
        call = self.call(form)
        status = form.get("DialCallStatus", "")
        response = VoiceResponse()
        if status == "completed":
            self.hangup(response)
        else:
            log.info("Transfer of %s ended with %s", call.sid, status or "no status")
            self.say(response, NO_ANSWER)
            self.record(response)
        return self.twiml(response)

    async def recorded(self, request: Request) -> Response:
        form = await self.verified_form(request)
        call = self.call(form)
        recording_url = form.get("RecordingUrl", "")
        response = VoiceResponse()
        if recording_url:
            await asyncio.to_thread(
                record_voicemail, call.sid, form.get("From", call.caller), recording_url, None,
                ticket_id=_str_or_none(call.handoff.get("ticket_id")), db_url=self.config.db_url,
            )
            log.info("Voicemail of %s stored", call.sid)
            self.hangup(response, RECORDED, GOODBYE)
        else:
            self.hangup(response, NOT_RECORDED, GOODBYE)
        return self.twiml(response)

    async def transcribed(self, request: Request) -> Response:
        form = await self.verified_form(request)
        sid = form.get("CallSid") or ""
        if not sid:
            raise BadRequest(400, "missing CallSid")
        call = self.calls.get(sid)
        text = form.get("TranscriptionText") if form.get("TranscriptionStatus") == "completed" else None
        await asyncio.to_thread(
            record_voicemail, sid, form.get("From", call.caller if call else ""), form.get("RecordingUrl", ""),
            text or "", ticket_id=_str_or_none(call.handoff.get("ticket_id")) if call else None,
            db_url=self.config.db_url,
        )
        return self.twiml(VoiceResponse())

    async def status(self, request: Request) -> Response:
        form = await self.verified_form(request)
        if form.get("CallStatus") in ("completed", "failed", "busy", "no-answer", "canceled"):
            self.calls.pop(form.get("CallSid", ""), None)
        return self.twiml(VoiceResponse())

    # --- the conversation -------------------------------------------------------------

    async def on_digits(self, response: VoiceResponse, call: Call, mode: str, key: str) -> None:
        if key == ENGLISH_KEY and mode == "main" and call.language == "ja":
            call.language = "en"
            _LANGUAGE.set("en")
            self.gather(response, call, "main", ENGLISH_MENU)
            return
        if key == "0":
            await self.ask(response, call, REQUEST_HUMAN, staff=True)
        elif mode == "choices" and key.isdigit() and 1 <= int(key) <= len(call.choices):
            await self.ask(response, call, call.choices[int(key) - 1].payload)
        elif mode == "after" and key == "1" and self._sms_possible(call):
            await self.send_sms(response, call)
        elif mode == "confirm" and key in "12":
            if key == "1":
                await self.ask(response, call, call.pending)
            else:
                self.gather(response, call, "main", SORRY_AGAIN)
        elif mode in ("main", "after") and key in {k for k, _, _ in self.config.phone_menu}:
            query = next(q for k, _, q in self.config.phone_menu if k == key)
            await self.ask(response, call, query)
        else:
            self.gather(response, call, mode, call.prompt or self.menu_prompt(), speech=mode != "offer", prefix=BAD_KEY)

    async def on_speech(
        self, response: VoiceResponse, call: Call, mode: str, speech: str, confidence: Optional[float]
    ) -> None:
        short = len(speech) <= 12
        if mode == "choices" and call.choices:
            number = spoken_choice(speech, len(call.choices))
            if number is None and short and _NONE_OF_THESE.search(speech):
                last = call.choices[-1]
                if "当てはまらない" in last.title or last.payload == "/deny":
                    number = len(call.choices)
            if number is not None:
                await self.ask(response, call, call.choices[number - 1].payload)
                return
        if mode == "confirm" and short:
            if _YES.match(speech):
                await self.ask(response, call, call.pending)
                return
            if _NO.match(speech):
                self.gather(response, call, "main", SORRY_AGAIN)
                return
        if mode == "after" and short:
            if _NO.match(speech):
                self.hangup(response)
                return
            if _YES.match(speech):
                self.gather(response, call, "main", ASK_AGAIN)
                return
        threshold = self.config.speech_confidence_threshold
        if confidence is not None and confidence < threshold and mode != "confirm":
            call.pending = speech
            if in_english():
                heard = speakable_en(speech, 120).rstrip(".!?")
                prompt = f'I heard: "{heard}". If that is right, press 1 or say yes. To say it again, press 2 or say no.'
            else:
                heard = shorten(speakable(speech), 60).rstrip("。、！？")
                prompt = f"「{heard}」とお聞きしました。よろしければ1を、言い直す場合は2を押すか、はい、いいえでお答えください。"
            self.gather(response, call, "confirm", prompt)
            return
        await self.ask(response, call, speech)

    async def ask(self, response: VoiceResponse, call: Call, text: str, staff: bool = False) -> None:
        try:
            turn = await self.services.ask(build_conversation_id(PHONE, call.sid), text, timeout=self.config.phone_rasa_timeout,
                                          language=None if call.language == "ja" else call.language)
        except RasaUnavailable:
            self.unavailable(response, call)
            return
        self.render(response, call, turn, staff=staff)

    def unavailable(self, response: VoiceResponse, call: Call) -> None:
        self.say(response, UNAVAILABLE)
        if self.services.office_open():
            self.transfer(response, call, self.config.city.switchboard, intro=TO_SWITCHBOARD)
        elif in_english():
            digits = " ".join(ch for ch in self.config.city.switchboard if ch.isdigit())
            self.hangup(response, f"Please call the city office's main number, {digits}, during office hours. {localized(GOODBYE)}")
        else:
            city = self.config.city
            self.hangup(
                response,
                f"恐れ入りますが、{city.hours_text}に、代表電話 {read_phone(city.switchboard)} へおかけ直しください。{GOODBYE}",
            )

    def render(self, response: VoiceResponse, call: Call, turn: Turn, staff: bool = False) -> None:
        kind = turn.kind
        custom = turn.custom
        if kind.hands_off or (staff and kind in (Kind.TEXT, Kind.EMPTY)) or kind == Kind.EMPTY:
            self.handoff(response, call, turn)
            return
        if kind == Kind.EMERGENCY:
            said = " ".join(turn.texts) or EMERGENCY
            if in_english():  # the English reply, without its Japanese reminder in brackets
                self.hangup(response, speakable_en(re.sub(r"\s*[(（][^()（）]*[)）]\s*$", "", localized(said))))
            else:
                self.hangup(response, speakable(said))
            return
        if kind in (Kind.ANSWER, Kind.PASSAGE):
            call.answer = dict(custom)
            call.sms_sent = False
            if kind == Kind.PASSAGE:  # a sentence of the city's page, and which page
                spoken = speakable(f"{custom.get('title') or '市のホームページ'}によると、{custom.get('spoken') or ''}")
            else:
                text = str(custom.get("short_answer") or custom.get("answer") or " ".join(turn.texts[:1]))
                spoken = speakable_en(text) if in_english() and custom.get("answer_language") == "en" else speakable(text)
            self.say(response, spoken)
            self.gather(response, call, "after", ANYTHING_ELSE, prefix=SMS_OFFER if self._sms_possible(call) else "")
            return
        choices = turn.choices if kind == Kind.CHOICES else [b for b in turn.buttons if b.payload not in ("/affirm", "/deny")]
        if choices:
            entries = [b for b in choices if b.payload != "/deny"]
            if in_english():  # an English voice cannot read a Japanese title
                entries = [b for b in entries if not _JAPANESE_SCRIPT.search(b.title)]
                if not entries:
                    self.gather(response, call, "main", NO_MATCH)
                    return
            call.choices = entries[:PHONE_CHOICES] + [b for b in choices if b.payload == "/deny"][:1]
            if in_english():
                intro = speakable_en(turn.texts[0], 120) if turn.texts else "Please choose the closest one."
                listing = " ".join(f"{i}: {speakable_en(b.title, 80)}" for i, b in enumerate(call.choices, 1))
                self.gather(response, call, "choices", f"{intro} {listing} Press the number, or say it.")
                return
            intro = speakable(turn.texts[0], 60) if turn.texts else "次のうち、お近いものをお選びください。"
            listing = "".join(f"{i}番、{speakable(b.title, 40).rstrip('。')}。" for i, b in enumerate(call.choices, 1))
            self.gather(response, call, "choices", f"{intro}{listing}番号を押すか、番号でお答えください。")
            return
        if kind == Kind.NO_MATCH:
            self.gather(response, call, "main", NO_MATCH)
            return
        if kind == Kind.ERROR:
            self.gather(response, call, "main", ERROR)
            return
        spoken = speakable(" ".join(turn.texts)) if turn.texts else ""
        if "ご質問" in spoken[-20:]:
            self.gather(response, call, "main", spoken)
        else:
            self.gather(response, call, "main", spoken + ANYTHING_ELSE if spoken else ASK_AGAIN)

    def handoff(self, response: VoiceResponse, call: Call, turn: Turn) -> None:
        custom = turn.custom
        call.handoff = dict(custom)
        in_hours = custom.get("in_hours")
        if in_hours is None:
            in_hours = self.services.office_open()
        number = str(custom.get("transfer_phone") or self.config.city.switchboard)
        if in_hours:
            self.transfer(response, call, number)
        else:
            back_at = str(custom.get("back_at") or "")
            when = f"{back_at}以降に、" if back_at else ""
            self.say(
                response,
                "The office is closed now, so I cannot connect you to a staff member. A staff member will check your message."
                if in_english() else f"ただいま開庁時間外のため、職員におつなぎできません。{when}担当の職員が確認します。",
            )
            self.record(response)

    def transfer(self, response: VoiceResponse, call: Call, number: str, intro: str = TRANSFER) -> None:
        self.say(response, intro)
        dial = response.dial(
            caller_id=self.config.twilio_phone_number or None,
            action=self.url("/dial-status"),
            method="POST",
            timeout=30,
        )
        dial.number(e164(number))
        log.info("Transferring %s to %s", call.sid, number)

    def record(self, response: VoiceResponse) -> None:
        self.say(response, RECORD_PROMPT)
        response.record(
            action=self.url("/recorded"),
            method="POST",
            max_length=120,
            timeout=5,
            finish_on_key="#",
            play_beep=True,
            transcribe=True,
            transcribe_callback=self.url("/transcribed"),
        )
        self.hangup(response, NOT_RECORDED, GOODBYE)

    # --- SMS ----------------------------------------------------------------------------

    def _sms_possible(self, call: Call) -> bool:
        return bool(
            call.answer.get("url") and not call.sms_sent
            and self.config.twilio_phone_number and is_japanese_mobile(call.caller)
        )

    async def send_sms(self, response: VoiceResponse, call: Call) -> None:
        question = str(call.answer.get("question") or call.answer.get("title") or "お問い合わせの件")
        body = f"{self.config.city.name}からのご案内です。\n{question}\n{call.answer.get('url')}"
        try:
            await asyncio.to_thread(
                self.twilio.messages.create,
                to=call.caller, from_=self.config.twilio_phone_number, body=body,
            )
            call.sms_sent = True
            log.info("SMS with the answer's URL sent for %s", call.sid)
            text = SMS_SENT
        except Exception as error:
            log.warning("SMS for %s failed: %s", call.sid, type(error).__name__)
            text = SMS_FAILED
        self.gather(response, call, "after", ANYTHING_ELSE, prefix=text)


def _float(value: Optional[str]) -> Optional[float]:
    try:
        return float(value) if value not in (None, "") else None
    except ValueError:
        return None


def _str_or_none(value: object) -> Optional[str]:
    return None if value in (None, "") else str(value)
