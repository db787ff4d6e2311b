import logging

import pytest

from core.logs import MaskingFilter
from core.privacy import mask_pii


@pytest.mark.parametrize(
    "text, hidden",
    [
        ("電話は090-1234-5678です", "090-1234-5678"),
        ("自宅 03-1234-5678 までお願いします", "03-1234-5678"),
        ("０９０１２３４５６７８に", "０９０１２３４５６７８"),
        ("+81 90 1234 5678", "1234 5678"),
        ("マイナンバーは1234 5678 9012です", "1234 5678 9012"),
        ("番号は123456789012", "123456789012"),
        ("taro.yamada@example.co.jp に送って", "taro.yamada@example.co.jp"),
        ("中央1丁目2番3号に住んでいます", "1丁目2番3号"),
        ("ひだまり市中央1-2-3", "1-2-3"),
        ("大字山田123番地の4", "123番地の4"),
    ],
)
def test_personal_data_is_masked(text, hidden):
    masked = mask_pii(text)
    assert hidden not in masked
    assert "[" in masked


@pytest.mark.parametrize(
    "text",
    ["住民票は1通300円です", "2026-11-23に受付", "令和8年4月1日から", "粗大ごみは3点まで", ""],
)
def test_ordinary_text_is_kept(text):
    assert mask_pii(text) == text


def test_log_records_are_masked(caplog):
    logger = logging.getLogger("madoguchi.test")
    logger.addFilter(MaskingFilter())
    with caplog.at_level(logging.INFO, logger="madoguchi.test"):
        logger.info("caller %s asked about %s", "090-1111-2222", "住民票")
    assert "090-1111-2222" not in caplog.text
    assert "[電話番号]" in caplog.text and "住民票" in caplog.text
