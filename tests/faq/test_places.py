"""Questions about another municipality (faq/places.py), found through Sudachi's place names."""
import pytest

from faq.places import other_municipality

OWN = ["ひだまり市"]


@pytest.mark.parametrize("text, name", [
    ("川崎市役所の電話番号", "川崎市"),
    ("さいたま市の粗大ごみの予約", "さいたま市"),
    ("つくば市の住民票はコンビニで取れる？", "つくば市"),     # in no training example
    ("府中市で印鑑登録したい", "府中市"),
    ("母が住んでる相模原市の介護サービスについて", "相模原市"),
    ("東京都の保育園の申し込み方法", "東京都"),
    ("千葉県の運転免許センターの場所", "千葉県"),
    ("大阪の粗大ごみは有料？", "大阪"),                     # a prefecture or big city without 市
    ("多摩区役所はどこ", "多摩区"),
    ("白馬村役場の電話", "白馬村"),
    ("ＫＡＷＡＳＡＫＩ市役所？ いや、松本市の住民票", "松本市"),
])
def test_another_municipality_is_found(text, name):
    mention = other_municipality(text, OWN)
    assert mention is not None and mention.name == name
    assert text[mention.start:mention.end].startswith(name)


@pytest.mark.parametrize("text", [
    "ひだまり市の桜の名所",                                   # the city itself
    "ひだまり市役所の開庁時間",
    "横浜市から引っ越してきました",                            # moving in or out is this city's business
    "福岡市に引っ越すので転出届を出したい",
    "前の住所が横浜市なんだけど転入届に何がいる？",
    "ちょうど出張で大阪にいるんです。期日前投票できますか",      # only where the resident is
    "みのり町の集会所を借りたい",                              # the city's own neighbourhoods
    "南町の公民館",
    "中央区",
    "城山の公園の駐車場",
    "住民票の写しはどこで取れますか",
    "",
])
def test_this_citys_questions_are_not_flagged(text):
    assert other_municipality(text, OWN) is None


def test_own_names_cover_the_citys_bare_name():
    assert other_municipality("松本市役所の住所", ["松本市"]) is None
    assert other_municipality("松本の住民票", ["松本市"]) is None
    assert other_municipality("松本市役所の住所", OWN).name == "松本市"
