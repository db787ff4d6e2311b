"""The resident's language, and the municipal glossary that maps foreign terms to Japanese.

`detect(text)` tells which of the supported languages a message is in (ja, en, zh, ko, vi, pt),
or None when the text says nothing (digits, a single sign). Kana means Japanese and Hangul
Korean at once; Han characters that Japanese does not write (the simplified 户 证 这 么 …)
mean Chinese; everything else is decided by Lingua (`lingua-language-detector`, its models are
inside the wheel: nothing is downloaded), loaded with the six languages only.

The glossary (`faq/glossary.yml`, plus the city's own additions in `MADOGUCHI_HOME/glossary.yml`,
edited in the staff console) maps terms a resident writes in their language to the Japanese
words the FAQ uses: "residence certificate" -> 住民票. `japanese_terms(text, lang)` finds them,
and `search_text(text, lang)` is the question with those Japanese words added, for search.

This module imports only the base layer (core.settings): the Rasa components use it too.
"""
from __future__ import annotations

import functools
import re
import threading
import unicodedata
from pathlib import Path
from typing import Dict, List, Mapping, Optional, Tuple

import yaml

from core.settings import home_dir

JAPANESE = "ja"
FOREIGN_LANGUAGES = ("en", "zh", "ko", "vi", "pt")
LANGUAGES = (JAPANESE, *FOREIGN_LANGUAGES)
# Each language's name in that language (language switch of the widget, console labels).
NATIVE_NAMES = {
    "ja": "日本語",
    "en": "English",
    "zh": "中文",
    "ko": "한국어",
    "vi": "Tiếng Việt",
    "pt": "Português",
}
# Japanese names, for the staff console.
JAPANESE_NAMES = {
    "ja": "日本語",
    "en": "英語",
    "zh": "中国語（簡体字）",
    "ko": "韓国語",
    "vi": "ベトナム語",
    "pt": "ポルトガル語",
    "easy_ja": "やさしい日本語",
}
DEFAULT_GLOSSARY = Path(__file__).resolve().parent / "glossary.yml"

_KANA = re.compile(r"[\u3041-\u309f\u30a0-\u30ff\uff66-\uff9f]")
_HANGUL = re.compile(r"[\u1100-\u11ff\u3130-\u318f\uac00-\ud7af]")
_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_CHINESE_WORDS = re.compile(r"[吗呢吧你我们这那哪怎什么没还给让啊]|的[^\u3400-\u9fff]|的$|了[！!。？?]|着火|失火")
_LATIN = re.compile(r"[A-Za-z\u00c0-\u024f\u1e00-\u1eff]")


def normalize_language(value: object) -> Optional[str]:
    """"en-US", "EN", "zh-Hans-CN", "pt_BR" -> en, en, zh, pt; anything unsupported -> None."""
    if not isinstance(value, str) or not value.strip():
        return None
    code = value.strip().replace("_", "-").split("-")[0].lower()
    return code if code in LANGUAGES else None


def _not_japanese_han(ch: str) -> bool:
    """A Han character Japanese text cannot contain (not in JIS X 0208 + IBM extensions)."""
    try:
        ch.encode("cp932")
        return False
    except UnicodeEncodeError:
        return True


@functools.lru_cache(maxsize=1)
def _detector():
    from lingua import Language, LanguageDetectorBuilder

    languages = [
        Language.JAPANESE,
        Language.ENGLISH,
        Language.CHINESE,
        Language.KOREAN,
        Language.VIETNAMESE,
        Language.PORTUGUESE,
    ]
    return LanguageDetectorBuilder.from_languages(*languages).build()


_LINGUA_CODES = {
    "JAPANESE": "ja",
    "ENGLISH": "en",
    "CHINESE": "zh",
    "KOREAN": "ko",
    "VIETNAMESE": "vi",
    "PORTUGUESE": "pt",
}


def detect(text: object) -> Optional[str]:
    """The message's language (one of LANGUAGES), or None when it has no letters."""
    if not isinstance(text, str):
        return None
    folded = unicodedata.normalize("NFKC", text)
    if _KANA.search(folded):
        return JAPANESE
    if _HANGUL.search(folded):
        return "ko"
    han = _HAN.findall(folded)
    latin = _LATIN.findall(folded)
    if not han and not latin:
        return None
    if han and len(han) >= len(latin):
        # Kanji-only Japanese (「住民票　手数料」) is a string of nouns; Chinese has characters
        # Japanese does not write, or its function words.
        if any(_not_japanese_han(ch) for ch in han) or _CHINESE_WORDS.search(folded):
            return "zh"
        return JAPANESE
    return _lingua(folded, ("en", "vi", "pt")) or "en"


def _lingua(text: str, allowed: Tuple[str, ...]) -> Optional[str]:
    values = _detector().compute_language_confidence_values(text)
    for value in values:
        code = _LINGUA_CODES.get(value.language.name)
        if code in allowed:
            return code
    return None


def detect_safely(text: object) -> Optional[str]:
    """detect(), or None when the detector fails: a resident's message must be answered anyway."""
    try:
        return detect(text)
    except Exception:  # noqa: BLE001 - no language rather than no answer
        return None


def is_foreign(language: Optional[str]) -> bool:
    return language in FOREIGN_LANGUAGES


