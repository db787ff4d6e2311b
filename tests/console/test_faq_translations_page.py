"""The FAQ edit form's translations and やさしい日本語, with its check, on the sample FAQ."""
from __future__ import annotations

import html as html_lib

from test_faq_pages import edit_form, editor, post, store  # noqa: F401 - fixtures


def test_edit_form_shows_translations_beside_the_japanese_and_the_easy_check(editor, store):
    entry = store.get("F0001")
    page = html_lib.unescape(editor.get("/staff/faq/F0001").text)
    assert 'name="answer_en"' in page and entry.translation("en")["answer"] in page
    assert entry.translation("ko")["question"] in page and 'lang="vi"' in page
    assert 'name="easy_ja"' in page and entry.easy_ja in page
    assert "英語（en）" in page and "ベトナム語（vi）" in page
    assert 'id="easy-findings"' in page  # the check ran on the stored やさしい日本語


def test_saving_translations_and_easy_japanese_through_the_form(editor, store, console_state):
    easy = ("この 手続きは、市役所の 窓口で、書類の 提出と 手数料の 支払いを して、係の 人に 確認して "
            "もらってから、次の 日に 結果を 受け取りに 来て ください。")
    form = edit_form(store, "F0001", answer_vi="Bạn có thể lấy tại Phòng Công dân.", answer_pt="", easy_ja=easy,
                     languages_section="1")
    response = post(editor, "/staff/faq/F0001", form, follow_redirects=True)
    assert response.status_code == 200, response.text[:500]
    saved = store.get("F0001")
    assert saved.translation("vi")["answer"] == "Bạn có thể lấy tại Phòng Công dân."
    assert saved.translation("pt")["answer"] == ""  # emptied in the form: removed
    assert saved.translation("en")["answer"]  # untouched
    assert saved.easy_ja == easy
    page = html_lib.unescape(editor.get("/staff/faq/F0001").text)
    assert "長い文" in page and "やさしくない言葉" in page and "提出" in page
    history = html_lib.unescape(editor.get("/staff/faq/F0001/history").text)
    assert "翻訳" in history and "やさしい日本語の回答" in history


def test_a_form_without_translation_fields_keeps_them(editor, store):
    before = store.get("F0002")
    form = {k: v for k, v in edit_form(store, "F0002", answer="新しい回答です。").items()
            if not k.startswith(("question_", "answer_", "short_answer_")) and k != "easy_ja"}
    post(editor, "/staff/faq/F0002", form, follow_redirects=True)
    after = store.get("F0002")
    assert after.answer == "新しい回答です。" and after.translations == before.translations
    assert after.easy_ja == before.easy_ja
