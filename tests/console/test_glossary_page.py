"""The glossary page: the city's own terms, validated, saved, used by the next search."""
from __future__ import annotations

import html as html_lib

import pytest

from console import audit
from faq import language
from test_faq_pages import editor, post  # noqa: F401 - fixtures


@pytest.fixture(autouse=True)
def city_home(tmp_path, monkeypatch):
    """The city's glossary in a throw-away home, not the installation's."""
    monkeypatch.setenv("MADOGUCHI_HOME", str(tmp_path))
    return tmp_path


def test_glossary_page_lists_the_shipped_terms(editor):
    page = html_lib.unescape(editor.get("/staff/glossary").text)
    assert "residence certificate" in page and "住民票" in page and "英語（en）" in page
    assert 'name="text"' in page and "用語集" in page


def test_city_terms_are_saved_and_used_by_search(editor, console_state):
    response = post(editor, "/staff/glossary", {"text": "en:\n  sunflower festival: ひまわりまつり\n"},
                    follow_redirects=True)
    assert response.status_code == 200 and "市独自の用語 1 件" in html_lib.unescape(response.text)
    assert language.city_glossary_path().read_text(encoding="utf-8").startswith("en:")
    assert language.search_text("When is the sunflower festival?", "en").endswith("ひまわりまつり")
    entries = audit.entries(console_state.engine, action="glossary.update")
    assert entries and entries[0].detail["terms"] == 1


def test_bad_glossary_is_refused_and_nothing_is_written(editor):
    language.city_glossary_path().write_text("en:\n  town hall: 市役所\n", encoding="utf-8")
    before = language.city_glossary_path().read_text(encoding="utf-8")
    for text, message in (("en: [unclosed", "YAML として読めません"), ("fr:\n  mairie: 市役所\n", "fr"),
                          ("en:\n  city hall:\n", "空")):
        response = post(editor, "/staff/glossary", {"text": text})
        assert response.status_code == 400 and message in html_lib.unescape(response.text), text
    assert language.city_glossary_path().read_text(encoding="utf-8") == before
