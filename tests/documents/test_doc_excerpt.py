"""The passage cut to the sentences that answer, and the passage turn on LINE without a link."""
from __future__ import annotations

from documents.excerpt import excerpt, first_sentence

TEXT = ("毎年2月1日から2月20日まで、農政課の窓口または電子申請で受け付けます。1世帯1区画までです。"
        "応募が多い場合は公開抽選で決め、結果は3月上旬に郵送でお知らせします。\n"
        "利用期間は4月1日から翌年3月31日までの1年間です。")


def test_excerpt_keeps_the_sentence_that_answers(analyzer):
    short = excerpt(TEXT, "抽選の結果はいつわかりますか", analyzer, max_chars=40)
    assert short == "応募が多い場合は公開抽選で決め、結果は3月上旬に郵送でお知らせします。"
    # a neighbour is added while it fits
    assert excerpt(TEXT, "抽選の結果はいつわかりますか", analyzer, max_chars=60) == (
        "1世帯1区画までです。応募が多い場合は公開抽選で決め、結果は3月上旬に郵送でお知らせします。")
    assert excerpt(TEXT, "利用期間はいつまで", analyzer, max_chars=40) == "利用期間は4月1日から翌年3月31日までの1年間です。"
    whole = excerpt(TEXT, "市民農園の申込み", analyzer, max_chars=400)
    assert whole.replace("\n", "") == TEXT.replace("\n", "")  # in the passage's order
    assert len(excerpt("あ" * 500, "あ", analyzer, max_chars=100)) == 100


def test_first_sentence_for_the_phone():
    assert first_sentence(TEXT) == "毎年2月1日から2月20日まで、農政課の窓口または電子申請で受け付けます。"
    assert first_sentence("い" * 200, 80).endswith("…") and len(first_sentence("い" * 200, 80)) == 80


def test_line_passage_without_a_link_stays_text():
    from channels.line import render_turn
    from channels.rasa import parse_turn

    custom = {"madoguchi": {"kind": "passage", "title": "献血のお知らせ", "url": "", "text": "献血バスは毎月来ます。"}}
    turn = parse_turn([{"text": "献血バスは毎月来ます。\n（献血のお知らせより）"},
                       {"text": "解決しましたか？", "buttons": [{"title": "はい", "payload": "/affirm"}]},
                       {"custom": custom}])
    messages = render_turn(turn)
    assert [m.type for m in messages] == ["text", "text"]
    assert "献血のお知らせ" in messages[0].text
    custom["madoguchi"]["url"] = "https://www.city.hidamari.example/kenko/kenketsu.html"
    messages = render_turn(parse_turn([{"text": "x"}, {"text": "解決しましたか？"}, {"custom": custom}]))
    assert [m.type for m in messages] == ["flex", "text"]
    assert messages[0].contents.footer.contents[0].action.uri == custom["madoguchi"]["url"]
