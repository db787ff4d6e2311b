"""Text analysis for FAQ search: width folding, Sudachi normalised forms, kana folding,
compound splitting and the municipal synonym list (faq/synonyms.yml).

`TextAnalyzer.analyze(text)` gives the BM25 terms and the text with synonyms replaced by the
canonical word (for the query encoder). Synonyms are matched on Sudachi's normalised
morpheme sequence, not on raw substrings, so マイナ does not fire inside マイナス.
"""
from __future__ import annotations

import functools
import hashlib
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple, Union

from faq.japanese import (
    JapaneseAnalyzer,
    fold_kana,
    is_content_pos,
    normalize_width,
    shared_analyzer,
)

# Bump when the term rules change: persisted lexical indexes are rebuilt.
ANALYZER_VERSION = "4"
DEFAULT_SYNONYMS = Path(__file__).resolve().parent / "synonyms.yml"
MAX_QUERY_CHARS = 1000  # a resident's question is never longer; 10,000 characters is noise

# Words that say nothing about the topic (after folding), dropped on both sides.
STOP_TERMS = frozenset(
    fold_kana(w)
    for w in (
        "為る", "居る", "有る", "成る", "出来る", "言う", "思う", "教える", "知る", "分かる",
        "下さる", "頂く", "欲しい", "良い", "いい", "ない", "無い", "こと", "もの", "物", "事",
        "ため", "為", "よう", "様", "方", "どう", "何", "どこ", "いつ", "どの", "どれ", "誰",
        "これ", "それ", "あれ", "ここ", "そこ", "です", "ます", "お", "ご", "御", "さん", "等",
        "など", "について", "場合", "時", "とき", "今", "又", "又は", "及び", "且つ",
    )
)


@dataclass(frozen=True)
class Analysis:
    terms: Tuple[str, ...]
    text: str  # width-normalised, synonyms replaced by their canonical word
    reading: Tuple[str, ...] = ()  # hiragana reading n-grams (with readings=True)


_KANA_OR_KANJI = re.compile(r"[\u3041-\u30ff\u3400-\u9fff\uf900-\ufaff々〆ヶ]")


def reading_grams(readings: Sequence[Optional[str]], n: int = 2) -> Tuple[str, ...]:
    """Character n-grams of runs of readings (None breaks a run), folded to hiragana."""
    out: List[str] = []
    run: List[str] = []

    def flush() -> None:
        text = "".join(run)
        if len(text) == 1:
            out.append(text)
        out.extend(text[i : i + n] for i in range(len(text) - n + 1))
        run.clear()

    for r in readings:
        if r is None:
            flush()
        else:
            run.append(r)
    flush()
    return tuple(out)


# Normalised forms Sudachi gives that no resident writes (粗大ゴミ -> 粗大塵).
_KEY_FIXES = str.maketrans({"塵": "ごみ"})


@functools.lru_cache(maxsize=200_000)
def _key(normalized: str) -> str:
    return fold_kana(normalize_width(normalized)).translate(_KEY_FIXES)


class SynonymTable:
    """Variant morpheme sequences -> canonical word, longest match first."""

    def __init__(self, mapping: Dict[str, Sequence[str]], ja: JapaneseAnalyzer) -> None:
        self.mapping = {k: list(v) for k, v in mapping.items()}
        self._by_first: Dict[str, List[Tuple[Tuple[str, ...], str]]] = {}
        for canonical, variants in self.mapping.items():
            for variant in variants:
                seq = tuple(_key(m.normalized) for m in ja.morphemes(normalize_width(variant)))
                canon_seq = tuple(
                    _key(m.normalized) for m in ja.morphemes(normalize_width(canonical))
                )
                if not seq or seq == canon_seq:
                    continue
                self._by_first.setdefault(seq[0], []).append((seq, canonical))
        for options in self._by_first.values():
            options.sort(key=lambda item: -len(item[0]))
        self._size = sum(len(v) for v in self.mapping.values())

    def match(self, keys: Sequence[str], start: int) -> Optional[Tuple[int, str]]:
        """(length, canonical) of the longest variant starting at keys[start]."""
        for seq, canonical in self._by_first.get(keys[start], ()):
            end = start + len(seq)
            if end <= len(keys) and tuple(keys[start:end]) == seq:
                return len(seq), canonical
        return None

    def __len__(self) -> int:
        return self._size


def load_synonyms(path: Union[str, Path]) -> Dict[str, List[str]]:
    import yaml

    data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected 'canonical: [variants]' entries")
    out: Dict[str, List[str]] = {}
    for canonical, variants in data.items():
        if variants is None:
            variants = []
        if isinstance(variants, str):
            variants = [variants]
        if not isinstance(variants, list):
            raise ValueError(f"{path}: {canonical}: expected a list of variants")
        out[str(canonical)] = [str(v) for v in variants if str(v).strip()]
    return out


