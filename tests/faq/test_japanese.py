from faq.japanese import JapaneseAnalyzer, normalize_width, shared_analyzer


def test_normalize_width_folds_width_and_case():
    assert normalize_width("ＡＢＣｶﾞｽ１２３") == "abcガス123"
    assert normalize_width("a\x00b\x07c") == "abc"


def test_terms_drop_particles_and_symbols():
    terms = shared_analyzer().terms("住民票の写しはどこで取れますか？")
    assert "住民票" in terms
    assert "の" not in terms and "は" not in terms and "?" not in terms


def test_spelling_variants_share_terms():
    analyzer = JapaneseAnalyzer()
    assert analyzer.terms("引越し") == analyzer.terms("引っ越し") == analyzer.terms("引越")


def test_split_mode_a_is_finer():
    text = "国民健康保険料"
    assert len(JapaneseAnalyzer("A").morphemes(text)) > len(JapaneseAnalyzer("C").morphemes(text))
