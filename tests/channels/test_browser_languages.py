"""The web chat in the residents' languages, in Debian's chromium: the widget follows the
browser's language, has a language switch, sends the language with each message, and passes
axe-core (no serious or critical issue) in every language. Screenshots in tests/artifacts/."""
from __future__ import annotations

import pytest

from core.settings import REPO_ROOT
from test_browser import browser  # noqa: F401 - the module's chromium

AXE = REPO_ROOT / "var" / "axe" / "node_modules" / "axe-core" / "axe.min.js"
EN_ANSWER = [
    {"text": "You can get it at the Citizens Division of City Hall. The fee is 300 yen per copy."},
    {"text": "Did this solve your question?", "buttons": [{"title": "Yes", "payload": "/affirm"},
                                                          {"title": "No", "payload": "/deny"}]},
    {"custom": {"madoguchi": {"kind": "answer", "faq_id": "F0001", "language": "en", "answer_language": "en"}}},
]
GREETINGS = {
    "ja": "こんにちは。ひだまり市のAI案内窓口です。",
    "en": "Hello. This is the AI information desk of ひだまり市.",
    "zh": "您好。这里是ひだまり市的AI咨询窗口。",
    "ko": "안녕하세요. ひだまり市 AI 안내 창구입니다.",
    "vi": "Xin chào. Đây là quầy hướng dẫn AI của ひだまり市.",
    "pt": "Olá. Este é o atendimento com IA de ひだまり市.",
}
LOCALES = {"ja": "ja-JP", "en": "en-US", "zh": "zh-CN", "ko": "ko-KR", "vi": "vi-VN", "pt": "pt-BR"}


def test_widget_follows_the_browser_language_and_sends_it(browser, gateway, fake_rasa, artifacts):
    fake_rasa.replies["How can I get a residence certificate?"] = EN_ANSWER
    page = browser.new_page(viewport={"width": 420, "height": 760}, locale="en-US")
    page.goto(gateway.url + "/web/")
    page.get_by_text(GREETINGS["en"]).wait_for()
    assert page.evaluate("document.documentElement.lang") == "en"
    assert page.locator("#language").input_value() == "en"
    assert page.get_by_role("button", name="Talk to staff").is_visible()
    assert page.get_by_placeholder("Ask a question").is_visible()
    page.get_by_label("Type your question").fill("How can I get a residence certificate?")
    page.get_by_role("button", name="Send").click()
    page.get_by_text("You can get it at the Citizens Division").wait_for()
    page.get_by_role("button", name="Yes").wait_for()
    assert fake_rasa.received[-1]["metadata"] == {"channel": "web", "language": "en"}
    page.screenshot(path=str(artifacts / "web_english.png"), full_page=True)
    page.close()


def test_language_switch_changes_the_widget_and_is_remembered(browser, gateway, fake_rasa, artifacts):
    context = browser.new_context(viewport={"width": 1280, "height": 860}, locale="ja-JP")
    page = context.new_page()
    page.goto(gateway.url + "/web/")
    page.get_by_text(GREETINGS["ja"]).wait_for()
    assert page.get_by_role("button", name="職員と話す").is_visible()
    page.locator("#language").select_option("ko")
    page.get_by_text(GREETINGS["ko"]).wait_for()
    assert page.evaluate("document.documentElement.lang") == "ko"
    assert page.get_by_role("button", name="직원과 이야기하기").is_visible()
    assert "119" in page.locator("#notice").inner_text() and "화재" in page.locator("#notice").inner_text()
    page.get_by_label("질문 입력").fill("주민표")
    page.get_by_role("button", name="보내기").click()
    page.get_by_text("「주민표」についてのお答えです。").wait_for()
    assert fake_rasa.received[-1]["metadata"]["language"] == "ko"
    page.screenshot(path=str(artifacts / "web_korean.png"), full_page=True)
    page.reload()  # the choice is kept (localStorage) over the browser's language
    page.get_by_text(GREETINGS["ko"]).wait_for()
    context.close()


@pytest.mark.parametrize("lang", list(LOCALES))
def test_widget_passes_axe_core_in_every_language(browser, gateway, fake_rasa, lang, artifacts):
    if not AXE.exists():
        pytest.fail("axe-core is missing: run scripts/install_browser.sh (make test does)")
    # axe is injected as a script, which the page's Content-Security-Policy would refuse
    context = browser.new_context(viewport={"width": 1280, "height": 860}, locale=LOCALES[lang], bypass_csp=True)
    page = context.new_page()
    page.goto(gateway.url + "/web/")
    page.get_by_text(GREETINGS[lang]).wait_for()
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    serious = [
        (v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
        for v in result["violations"] if v["impact"] in ("serious", "critical")
    ]
    assert not serious, serious
    assert result["testEngine"]["version"].startswith("4.")
    if lang in ("zh", "vi"):
        page.screenshot(path=str(artifacts / f"web_{lang}.png"), full_page=True)
    context.close()
