"""Gateway configuration: environment variables first, then an optional YAML file.

Credentials use the names of LINE's and Twilio's own samples:
LINE_CHANNEL_SECRET, LINE_CHANNEL_ACCESS_TOKEN, TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN,
TWILIO_PHONE_NUMBER. The file (MADOGUCHI_CHANNELS_CONFIG, default {home}/channels.yml) may
hold the same values under `line:`, `twilio:` and top-level keys (see docs in README).
"""
from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import yaml

from core.office import Office
from core.settings import Settings, SettingError, load_settings, number, read

log = logging.getLogger(__name__)

DEFAULT_TOPICS = ("粗大ごみの出し方", "ごみの分別", "住民票の取り方", "マイナンバーカード", "児童手当", "職員と話したい")
# DTMF main menu of the phone: key -> (what the caller hears, what is sent to the bot)
DEFAULT_PHONE_MENU = (
    ("1", "ごみの出し方", "ごみの出し方"),
    ("2", "住民票などの証明書", "住民票の取り方"),
    ("3", "税金", "税金の納め方"),
)


@dataclass(frozen=True)
class City:
    name: str = "ひだまり市"
    switchboard: str = "099-000-1000"
    hours_text: str = "平日8時30分から17時15分"


@dataclass(frozen=True)
class GatewayConfig:
    rasa_url: str
    public_url: str
    home: Path
    db_url: str = ""  # the app database (tickets); empty: the settings' default
    host: str = "127.0.0.1"
    port: int = 8000
    rasa_timeout: float = 25.0
    phone_rasa_timeout: float = 10.0  # Twilio waits 15 s for a webhook answer
    max_body_bytes: int = 256 * 1024
    max_message_chars: int = 1000
    web_frame_ancestors: str = ""  # CSP frame-ancestors of the widget page; empty: any site may embed it
    city: City = field(default_factory=City)
    # LINE
    line_channel_secret: str = ""
    line_channel_access_token: str = ""
    line_api_url: str = "https://api.line.me"
    line_topics: Tuple[str, ...] = DEFAULT_TOPICS
    # Twilio
    twilio_account_sid: str = ""
    twilio_auth_token: str = ""
    twilio_phone_number: str = ""
    twilio_api_url: str = ""  # empty: Twilio's own (tests point it at a fake)
    phone_voice: str = "Polly.Mizuki"
    phone_language: str = "ja-JP"
    phone_voice_en: str = "Polly.Joanna"  # callers who press 9 for English
    phone_menu: Tuple[Tuple[str, str, str], ...] = DEFAULT_PHONE_MENU
    speech_confidence_threshold: float = 0.5
    # staff API (deliver_staff_message over HTTP); empty: disabled
    staff_api_token: str = ""

    @property
    def line_enabled(self) -> bool:
        return bool(self.line_channel_secret and self.line_channel_access_token)

    @property
    def twilio_enabled(self) -> bool:
        return bool(self.twilio_auth_token and self.twilio_account_sid and self.twilio_phone_number)

    def line_missing(self) -> List[str]:
        return [name for name, value in (
            ("LINE_CHANNEL_SECRET", self.line_channel_secret),
            ("LINE_CHANNEL_ACCESS_TOKEN", self.line_channel_access_token),
        ) if not value]

    def twilio_missing(self) -> List[str]:
        return [name for name, value in (
            ("TWILIO_ACCOUNT_SID", self.twilio_account_sid),
            ("TWILIO_AUTH_TOKEN", self.twilio_auth_token),
            ("TWILIO_PHONE_NUMBER", self.twilio_phone_number),
        ) if not value]

    def url(self, path: str) -> str:
        return self.public_url.rstrip("/") + path

    def with_(self, **changes: Any) -> "GatewayConfig":
        return replace(self, **changes)


def _load_file(path: Optional[Path]) -> Dict[str, Any]:
    if path is None or not path.is_file():
        return {}
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError, UnicodeDecodeError) as error:
        raise SettingError(f"Cannot read the channels config {path}: {error}") from None
    if not isinstance(data, dict):
        raise SettingError(f"The channels config {path} must be a mapping")
    return data


def _clock(value) -> str:
    return f"{value.hour}時" + (f"{value.minute}分" if value.minute else "")


