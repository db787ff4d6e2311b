"""The Sudachi tokenizer, run inside the Rasa environment as Rasa runs it."""
from __future__ import annotations

import json
import subprocess

import pytest

from core.settings import REPO_ROOT, load_settings
from madoguchi.training import rasa_environment

SCRIPT = """
import json, sys
from rasa.shared.nlu.training_data.message import Message
from bot.tokenizer import SudachiTokenizer
tok = SudachiTokenizer(SudachiTokenizer.get_default_config())
out = []
for text in json.load(sys.stdin):
    tokens = tok.tokenize(Message(data={"text": text}), "text")
    out.append([[t.text, t.start, t.end, t.lemma] for t in tokens])
print(json.dumps(out, ensure_ascii=False))
"""

SENTENCES = [
    "粗大ごみの出し方を教えてください。",
    "ｶﾞｽ代の引越し手続き😀はどこ？",
    "引っ越し 引越 引越し",
    "ＡＢＣ１２３のマイナンバーカード",
    "",
    "🙏🙏🙏",
    "住民票" * 3000,
]


@pytest.fixture(scope="module")
def tokenized():
    settings = load_settings()
    python = settings.rasa_bin.parent / "python"
    result = subprocess.run(
        [str(python), "-c", SCRIPT],
        input=json.dumps(SENTENCES),
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        env=rasa_environment(settings),
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return dict(zip(SENTENCES, json.loads(result.stdout.strip().splitlines()[-1])))


def test_offsets_point_into_the_original_text(tokenized):
    for text, tokens in tokenized.items():
        for surface, start, end, _ in tokens:
            assert text[start:end] == surface
        starts = [t[1] for t in tokens]
        assert starts == sorted(starts)


def test_words_are_split(tokenized):
    surfaces = [t[0] for t in tokenized["粗大ごみの出し方を教えてください。"]]
    assert "粗大ごみ" in surfaces or "粗大" in surfaces
    assert "出し方" in surfaces or "出し" in surfaces
    assert len(surfaces) >= 6


def test_lemma_is_the_normalised_form(tokenized):
    lemmas = [t[3] for t in tokenized["引っ越し 引越 引越し"]]
    assert lemmas == ["引っ越し", "引っ越し", "引っ越し"]
    half_width = {t[0]: t[3] for t in tokenized["ｶﾞｽ代の引越し手続き😀はどこ？"]}
    assert half_width["ｶﾞｽ代"] == "ガス代"
    assert half_width["😀"] == "😀"
    full_width = [t[3] for t in tokenized["ＡＢＣ１２３のマイナンバーカード"]]
    assert "abc" in full_width and "123" in full_width


def test_empty_and_emoji_input(tokenized):
    assert tokenized[""] == []
    assert [t[0] for t in tokenized["🙏🙏🙏"]]


def test_long_input_is_tokenized_whole(tokenized):
    text = "住民票" * 3000
    tokens = tokenized[text]
    assert tokens[-1][2] == len(text)
    assert "".join(t[0] for t in tokens) == text
