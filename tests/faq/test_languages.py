"""The resident's language (faq/language.py), the glossary, and the answer each language gets
(actions/texts.py)."""
from __future__ import annotations

import pytest

import replies
from actions import texts
from faq import language
from faq.entry import FaqEntry


@pytest.mark.parametrize("text, expected", [
    ("How can I get a residence certificate?", "en"),
    ("There's a fire", "en"),
    ("住民票の写しはどこで取れますか", "ja"),
    ("住民票", "ja"),
    ("住民票　手数料　金額", "ja"),
    ("ｼﾞｭｳﾐﾝﾋｮｳ", "ja"),
    ("户籍在哪里办理？", "zh"),
    ("救命！着火了！", "zh"),
    ("受付終了", "ja"),
    ("市政府的办公时间是几点到几点？", "zh"),
    ("我想申請兒童津貼", "zh"),
    ("주민표를 우편으로 받을 수 있나요?", "ko"),
    ("Tôi muốn vứt sạc dự phòng cũ thì phải làm thế nào?", "vi"),
    ("Como faço para pagar os impostos municipais por débito automático?", "pt"),
    ("123", None),
    ("？！", None),
    ("", None),
    (None, None),
])
def test_detect(text, expected):
    assert language.detect(text) == expected


@pytest.mark.parametrize("value, expected", [
    ("en-US", "en"), ("zh-Hans-CN", "zh"), ("pt_BR", "pt"), ("KO", "ko"), ("ja", "ja"),
    ("fr-FR", None), ("", None), (None, None), (3, None),
])
def test_normalize_language(value, expected):
    assert language.normalize_language(value) == expected


def test_glossary_adds_japanese_terms_longest_match_first():
    glossary = language.Glossary(language.parse_glossary({
        "en": {"health insurance": "健康保険", "national health insurance": "国民健康保険",
               "card": ["カード"]},
    }))
    assert glossary.japanese_terms("How do I join National  Health Insurance?", "en") == ["国民健康保険"]
    assert glossary.japanese_terms("I lost my cards", "en") == ["カード"]
    assert glossary.japanese_terms("discard this", "en") == []  # word boundaries
    assert glossary.japanese_terms("health insurance", "zh") == []


def test_shipped_glossary_maps_the_municipal_terms():
    g = language.glossary()
    assert g.japanese_terms("How can I get a residence certificate?", "en") == ["住民票"]
    assert "マイナンバーカード" in g.japanese_terms("I lost my My Number card", "en")
    assert "粗大ごみ" in g.japanese_terms("How do I put out bulky garbage?", "en")
    assert "国民健康保険" in g.japanese_terms("我想加入国民健康保险", "zh")
    assert "粗大ごみ" in g.japanese_terms("대형 쓰레기는 어떻게 버려요?", "ko")
    assert "在留カード" in g.japanese_terms("thẻ cư trú", "vi")
    assert "住民票" in g.japanese_terms("atestado de residência", "pt")
    assert language.search_text("住民票", "ja") == "住民票"
    assert language.search_text("Where is the shelter?", "en") == "Where is the shelter? 避難所"


def test_city_glossary_file_extends_and_bad_files_are_refused(tmp_path, monkeypatch):
    monkeypatch.setenv("MADOGUCHI_HOME", str(tmp_path))
    (tmp_path / "glossary.yml").write_text("en:\n  sunflower festival: ひまわりまつり\n", encoding="utf-8")
    assert language.glossary().japanese_terms("When is the sunflower festival?", "en") == ["ひまわりまつり"]
    with pytest.raises(ValueError, match="fr"):
        language.parse_glossary({"fr": {"mairie": "市役所"}})
    with pytest.raises(ValueError, match="空"):
        language.parse_glossary({"en": {"city hall": ""}})


def test_prepare_query_searches_foreign_text_densely_with_glossary_terms():
    assert language.prepare_query("住民票の取り方", None) == ("住民票の取り方", None, "ja")
    text, method, lang = language.prepare_query("Where can I get my residence certificate?", None)
    assert (method, lang) == ("dense", "en") and text.endswith("住民票")
    assert language.prepare_query("123", "bm25") == ("123", "bm25", None)


ENTRY = FaqEntry(
    id="F0001", question="住民票の写しはどこで取れますか？", answer="市民課で取れます。",
    short_answer="市民課です。", department="市民課", phone="099-000-1101",
    url="https://www.city.example/juminhyo",
    translations=(("answer_en", "At the Citizens Division."), ("question_en", "Where can I get a residence certificate?"),
                  ("short_answer_en", "Citizens Division.")),
    easy_ja="市民課で もらえます。",
)


def test_translated_answer_in_the_residents_language():
    answer = texts.localized_answer(ENTRY, "en")
    assert answer.version == "en" and not answer.offers_staff
    assert answer.text.startswith("At the Citizens Division.")
    assert "Contact: 市民課　099-000-1101" in answer.text and "Details: https://www.city.example/juminhyo" in answer.text
    assert answer.short_text == "Citizens Division." and answer.question.startswith("Where can I")


def test_no_translation_gives_easy_japanese_with_a_note_and_a_person():
    answer = texts.localized_answer(ENTRY, "vi")
    assert answer.version == "easy_ja" and answer.offers_staff
    assert answer.text.startswith("市民課で もらえます。")
    assert answer.text.endswith(texts.TEXTS["easy_note"]["vi"])
    assert "nhân viên" in answer.note  # offers a person, in Vietnamese
    assert answer.short_text == "市民課で もらえます。"


def test_neither_gives_japanese_with_a_note():
    plain = ENTRY.replace(translations=(), easy_ja="")
    answer = texts.localized_answer(plain, "pt")
    assert answer.version == "ja" and answer.text.startswith(replies.answer_text(plain))
    assert answer.text.endswith(texts.TEXTS["japanese_note"]["pt"])
    assert texts.localized_answer(plain, "ja").text == replies.answer_text(plain)
    assert texts.localized_answer(plain, None).note == ""


def test_every_fixed_text_exists_in_every_language():
    for key, by_language in texts.TEXTS.items():
        assert set(by_language) == set(language.FOREIGN_LANGUAGES), key
        if key not in ("easy_note", "japanese_note"):  # said only to residents of another language
            assert texts.text(key, "ja") == texts._JAPANESE[key]
    assert texts.text("handoff", "en", ticket_id=12).endswith("(Reception number 12)")
    assert texts.text("solved", "fr") == replies.SOLVED_QUESTION


def test_choice_titles_are_translated_where_the_entry_is():
    other = FaqEntry(id="F0002", question="住民票に本籍を載せたい", answer="a")
    buttons = replies.choice_buttons([ENTRY, other])
    localized = texts.localize_choices(buttons, [ENTRY, other], "en")
    assert [b["title"] for b in localized] == [
        "Where can I get a residence certificate?", "住民票に本籍を載せたい", "None of these"]
    assert [b["payload"] for b in localized] == [b["payload"] for b in buttons]
    assert texts.localize_choices(buttons, [ENTRY, other], "ja") == buttons


def test_japanese_replies_are_those_of_replies_py():
    assert texts.text("glad", "ja") + texts.text("anything_else", "ja") == replies.GLAD
    assert texts.text("declined_staff", None) + texts.text("anything_else", None) == replies.DECLINED_STAFF
