from types import SimpleNamespace

import pytest

import replies

ENTRY = SimpleNamespace(
    id="F0170",
    question="粗大ごみはどうやって出せばいいですか？",
    answer="粗大ごみは事前予約制です。受付は平日8時30分から17時までです。\n予約後、コンビニで処理券を購入してください。",
    short_answer="粗大ごみは予約制です。",
    department="環境課",
    phone="099-000-1201",
    url="https://www.city.hidamari.example/gomi/sodai.html",
)


@pytest.mark.parametrize(
    "text, kind",
    [
        ("電話番号は？", "phone"),
        ("連絡先を教えて", "phone"),
        ("受付時間は？", "hours"),
        ("何時までやってる？", "hours"),
        ("どこでできる？", "where"),
        ("もっと詳しく", "details"),
        ("粗大ごみの出し方を教えてください、電話番号も知りたいです", None),  # a new question
        ("住民票", None),
        ("", None),
    ],
)
def test_follow_up_kind(text, kind):
    assert replies.follow_up_kind(text) == kind


@pytest.mark.parametrize(
    "text, number",
    [("1", 1), ("2番", 2), ("３番で", 3), ("2つ目", 2), ("最初の", 1), ("2番目でお願いします", 2),
     ("住民票", None), ("1000円", None), ("一番近い避難所はどこですか", None)],
)
def test_choice_number(text, number):
    assert replies.choice_number(text) == number


def test_answer_text_carries_contact_and_url():
    text = replies.answer_text(ENTRY)
    assert ENTRY.answer in text and ENTRY.phone in text and ENTRY.department in text and ENTRY.url in text


def test_follow_up_texts_come_from_the_entry():
    assert replies.follow_up_text("phone", ENTRY, "平日") == "環境課の電話番号は 099-000-1201 です。"
    assert "8時30分" in replies.follow_up_text("hours", ENTRY, "平日")
    assert "コンビニ" in replies.follow_up_text("where", ENTRY, "平日")
    assert ENTRY.url in replies.follow_up_text("details", ENTRY, "平日")


def test_choice_buttons_pick_by_id_and_end_with_none_of_these():
    buttons = replies.choice_buttons([ENTRY])
    assert buttons[0] == {"title": ENTRY.question, "payload": '/ask_question{"faq_id": "F0170"}'}
    assert buttons[-1]["title"] == "どれにも当てはまらない"


def test_choices_carry_a_short_hint_of_each_answer():
    long_first = SimpleNamespace(**{**vars(ENTRY), "id": "F0171", "short_answer": "",
                                    "answer": "申請は、本人確認書類と印鑑を持って市民課の窓口に来ていただくか、郵送でも受け付けています。ほか。"})
    payload = replies.choices_payload([ENTRY, long_first])
    assert [b["payload"] for b in payload] == [b["payload"] for b in replies.choice_buttons([ENTRY, long_first])]
    assert payload[0]["hint"] == "粗大ごみは予約制です。"  # the short answer's first sentence
    assert payload[1]["hint"].endswith("…") and len(payload[1]["hint"]) == replies.CHOICE_HINT_CHARS
    assert "hint" not in payload[-1]  # 「どれにも当てはまらない」