def hours_text(hours: Dict[int, Tuple[Any, Any]]) -> Optional[str]:
    """Office hours as a resident hears them: 「平日8時30分から17時15分」."""
    spans = set(hours.values())
    if len(spans) != 1:
        return None
    opens, closes = spans.pop()
    days = sorted(hours)
    if days == [0, 1, 2, 3, 4]:
        when = "平日"
    elif days == list(range(7)):
        when = "毎日"
    else:
        return None
    return f"{when}{_clock(opens)}から{_clock(closes)}"


def _city() -> City:
    try:
        office = Office.load()
        return City(
            name=office.city or City.name,
            switchboard=office.switchboard or City.switchboard,
            hours_text=hours_text(office.hours) or City.hours_text,
        )
    except Exception:  # office.yml missing or invalid: the defaults of the sample city
        return City()


def load_config(settings: Optional[Settings] = None, env: Optional[Dict[str, str]] = None) -> GatewayConfig:
    settings = settings or load_settings()
    env = dict(os.environ if env is None else env)
    file_path = read("MADOGUCHI_CHANNELS_CONFIG", settings.home / "channels.yml", Path, env)
    data = _load_file(file_path)
    line = data.get("line") or {}
    twilio = data.get("twilio") or {}

    def from_file(section: Dict[str, Any], key: str, default: str = "") -> str:
        value = section.get(key)
        return str(value).strip() if value not in (None, "") else default

    def pick(env_name: str, section: Dict[str, Any], key: str, default: str = "") -> str:
        return read(env_name, "", env=env) or from_file(section, key, default)

    def decimal(env_name: str, key: str, default: float) -> float:
        value = read(env_name, None, number, env)
        if value is None:  # the file's value, checked as if it came from the variable
            value = read(env_name, default, number, {env_name: from_file(data, key)})
        return value

    default_public = f"http://127.0.0.1:{settings.app_port}"
    topics = data.get("line_topics") or line.get("topics")
    menu = data.get("phone_menu") or twilio.get("menu")
    config = GatewayConfig(
        rasa_url=settings.rasa_url,
        public_url=pick("MADOGUCHI_PUBLIC_URL", data, "public_url", default_public).rstrip("/"),
        home=settings.home,
        db_url=settings.db_url,
        host=settings.host,
        port=settings.app_port,
        rasa_timeout=decimal("MADOGUCHI_RASA_TIMEOUT", "rasa_timeout", 25.0),
        phone_rasa_timeout=decimal("MADOGUCHI_PHONE_RASA_TIMEOUT", "phone_rasa_timeout", 10.0),
        city=_city(),
        line_channel_secret=pick("LINE_CHANNEL_SECRET", line, "channel_secret"),
        line_channel_access_token=pick("LINE_CHANNEL_ACCESS_TOKEN", line, "channel_access_token"),
        line_api_url=pick("MADOGUCHI_LINE_API_URL", line, "api_url", "https://api.line.me").rstrip("/"),
        line_topics=tuple(str(t) for t in topics) if topics else DEFAULT_TOPICS,
        twilio_account_sid=pick("TWILIO_ACCOUNT_SID", twilio, "account_sid"),
        twilio_auth_token=pick("TWILIO_AUTH_TOKEN", twilio, "auth_token"),
        twilio_phone_number=pick("TWILIO_PHONE_NUMBER", twilio, "phone_number"),
        twilio_api_url=pick("MADOGUCHI_TWILIO_API_URL", twilio, "api_url").rstrip("/"),
        phone_voice=pick("MADOGUCHI_PHONE_VOICE", twilio, "voice", "Polly.Mizuki"),
        phone_voice_en=pick("MADOGUCHI_PHONE_VOICE_EN", twilio, "voice_en", "Polly.Joanna"),
        phone_menu=tuple((str(k), str(label), str(query)) for k, label, query in menu) if menu else DEFAULT_PHONE_MENU,
        speech_confidence_threshold=decimal("MADOGUCHI_SPEECH_CONFIDENCE", "speech_confidence", 0.5),
        staff_api_token=pick("MADOGUCHI_STAFF_API_TOKEN", data, "staff_api_token"),
        web_frame_ancestors=pick("MADOGUCHI_WEB_FRAME_ANCESTORS", data, "web_frame_ancestors"),
    )
    return config