class TextAnalyzer:
    """Thread-safe (Sudachi has one tokenizer per thread)."""

    def __init__(
        self,
        synonyms_path: Union[str, Path, None] = DEFAULT_SYNONYMS,
        ja: Optional[JapaneseAnalyzer] = None,
        split_compounds: bool = True,
        max_chars: int = MAX_QUERY_CHARS,
    ) -> None:
        self.ja = ja or shared_analyzer()
        self.split_compounds = split_compounds
        self.max_chars = max_chars
        self.synonyms_path = Path(synonyms_path) if synonyms_path else None
        raw = b""
        mapping: Dict[str, List[str]] = {}
        if self.synonyms_path is not None and self.synonyms_path.exists():
            raw = self.synonyms_path.read_bytes()
            mapping = load_synonyms(self.synonyms_path)
        self.synonyms = SynonymTable(mapping, self.ja)
        self._canon_terms: Dict[str, Tuple[str, ...]] = {}
        self._lock = threading.Lock()
        digest = hashlib.sha256()
        digest.update(ANALYZER_VERSION.encode())
        digest.update(b"split" if split_compounds else b"nosplit")
        digest.update(raw)
        self.fingerprint = digest.hexdigest()[:16]

    def _terms_of_canonical(self, canonical: str) -> Tuple[str, ...]:
        with self._lock:
            terms = self._canon_terms.get(canonical)
        if terms is None:
            terms = tuple(self._plain_terms(normalize_width(canonical)))
            with self._lock:
                self._canon_terms[canonical] = terms
        return terms

    def _plain_terms(self, text: str) -> List[str]:
        out: List[str] = []
        for m in self.ja.morphemes(text, with_parts=self.split_compounds):
            if is_content_pos(m.pos, m.surface):
                self._emit(out, _key(m.normalized), m.parts)
        return out

    def _emit(self, out: List[str], key: str, parts: Tuple[Tuple[str, str], ...]) -> None:
        if key not in STOP_TERMS:
            out.append(key)
        if self.split_compounds:
            for norm, pos in parts:
                part = _key(norm)
                if part != key and part not in STOP_TERMS and is_content_pos(pos, norm):
                    out.append(part)

    def analyze(
        self, text: Optional[str], max_chars: Optional[int] = None, readings: bool = False
    ) -> Analysis:
        if not text:
            return Analysis((), "")
        limit = max_chars if max_chars is not None else self.max_chars
        norm = normalize_width(text)
        if limit and len(norm) > limit:
            norm = norm[:limit]
        morphemes = self.ja.morphemes(
            norm, with_parts=self.split_compounds, with_reading=readings
        )
        grams: Tuple[str, ...] = ()
        if readings:
            grams = reading_grams(
                [
                    fold_kana(m.reading, long_vowel=False)
                    if m.reading and _KANA_OR_KANJI.search(m.surface)
                    else None
                    for m in morphemes
                ]
            )
        keys = [_key(m.normalized) for m in morphemes]
        has_synonyms = len(self.synonyms) > 0
        terms: List[str] = []
        pieces: List[str] = []
        cursor = 0
        i = 0
        while i < len(morphemes):
            hit = self.synonyms.match(keys, i) if has_synonyms else None
            if hit is not None:
                length, canonical = hit
                terms.extend(self._terms_of_canonical(canonical))
                pieces.append(norm[cursor : morphemes[i].start])
                pieces.append(canonical)
                cursor = morphemes[i + length - 1].end
                i += length
                continue
            m = morphemes[i]
            if is_content_pos(m.pos, m.surface):
                parts = m.parts
                if parts and has_synonyms:
                    # A compound holding a variant (国保料 = 国保 + 料): match on its parts.
                    part_keys = [_key(p) for p, _ in parts]
                    replaced = self._parts_with_synonyms(part_keys, parts)
                    if replaced is not None:
                        terms.append(keys[i])
                        terms.extend(replaced)
                        i += 1
                        continue
                self._emit(terms, keys[i], parts)
            i += 1
        pieces.append(norm[cursor:])
        return Analysis(tuple(terms), "".join(pieces), grams)

    def _parts_with_synonyms(
        self, part_keys: List[str], parts: Tuple[Tuple[str, str], ...]
    ) -> Optional[List[str]]:
        out: List[str] = []
        found = False
        j = 0
        while j < len(part_keys):
            hit = self.synonyms.match(part_keys, j)
            if hit is not None:
                found = True
                out.extend(self._terms_of_canonical(hit[1]))
                j += hit[0]
                continue
            norm, pos = parts[j]
            if part_keys[j] not in STOP_TERMS and is_content_pos(pos, norm):
                out.append(part_keys[j])
            j += 1
        return out if found else None

    def terms(self, text: Optional[str]) -> Tuple[str, ...]:
        return self.analyze(text).terms
