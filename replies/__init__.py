"""What a reply looks like: what the bot says (Japanese), and how it reads the resident's short
follow-ups. Used by the actions, the channels, the staff console's preview and the Rasa-side
REST channel (bot/channel.py): no Rasa imports here.

Submodules: `speech` (text for the ear: the phone), `line` (LINE's text limits).
"""
from __future__ import annotations

import re
from typing import Any, Dict, List, Optional, Sequence

from core.turn import Answer
from faq.japanese import normalize_width

YES = {"title": "はい", "payload": "/affirm"}
NO = {"title": "いいえ", "payload": "/deny"}
NONE_OF_THESE = {"title": "どれにも当てはまらない", "payload": "/deny"}
TALK_TO_STAFF = {"title": "職員と話す", "payload": "/request_human"}

SOLVED_QUESTION = "解決しましたか？"
ANYTHING_ELSE = "ほかにご質問はありますか？"
GLAD = "お役に立ててよかったです。" + ANYTHING_ELSE
CHOOSE = "次のうち、知りたい内容に近いものはありますか？"
OTHER_CANDIDATES = "申し訳ありません。こちらの中にお探しの内容はありますか？"
NO_MATCH = "申し訳ありません。お答えできる情報が見つかりませんでした。"
NEAREST = "申し訳ありません。はっきりしたお答えが見つかりませんでした。近い内容はこちらです。"
OUT_OF_SCOPE = "申し訳ありません。そのご質問には市役所としてお答えできません。"
OFFER_STAFF = "職員におつなぎしましょうか？"
DECLINED_STAFF = "承知しました。別の言葉でもう一度聞いていただくこともできます。" + ANYTHING_ELSE
# Said by the Rasa-side REST channel (bot/channel.py) when the action server is down or slow.
TURN_FAILED = (
    "申し訳ありません。ただいまシステムが混み合っていてお答えできません。"
    "担当者に記録しましたので、少し時間をおいてもう一度お試しください。"
)
ERROR = "申し訳ありません。ただいま回答を準備できませんでした。担当者に記録しましたので、少し時間をおいてもう一度お試しください。"

_FOLLOW_UPS = (
    ("phone", re.compile(r"電話|でんわ|連絡先|問い?合わせ先|tel|番号")),
    ("hours", re.compile(r"受付時間|何時|なんじ|営業時間|開いて|あいて|時間")),
    ("where", re.compile(r"どこ|場所|ばしょ|窓口|まどぐち|何課|なにか")),
    ("details", re.compile(r"詳しく|くわしく|詳細|しょうさい|もっと|url|リンク|ホームページ")),
)
# A follow-up is short: a longer message is a new question.
_FOLLOW_UP_MAX_CHARS = 16
_CHOICE_NUMBER = re.compile(r"^([1-9])(?:番|ばん|つ目|番目|个|\.|。)?(?:で|を|が|です|でお願いします|お願いします)?[!?！？。]*$")
_ORDINALS = {"最初": 1, "いちばんめ": 1, "一番": 1, "二番": 2, "三番": 3, "にばん": 2, "さんばん": 3, "いちばん": 1}


def follow_up_kind(text: str) -> Optional[str]:
    """「電話番号は？」「受付時間は？」「どこでできる？」「もっと詳しく」 -> phone / hours / where / details."""
    folded = normalize_width(text).strip()
    if not folded or len(folded) > _FOLLOW_UP_MAX_CHARS:
        return None
    for kind, pattern in _FOLLOW_UPS:
        if pattern.search(folded):
            return kind
    return None


def choice_number(text: str) -> Optional[int]:
    """「2番」「2」「２つ目」「最初の」 -> 2 / 2 / 2 / 1 (1-based)."""
    folded = normalize_width(text).strip().replace(" ", "")
    match = _CHOICE_NUMBER.match(folded)
    if match:
        return int(match.group(1))
    for word, number in _ORDINALS.items():
        if folded.startswith(word) and len(folded) <= len(word) + 6:
            return number
    return None


def answer_text(entry: Any, body: Optional[str] = None, contact_label: str = "お問い合わせ：",
                details_label: str = "詳しくは：") -> str:
    """The answer (or `body`, e.g. a translation) with the department, phone and URL lines."""
    lines = [(entry.answer if body is None else body).strip()]
    contact = "　".join(part for part in (entry.department, entry.phone) if part)
    if contact:
        lines.append(f"{contact_label}{contact}")
    if entry.url:
        lines.append(f"{details_label}{entry.url}")
    return "\n".join(lines)


def passage_text(passage: Dict[str, Any]) -> str:
    """A passage of the city's pages: its words, then where they come from."""
    lines = [passage["text"], f"（{passage['title']}より）"]  # no blank line: Rasa splits there
    if passage.get("url"):
        lines.append(f"詳しくは：{passage['url']}")
    return "\n".join(lines)


def follow_up_text(kind: str, entry: Any, office_hours: str) -> str:
    department = entry.department or "担当課"
    if kind == "phone":
        if entry.phone:
            return f"{department}の電話番号は {entry.phone} です。"
        return f"{department}へは、市役所の代表電話からおつなぎします。"
    if kind == "hours":
        sentences = [s for s in _sentences(entry.answer) if re.search(r"\d+時|受付|開庁", s)]
        if sentences:
            return "".join(sentences[:2])
        return f"{department}の受付時間は、{office_hours}です。"
    if kind == "where":
        sentences = [s for s in _sentences(entry.answer) if re.search(r"窓口|課|庁舎|センター|支所|コンビニ|オンライン|郵送", s)]
        if sentences:
            return "".join(sentences[:2])
        return f"市役所の{department}でお手続きいただけます。"
    return answer_text(entry)


def _sentences(text: str) -> List[str]:
    return [s for s in re.split(r"(?<=[。！？\n])", text) if s.strip()]


def choice_buttons(entries: Sequence[Any]) -> List[Dict[str, str]]:
    buttons = [
        {"title": entry.question, "payload": f'/ask_question{{"faq_id": "{entry.id}"}}'}
        for entry in entries
    ]
    return buttons + [NONE_OF_THESE]


CHOICE_HINT_CHARS = 40


def choice_hint(entry: Any) -> str:
    """The first sentence of the short answer (or the answer), cut to CHOICE_HINT_CHARS: what
    the resident reads under a choice to tell near ones apart."""
    sentences = _sentences((entry.short_answer or entry.answer or "").strip())
    first = " ".join(sentences[0].split()) if sentences else ""
    return first if len(first) <= CHOICE_HINT_CHARS else first[: CHOICE_HINT_CHARS - 1] + "…"


def choices_payload(entries: Sequence[Any]) -> List[Dict[str, str]]:
    """The choices for the channels' custom part: the buttons, each entry's with its hint."""
    hints = [choice_hint(entry) for entry in entries]
    return [
        {**button, "hint": hints[i]} if i < len(hints) else button
        for i, button in enumerate(choice_buttons(entries))
    ]


def answer_payload(entry: Any, *, question: Optional[str] = None, short_answer: Optional[str] = None,
                   language: Optional[str] = None, answer_language: Optional[str] = None) -> Answer:
    """The channels' part of an answer turn: the entry's fields (`question` and `short_answer`
    may be another language's version)."""
    return Answer(
        faq_id=entry.id,
        question=entry.question if question is None else question,
        answer=entry.answer,
        short_answer=(entry.short_answer or "") if short_answer is None else short_answer,
        department=entry.department,
        phone=entry.phone,
        url=entry.url,
        language=language,
        answer_language=answer_language,
    )
