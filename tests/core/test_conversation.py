"""Conversation ids (core/conversation.py)."""
from __future__ import annotations

import pytest

from core.conversation import (
    LINE, PHONE, WEB, ConversationId, build_conversation_id, channel_of, parse_conversation_id,
)


def test_ids_are_built_with_the_channels_prefix():
    assert build_conversation_id(LINE, "U1") == "line:U1"
    assert build_conversation_id(PHONE, "CA1") == "tel:CA1"
    assert build_conversation_id(WEB, "3f2a") == "web:3f2a"
    with pytest.raises(ValueError):
        build_conversation_id("tel", "CA1")  # a prefix is not a channel


@pytest.mark.parametrize("channel, resident", [(LINE, "U4af49"), (PHONE, "CA5f0e"), (WEB, "3f2a")])
def test_an_id_reads_back(channel, resident):
    parsed = parse_conversation_id(build_conversation_id(channel, resident))
    assert parsed.channel == channel and parsed.resident == resident
    assert str(parsed) == build_conversation_id(channel, resident)


def test_parsing_keeps_the_rest_after_the_first_colon_and_refuses_what_is_no_id():
    assert parse_conversation_id("web:a:b") == ConversationId("web", "a:b")
    assert parse_conversation_id("fax:123").channel is None
    assert parse_conversation_id("line:") is None and parse_conversation_id("line") is None


def test_channel_of():
    assert channel_of("tel:CA1") == PHONE and channel_of("line:U1") == LINE and channel_of("web:x") == WEB
    assert channel_of("bench-1") is None and channel_of("fax:1") is None
