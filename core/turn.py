"""The turn contract: what a bot turn means, for the channels.

Each turn of the actions carries a machine-readable part, sent by Rasa as a message's custom JSON:
{"madoguchi": {"kind": "answer", ...fields}}. `Kind` names what the turn is; the payload classes
name the fields each kind carries (the writers' side); `read_part` reads a message's custom JSON
back, never failing on what it does not know (the channels' side).

Standard library only: the Rasa environment imports it too (bot/channel.py).
"""
from __future__ import annotations

import enum
from dataclasses import dataclass, fields
from typing import Any, ClassVar, Dict, List, Mapping, Optional

KEY = "madoguchi"  # the key of our part in a message's custom JSON


class Kind(str, enum.Enum):
    ANSWER = "answer"  # an FAQ entry, or a follow-up on it (「電話番号は？」)
    CHOICES = "choices"  # entries to choose from
    PASSAGE = "passage"  # a passage of the city's pages
    NO_MATCH = "no_match"  # nothing found (or out of scope): asks again or offers a person
    HANDOFF = "handoff"  # staff take over (office hours)
    AFTER_HOURS = "after_hours"  # no staff now: the resident may leave a message
    EMERGENCY = "emergency"  # 119 / 110 and nothing else (bot/domain.yml utter_emergency)
    ERROR = "error"  # the turn failed (an action, or the action server)
    # Read side only, for a turn without our part: some text, or nothing at all (paused for staff).
    TEXT = "text"
    EMPTY = "empty"

    def __str__(self) -> str:
        return self.value

    @property
    def hands_off(self) -> bool:
        """Whether the conversation goes to staff."""
        return self in (Kind.HANDOFF, Kind.AFTER_HOURS)


WRITTEN_KINDS = frozenset(Kind) - {Kind.TEXT, Kind.EMPTY}


def parse_kind(value: Any) -> Optional[Kind]:
    """The kind `value` names, or None (missing, unknown, not a string)."""
    if isinstance(value, Kind):
        return value
    try:
        return Kind(value) if isinstance(value, str) else None
    except ValueError:
        return None


def turn_custom(kind: Kind, **values: Any) -> Dict[str, Any]:
    """A message's custom JSON: {"madoguchi": {"kind": ..., **values}}."""
    if not isinstance(kind, Kind) or kind not in WRITTEN_KINDS:
        raise ValueError(f"not a kind a turn is written with: {kind!r}")
    return {KEY: {"kind": kind.value, **values}}


@dataclass(frozen=True)
class Part:
    """Our part of a turn as read: its kind and the other fields as sent."""

    kind: Optional[Kind]  # None: missing or unknown (see `named`)
    named: Any  # the "kind" value as sent
    values: Dict[str, Any]  # everything but the kind

    @property
    def is_known(self) -> bool:
        return self.kind is not None


def read_part(custom: Any) -> Optional[Part]:
    """Our part of a message's custom JSON, or None when the message has none."""
    if not isinstance(custom, Mapping) or not isinstance(custom.get(KEY), Mapping):
        return None
    raw = dict(custom[KEY])
    named = raw.pop("kind", None)
    return Part(parse_kind(named), named, raw)


# ---- payloads: the fields of each kind -------------------------------------------------------
# `language`: the resident's language (ja en zh ko vi pt), when the writer knows it.


@dataclass(frozen=True)
class Payload:
    KIND: ClassVar[Kind]

    def values(self) -> Dict[str, Any]:
        """The fields in their order; an optional field (default None) is left out when None."""
        out: Dict[str, Any] = {}
        for item in fields(self):
            value = getattr(self, item.name)
            if value is None and item.default is None:
                continue
            out[item.name] = value
        return out

    def custom(self) -> Dict[str, Any]:
        return turn_custom(self.KIND, **self.values())


@dataclass(frozen=True)
class Answer(Payload):
    """An FAQ entry. The phone reads `short_answer`; `answer_language`: the version shown
    (the resident's language, or Japanese when the entry has no translation)."""

    KIND: ClassVar[Kind] = Kind.ANSWER
    faq_id: str
    question: str
    answer: str
    short_answer: str
    department: str
    phone: str
    url: str
    language: Optional[str] = None
    answer_language: Optional[str] = None


@dataclass(frozen=True)
class Choices(Payload):
    """`choices`: buttons {title, payload, hint?}, the last one 「どれにも当てはまらない」."""

    KIND: ClassVar[Kind] = Kind.CHOICES
    choices: List[Dict[str, str]]
    language: Optional[str] = None


@dataclass(frozen=True)
class Passage(Payload):
    """`text`: the excerpt shown on web and LINE; `spoken`: the sentence read on the phone."""

    KIND: ClassVar[Kind] = Kind.PASSAGE
    doc_id: Any
    title: str
    heading: str
    url: str
    text: str
    spoken: str
    score: float
    language: Optional[str] = None


@dataclass(frozen=True)
class Handoff(Payload):
    """In office hours: a ticket; the phone transfers to `transfer_phone`."""

    KIND: ClassVar[Kind] = Kind.HANDOFF
    ticket_id: Any
    transfer_phone: str
    in_hours: bool
    department: str
    language: Optional[str] = None


@dataclass(frozen=True)
class AfterHours(Payload):
    """Outside office hours: staff are back at `back_at`; the phone records a message."""

    KIND: ClassVar[Kind] = Kind.AFTER_HOURS
    in_hours: bool
    back_at: str
    transfer_phone: str
    department: str
    language: Optional[str] = None


@dataclass(frozen=True)
class NoMatch(Payload):
    KIND: ClassVar[Kind] = Kind.NO_MATCH
    language: Optional[str] = None


@dataclass(frozen=True)
class Emergency(Payload):
    """Written by the domain's response utter_emergency (bot/domain.yml), not by an action."""

    KIND: ClassVar[Kind] = Kind.EMERGENCY
    language: Optional[str] = None


@dataclass(frozen=True)
class Error(Payload):
    KIND: ClassVar[Kind] = Kind.ERROR
    language: Optional[str] = None
