"""Text for the ear (replies/speech.py): what the phone says."""
from __future__ import annotations

from replies.speech import MAX_SPOKEN_CHARS, read_phone, speakable


def test_speakable_drops_urls_and_link_lines():
    text = "粗大ごみは予約制です。\n\n詳しくは：https://www.city.hidamari.example/gomi\nhttps://example.jp/a"
    assert speakable(text) == "粗大ごみは予約制です。"


def test_speakable_reads_phone_numbers_times_and_amounts_naturally():
    spoken = speakable("受付は8:30〜17:15です。お問い合わせは環境課 099-000-1234（内線25）へ。手数料は1,000円です。")
    assert "8時30分から17時15分" in spoken
    assert "ゼロキュウキュウの、ゼロゼロゼロの、イチニーサンヨン" in spoken
    assert "1000円" in spoken
    assert "（" not in spoken and ":" not in spoken
    assert read_phone("0120-123-456") == "ゼロイチニーゼロの、イチニーサンの、ヨンゴーロク"


def test_speakable_is_at_most_about_twenty_seconds_and_ends_at_a_sentence():
    long = "この手続きには本人確認書類が必要です。" * 20
    spoken = speakable(long)
    assert len(spoken) <= MAX_SPOKEN_CHARS
    assert spoken.endswith("。")
    assert spoken.startswith("この手続きには本人確認書類が必要です。")
