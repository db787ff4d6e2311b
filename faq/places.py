"""Finds a question about another municipality (「川崎市役所の電話番号」「大阪の粗大ごみ」).

The bot answers for one city only; its FAQ would answer such a question with its own city's
facts. Sudachi's dictionary marks place names (名詞・固有名詞・地名), so any city, ward, town
office or prefecture is found, not just those in the training data.

Only the standard library and faq.japanese are imported: the Rasa environment uses this too.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Optional, Sequence

from faq.japanese import Morpheme, shared_analyzer

PREFECTURES = (
    "北海道 青森 岩手 宮城 秋田 山形 福島 茨城 栃木 群馬 埼玉 千葉 東京 神奈川 新潟 富山 石川 福井 山梨 長野 "
    "岐阜 静岡 愛知 三重 滋賀 京都 大阪 兵庫 奈良 和歌山 鳥取 島根 岡山 広島 山口 徳島 香川 愛媛 高知 福岡 "
    "佐賀 長崎 熊本 大分 宮崎 鹿児島 沖縄"
).split()
# 政令指定都市, often named without 市 (「横浜の粗大ごみ」).
DESIGNATED_CITIES = (
    "札幌 仙台 さいたま 千葉 横浜 川崎 相模原 新潟 静岡 浜松 名古屋 京都 大阪 堺 神戸 岡山 広島 北九州 福岡 熊本"
).split()
_BARE_NAMES = frozenset(PREFECTURES) | frozenset(DESIGNATED_CITIES)

# A place name ending so is a municipality or prefecture by itself (川崎市, 東京都, 千葉県).
# 町・村・区 are not: a city's own neighbourhoods are named so (みのり町, 中央区).
_MUNICIPAL_ENDINGS = ("市", "都", "道", "府", "県")
# Words after a place name that make it a municipality (川崎 + 市役所, 多摩区 + 役所).
_OFFICE_WORDS = frozenset(
    "市 市役所 市内 区役所 役所 役場 町役場 村役場 県庁 都庁 府庁 道庁 県内 都内 府内 道内".split()
)
# Particles after the name that make it the topic (川崎市の…, 横浜市で…, 東京都は…).
_TOPIC_PARTICLES = frozenset("の で は って も だと じゃ".split())
# Moving between municipalities is this city's business at both ends (転入・転出).
_MOVING_WORDS = ("転入", "転出", "転居", "引っ越", "引越", "ひっこ", "移住", "住所変更", "移す", "移し", "前の住所")


@dataclass(frozen=True)
class PlaceMention:
    name: str  # as written, with its 市/県 when it has one
    start: int
    end: int


def _own(name: str, own_names: Iterable[str]) -> bool:
    return any(name == own or own.startswith(name) or name.startswith(own) for own in own_names if own)


def _is_municipality(morphemes: Sequence[Morpheme], i: int) -> Optional[int]:
    """The index after the mention when morphemes[i] starts one, else None."""
    m = morphemes[i]
    if not m.is_place_name:
        return None
    nxt = morphemes[i + 1].surface if i + 1 < len(morphemes) else ""
    if nxt in _OFFICE_WORDS:
        return i + 2
    if m.surface.endswith(_MUNICIPAL_ENDINGS) or m.surface in _BARE_NAMES:
        return i + 1
    return None


def other_municipality(text: str, own_names: Iterable[str] = ()) -> Optional[PlaceMention]:
    """The first other municipality the question is about, or None.

    None when the place is only where someone moves from or to (「横浜市から引っ越してきた」),
    where the resident happens to be (「大阪にいる」), or is the city itself (own_names)."""
    if not text:
        return None
    if any(word in text for word in _MOVING_WORDS):
        return None
    morphemes = shared_analyzer().morphemes(text)
    own_names = [name for name in own_names if name]
    for i in range(len(morphemes)):
        after = _is_municipality(morphemes, i)
        if after is None:
            continue
        start, end = morphemes[i].start, morphemes[after - 1].end
        name = text[start:morphemes[i].end]
        if i + 1 < after and morphemes[i + 1].surface.startswith("市"):
            name += "市"
        if _own(name, own_names):
            continue
        following = morphemes[after].surface if after < len(morphemes) else ""
        if following in _TOPIC_PARTICLES or not following or morphemes[after].pos in {"補助記号", "記号"}:
            return PlaceMention(name=name, start=start, end=end)
    return None