# ---- glossary ---------------------------------------------------------------------------


def city_glossary_path() -> Path:
    """The city's own glossary (MADOGUCHI_HOME/glossary.yml), edited in the staff console."""
    return home_dir() / "glossary.yml"


def glossary_paths() -> List[Path]:
    """The shipped glossary and the city's own."""
    return [DEFAULT_GLOSSARY, city_glossary_path()]


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).lower()
    return re.sub(r"\s+", " ", text).strip()


def parse_glossary(data: object) -> Dict[str, Dict[str, Tuple[str, ...]]]:
    """{lang: {term: (Japanese, …)}} from YAML data; raises ValueError naming what is wrong."""
    if data is None:
        return {}
    if not isinstance(data, Mapping):
        raise ValueError("用語集は「言語: {用語: 日本語}」の形で書いてください")
    out: Dict[str, Dict[str, Tuple[str, ...]]] = {}
    for lang, terms in data.items():
        code = normalize_language(str(lang))
        if code is None or code == JAPANESE:
            raise ValueError(f"言語「{lang}」は使えません（{', '.join(FOREIGN_LANGUAGES)}）")
        if terms is None:
            continue
        if not isinstance(terms, Mapping):
            raise ValueError(f"{lang}: 「用語: 日本語」の形で書いてください")
        section = out.setdefault(code, {})
        for term, japanese in terms.items():
            values = japanese if isinstance(japanese, list) else [japanese]
            words = tuple(str(v).strip() for v in values if v is not None and str(v).strip())
            key = _fold(str(term))
            if not key or not words:
                raise ValueError(f"{lang}: 「{term}」の日本語が空です")
            section[key] = tuple(dict.fromkeys(section.get(key, ()) + words))
    return out


class Glossary:
    """Terms per language, longest first, matched on word boundaries for alphabetic scripts."""

    def __init__(self, entries: Mapping[str, Mapping[str, Tuple[str, ...]]]) -> None:
        self.entries = {lang: dict(terms) for lang, terms in entries.items()}
        self._patterns: Dict[str, List[Tuple[re.Pattern, Tuple[str, ...]]]] = {}
        for lang, terms in self.entries.items():
            patterns = []
            for term in sorted(terms, key=len, reverse=True):
                body = re.escape(term).replace(r"\ ", r"\s+")
                if lang in ("en", "vi", "pt"):
                    body = rf"(?<![\w]){body}(?:s|es)?(?![\w])"
                patterns.append((re.compile(body), terms[term]))
            self._patterns[lang] = patterns

    @classmethod
    def load(cls, paths: Optional[List[Path]] = None) -> "Glossary":
        merged: Dict[str, Dict[str, Tuple[str, ...]]] = {}
        for path in paths if paths is not None else glossary_paths():
            if not path.exists():
                continue
            parsed = parse_glossary(yaml.safe_load(path.read_text(encoding="utf-8")))
            for lang, terms in parsed.items():
                section = merged.setdefault(lang, {})
                for term, words in terms.items():
                    section[term] = tuple(dict.fromkeys(section.get(term, ()) + words))
        return cls(merged)

    def japanese_terms(self, text: str, language: Optional[str]) -> List[str]:
        """Japanese words for the glossary terms in `text` (longest match wins, no overlaps)."""
        if not language or language not in self._patterns:
            return []
        folded = _fold(text)
        taken = [False] * len(folded)
        found: List[str] = []
        for pattern, words in self._patterns[language]:
            for match in pattern.finditer(folded):
                if any(taken[match.start() : match.end()]):
                    continue
                for i in range(match.start(), match.end()):
                    taken[i] = True
                for word in words:
                    if word not in found:
                        found.append(word)
        return found


_glossary_lock = threading.Lock()
_glossary_cache: Dict[str, object] = {}


def glossary() -> Glossary:
    """The merged glossary, reloaded when one of its files changes (staff edit it live)."""
    paths = glossary_paths()
    stamp = tuple((str(p), p.stat().st_mtime if p.exists() else 0.0) for p in paths)
    with _glossary_lock:
        if _glossary_cache.get("stamp") != stamp:
            _glossary_cache["glossary"] = Glossary.load(paths)
            _glossary_cache["stamp"] = stamp
        return _glossary_cache["glossary"]  # type: ignore[return-value]


def search_text(text: str, language: Optional[str]) -> str:
    """The question with the Japanese words of its glossary terms appended (for search)."""
    if not is_foreign(language):
        return text
    terms = glossary().japanese_terms(text, language)
    return f"{text} {' '.join(terms)}" if terms else text


# How a question in another language is searched: "dense" ranks by the multilingual embedding
# alone (BM25 on Japanese terms knows nothing of English words), None keeps the fused ranking.
FOREIGN_SEARCH_METHOD: Optional[str] = "dense"


def prepare_query(
    text: str, method: Optional[str] = None
) -> Tuple[str, Optional[str], Optional[str]]:
    """(text to search, ranking method, language) for a resident's question. Never raises: a
    failing detector leaves the question as it is."""
    lang = detect_safely(text)
    if not is_foreign(lang):
        return text, method, lang
    return search_text(text, lang), method or FOREIGN_SEARCH_METHOD, lang
