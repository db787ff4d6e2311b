"""Okapi BM25 over Sudachi terms, with per-document add/remove.

Hand-written on numpy instead of rank-bm25: that package is unmaintained, rebuilds all its
statistics for any change and scores in Python loops. Here each field keeps postings
(term -> {slot: tf}) that change in place for one edited entry, the statistics (N, avgdl, df)
are read at query time, and scoring is a few vectorised numpy operations per query term over
its postings (cached as arrays until the term changes). An entry has two fields — the question
side (question, phrasings, keywords) and the answer side — scored separately and summed with
a weight (a simple BM25F).
"""
from __future__ import annotations

import math
from collections import Counter
from typing import Dict, Iterable, Optional, Sequence, Tuple

import numpy as np


class _Field:
    def __init__(self, k1: float, b: float) -> None:
        self.k1 = k1
        self.b = b
        self.postings: Dict[str, Dict[int, int]] = {}
        self.doc_terms: Dict[int, Dict[str, int]] = {}
        self.dl = np.zeros(0, dtype=np.float32)
        self.total_len = 0
        self._arrays: Dict[str, Tuple[np.ndarray, np.ndarray]] = {}

    @property
    def n_docs(self) -> int:
        return len(self.doc_terms)

    def _grow(self, slot: int) -> None:
        if slot >= len(self.dl):
            size = max(slot + 1, int(len(self.dl) * 1.5) + 64)
            dl = np.zeros(size, dtype=np.float32)
            dl[: len(self.dl)] = self.dl
            self.dl = dl

    def add(self, slot: int, terms: Sequence[str]) -> None:
        self.remove(slot)
        counts = dict(Counter(terms))
        self._grow(slot)
        self.doc_terms[slot] = counts
        length = sum(counts.values())
        self.dl[slot] = length
        self.total_len += length
        for term, tf in counts.items():
            self.postings.setdefault(term, {})[slot] = tf
            self._arrays.pop(term, None)

    def remove(self, slot: int) -> None:
        counts = self.doc_terms.pop(slot, None)
        if counts is None:
            return
        self.total_len -= int(self.dl[slot])
        self.dl[slot] = 0
        for term in counts:
            plist = self.postings.get(term)
            if plist is not None:
                plist.pop(slot, None)
                if not plist:
                    del self.postings[term]
            self._arrays.pop(term, None)

    def df(self, term: str) -> int:
        plist = self.postings.get(term)
        return len(plist) if plist else 0

    def idf(self, df: int) -> float:
        n = self.n_docs
        return math.log(1.0 + (n - df + 0.5) / (df + 0.5))

    def _postings_arrays(self, term: str) -> Optional[Tuple[np.ndarray, np.ndarray]]:
        arrays = self._arrays.get(term)
        if arrays is None:
            plist = self.postings.get(term)
            if not plist:
                return None
            slots = np.fromiter(plist.keys(), dtype=np.int64, count=len(plist))
            tfs = np.fromiter(plist.values(), dtype=np.float32, count=len(plist))
            arrays = (slots, tfs)
            self._arrays[term] = arrays
        return arrays

    def score_into(self, terms: Iterable[str], out: np.ndarray, weight: float) -> float:
        """Adds weight*BM25 to out[slot]; returns what a document of average length with
        every term once would get, used to normalise."""
        n = self.n_docs
        if n == 0:
            return 0.0
        avgdl = max(self.total_len / n, 1e-6)
        k1, b = self.k1, self.b
        ceiling = 0.0
        for term in terms:
            arrays = self._postings_arrays(term)
            # Unknown terms count in the ceiling as the rarest word: a query full of them
            # is a weaker match.
            df = len(arrays[0]) if arrays is not None else 1
            idf = self.idf(df)
            ceiling += weight * idf  # a match with tf=1 in a document of average length
            if arrays is None:
                continue
            slots, tfs = arrays
            dl = self.dl[slots]
            denom = tfs + k1 * (1.0 - b + b * dl / avgdl)
            out[slots] += weight * idf * tfs * (k1 + 1.0) / denom
        return ceiling


