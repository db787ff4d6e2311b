"""Search settings in faq/search_config.yml: what is indexed, the fusion and the decision
thresholds (the last two written by `madoguchi faq calibrate` from dev-set measurements)."""
from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any, Dict, Optional, Tuple, Union

from core.settings import read

DEFAULT_CONFIG_PATH = Path(__file__).resolve().parent / "search_config.yml"


@dataclass
class IndexSettings:
    # Texts encoded per entry; each is one vector, an entry scores the max over its vectors.
    # "question_alternatives" (the question and its phrasings joined: one vector),
    # "question", "alternatives" (one vector each), "answer" / "short_answer" (their first
    # answer_chars characters). Encoding is the cost of a build (~20k entries in 3 minutes
    # allows about one short text per entry); the answer is always indexed by BM25.
    dense_texts: Tuple[str, ...] = ("question_alternatives", "translated_questions", "answer_passages")
    answer_chars: int = 80
    max_alternatives: int = 8
    query_prefix: str = "query: "
    passage_prefix: str = "query: "  # question side: matched like another question
    # "translated_questions": the curated translations of the question (one vector each).
    # "answer_passages": the answer cut at sentence ends into passages of up to passage_chars
    # (at most max_passages), encoded as documents with answer_prefix. Real FAQs often have
    # short questions, and residents use the words of the answer.
    answer_prefix: str = "passage: "
    passage_chars: int = 160
    max_passages: int = 6
    # Query side: replace synonyms by their canonical word before encoding (measured: worse
    # for e5, which knows the colloquial words; BM25 always uses the synonyms).
    dense_query_synonyms: bool = False
    # torch threads of the encoder the service loads; 0 = one per core. Measured on the
    # shared 2-core machine: with other processes busy (Rasa, the console), two threads make
    # a single query 10x slower (p50 329 ms vs 37 ms) and a bulk encode 2-3x slower; on an
    # idle machine two threads gain only ~30 % on a single query.
    encoder_threads: int = 1


@dataclass
class BM25Settings:
    k1: float = 1.2
    b: float = 0.75
    answer_weight: float = 0.3
    # Kana-reading n-grams of the question side (hiragana-only questions); 0 = off.
    reading_weight: float = 1.0


# The per-candidate signals a fusion can weigh (faq.index.Candidate has each).
FEATURES = ("dq", "da", "bq", "ba", "br")


@dataclass
class FusionSettings:
    # "linear": bias + sum(weights[f] * feature f) over FEATURES (weights fitted by
    # `madoguchi faq calibrate`); "weighted": dense_weight * dense + bm25_weight * bm25;
    # "rrf": reciprocal ranks.
    method: str = "weighted"
    dense_weight: float = 0.85
    bm25_weight: float = 0.15
    rrf_k: int = 60
    candidates: int = 100  # per retriever, before fusion
    weights: Dict[str, float] = field(default_factory=dict)
    bias: float = 0.0


@dataclass
class DecisionSettings:
    # method "confidence" (faq/confidence.py): answer when P(top entry right) >= answer_min_confidence,
    # else offer `choices` entries when P(a right one among them) >= suggest_min_confidence,
    # else none. method "thresholds": answer when the top score >= answer_min_score and the
    # margin to the second >= answer_min_margin; suggest when top score >= suggest_min_score.
    method: str = "thresholds"
    answer_min_score: float = 0.85
    answer_min_margin: float = 0.05
    suggest_min_score: float = 0.7
    answer_model: Dict[str, float] = field(default_factory=dict)
    choices_model: Dict[str, float] = field(default_factory=dict)
    answer_min_confidence: float = 0.9
    suggest_min_confidence: float = 0.3
    choices: int = 5  # how many entries a choice offers (the phone reads at most 3)
    # A question in another language (faq/language.py): measured on the foreign dev queries,
    # 0.9 with both rankings agreeing answered 23 % of them with 1 % wrong (0.75: 48 %, 4 %).
    foreign_answer_min_confidence: float = 0.9
    calibration: Dict[str, Any] = field(default_factory=dict)  # how they were measured


@dataclass
class SearchConfig:
    index: IndexSettings = field(default_factory=IndexSettings)
    bm25: BM25Settings = field(default_factory=BM25Settings)
    fusion: FusionSettings = field(default_factory=FusionSettings)
    decision: DecisionSettings = field(default_factory=DecisionSettings)

    @classmethod
    def load(cls, path: Union[str, Path, None] = None) -> "SearchConfig":
        path = Path(path) if path else default_config_path()
        if not path.exists():
            return cls()
        import yaml

        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        return cls.from_dict(data)

    @classmethod
    def from_dict(cls, data: Dict[str, Any]) -> "SearchConfig":
        def part(kind: Any, values: Optional[Dict[str, Any]]) -> Any:
            values = dict(values or {})
            known = {f.name for f in fields(kind)}
            unknown = set(values) - known
            if unknown:
                raise ValueError(f"search config: unknown keys {sorted(unknown)} in {kind.__name__}")
            if "dense_texts" in values:
                values["dense_texts"] = tuple(values["dense_texts"])
            return kind(**values)

        return cls(
            index=part(IndexSettings, data.get("index")),
            bm25=part(BM25Settings, data.get("bm25")),
            fusion=part(FusionSettings, data.get("fusion")),
            decision=part(DecisionSettings, data.get("decision")),
        )

    def to_dict(self) -> Dict[str, Any]:
        data = asdict(self)
        data["index"]["dense_texts"] = list(self.index.dense_texts)
        return data

    def save(self, path: Union[str, Path, None] = None) -> Path:
        import yaml

        path = Path(path) if path else default_config_path()
        header = (
            "# FAQ 検索の設定（faq/config.py が読みます）。\n"
            "# fusion と decision の値は `madoguchi faq calibrate --queries FILE` が\n"
            "# dev セットで測って書き込みます。手で変える場合は calibrate をやり直してください。\n"
            "# index の値を変えると、検索の索引は次の起動で自動的に作り直されます。\n"
        )
        body = yaml.safe_dump(self.to_dict(), allow_unicode=True, sort_keys=False)
        tmp = path.with_suffix(".yml.tmp")
        tmp.write_text(header + body, encoding="utf-8")
        os.replace(tmp, path)
        return path

    def dense_fingerprint(self) -> str:
        """What the stored vectors depend on (besides the model): the passage side only."""
        ix = self.index
        blob = json.dumps(
            [
                list(ix.dense_texts), ix.answer_chars, ix.max_alternatives, ix.passage_prefix,
                ix.answer_prefix, ix.passage_chars, ix.max_passages,
            ]
        )  # encoder_threads and the query-side settings do not change the vectors
        return hashlib.sha256(blob.encode()).hexdigest()[:16]


def default_config_path() -> Path:
    return read("MADOGUCHI_FAQ_SEARCH_CONFIG", DEFAULT_CONFIG_PATH, Path)
