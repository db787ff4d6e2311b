"""Normalisation and the synonym list (faq/synonyms.yml)."""
from __future__ import annotations

import pytest

from faq.analysis import TextAnalyzer, load_synonyms
from faq.japanese import fold_kana


@pytest.fixture(scope="module")
def analyzer():
    return TextAnalyzer()


def test_synonyms_fold_to_the_canonical_word(analyzer):
    canonical = analyzer.terms("マイナンバーカード")
    assert set(canonical) <= set(analyzer.terms("マイナカードを作りたい"))
    assert "国民健康保険" in analyzer.terms("国保に入りたい")
    assert analyzer.analyze("国保に入りたい").text == "国民健康保険に入りたい"
    assert "住民票" in analyzer.terms("住民票の写しがほしい")
    assert "写し" not in analyzer.terms("住民票の写しがほしい")
    # a compound holding a variant
    assert "国民健康保険料" in analyzer.terms("国保料の納付")


def test_synonyms_match_words_not_substrings(analyzer):
    assert "まいなんばーかーど" not in analyzer.terms("マイナスになる")
    assert analyzer.analyze("マイナスになる").text == "マイナスになる"


def test_width_kana_and_spelling_variants_share_terms(analyzer):
    assert analyzer.terms("ﾏｲﾅｶｰﾄﾞ") == analyzer.terms("マイナカード")
    assert analyzer.terms("ゴミの日") == analyzer.terms("ごみの日")
    assert analyzer.terms("引越しの手続き") == analyzer.terms("引っ越しの手続き")
    assert analyzer.terms("コンピュータ") == analyzer.terms("コンピューター")
    assert "ごみ" in analyzer.terms("粗大ゴミ")  # not Sudachi's 粗大塵
    assert fold_kana("カタカナ") == "かたかな"


def test_compounds_are_split_for_recall(analyzer):
    terms = analyzer.terms("国民健康保険料")
    assert {"国民健康保険料", "保険", "健康"} <= set(terms)


def test_bad_input_gives_no_terms(analyzer):
    for text in ("", None, "😀😀😀", "\x00\x01\x1b", "！？。、"):
        assert analyzer.terms(text) == ()
    long = analyzer.analyze("転入届" * 5000)
    assert len(long.text) <= 1000


def test_edited_synonym_file(tmp_path):
    path = tmp_path / "synonyms.yml"
    path.write_text("こども園: [認定こども園, 保育園]\n", encoding="utf-8")
    assert load_synonyms(path) == {"こども園": ["認定こども園", "保育園"]}
    a = TextAnalyzer(path)
    b = TextAnalyzer(None)
    assert a.fingerprint != b.fingerprint
    assert set(a.terms("こども園")) <= set(a.terms("保育園に入りたい"))
    assert "保育園" in b.terms("保育園に入りたい")
    path.write_text("- not a mapping\n", encoding="utf-8")
    with pytest.raises(ValueError):
        TextAnalyzer(path)