class BM25Index:
    """BM25 over entry slots (small non-negative ints owned by the caller), three fields:
    question side and answer side (words), and the kana reading of the question side
    (character n-grams, for questions typed in hiragana)."""

    FIELDS = ("question", "answer", "reading")

    def __init__(
        self,
        k1: float = 1.2,
        b: float = 0.75,
        answer_weight: float = 0.3,
        reading_weight: float = 0.0,
    ) -> None:
        self.fields = {name: _Field(k1, b) for name in self.FIELDS}
        self.answer_weight = answer_weight
        self.reading_weight = reading_weight
        self._capacity = 0

    def add(
        self,
        slot: int,
        question_terms: Sequence[str],
        answer_terms: Sequence[str],
        reading_grams: Sequence[str] = (),
    ) -> None:
        self.fields["question"].add(slot, question_terms)
        self.fields["answer"].add(slot, answer_terms)
        self.fields["reading"].add(slot, reading_grams)
        self._capacity = max(self._capacity, slot + 1)

    def remove(self, slot: int) -> None:
        for f in self.fields.values():
            f.remove(slot)

    def __len__(self) -> int:
        return self.fields["question"].n_docs

    def doc_terms(self, slot: int) -> Dict[str, Dict[str, int]]:
        return {name: dict(f.doc_terms.get(slot, {})) for name, f in self.fields.items()}

    def scores(self, terms: Sequence[str], size: Optional[int] = None) -> Tuple[np.ndarray, float]:
        """(raw word scores per slot, the ceiling); unique query terms."""
        out = np.zeros(max(size or 0, self._capacity), dtype=np.float32)
        unique = list(dict.fromkeys(terms))
        if not unique:
            return out, 0.0
        ceiling = self.fields["question"].score_into(unique, out, 1.0)
        if self.answer_weight > 0:
            self.fields["answer"].score_into(unique, out, self.answer_weight)
        return out, ceiling

    def field_scores(
        self, terms: Sequence[str], size: Optional[int] = None, reading: Sequence[str] = ()
    ) -> Tuple[np.ndarray, np.ndarray]:
        """(normalized_scores, a (3, n) array of the question, answer and reading fields'
        scores, each over its own ceiling: the idf-weighted share of the query each matched)."""
        n = max(size or 0, self._capacity)
        per_field = np.zeros((3, n), dtype=np.float32)
        unique = list(dict.fromkeys(terms))
        grams = list(dict.fromkeys(reading))
        ceilings = [
            self.fields["question"].score_into(unique, per_field[0], 1.0) if unique else 0.0,
            self.fields["answer"].score_into(unique, per_field[1], 1.0) if unique else 0.0,
            self.fields["reading"].score_into(grams, per_field[2], 1.0) if grams else 0.0,
        ]
        combined = per_field[0] + self.answer_weight * per_field[1]
        if ceilings[0] > 0:
            combined = combined / ceilings[0]
        if self.reading_weight > 0 and ceilings[2] > 0:
            combined = combined + self.reading_weight * per_field[2] / ceilings[2]
        for i, ceiling in enumerate(ceilings):
            if ceiling > 0:
                per_field[i] /= ceiling
        return combined.astype(np.float32), per_field

    def normalized_scores(
        self, terms: Sequence[str], size: Optional[int] = None, reading: Sequence[str] = ()
    ) -> np.ndarray:
        """Word scores divided by the question-side ceiling — about the idf-weighted share
        of the query matched, comparable across queries (0 = nothing, ~1 = all of it in the
        question side; the answer side adds a little) — plus the reading n-gram score over
        its own ceiling times reading_weight."""
        return self.field_scores(terms, size, reading)[0]

    def vocabulary_size(self) -> int:
        return len(self.fields["question"].postings) + len(self.fields["answer"].postings)
