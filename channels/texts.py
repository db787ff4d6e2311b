"""Resident-facing wording of the gateway itself (the dialogue's own wording lives in actions/)."""
from __future__ import annotations

from channels.config import City


def unavailable(city: City) -> str:
    return (
        "申し訳ありません。ただいま自動案内がご利用いただけません。"
        "しばらくしてから、もう一度お試しください。"
        f"お急ぎの場合は、{city.name}の代表電話 {city.switchboard}（{city.hours_text}）へお電話ください。"
    )


TOO_LONG = "申し訳ありません。長いメッセージにはお答えできません。ご質問を短くまとめて、もう一度送ってください。"
EMPTY = "ご質問を入力してください。"
STAFF_LABEL = "職員より"
OPEN_PAGE = "ページを開く"
