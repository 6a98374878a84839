"""Tests for collectors.feeds.status: online/offline text payloads."""

from __future__ import annotations

import pytest

from collectors.feeds.status import parse
from collectors.topics import Topic
from ioc.errors import PayloadRejected
from ioc.model import Reading

R = 1_593_565_200_000_000_000
TOPIC = Topic("status", None, "gauge-7", "ioc/status/gauge-7")


@pytest.mark.parametrize(
    ("payload", "online"),
    [
        (b"online", 1),
        (b"offline", 0),
        (b"online\n", 1),
        (b"\t offline \r\n", 0),
    ],
)
def test_states(payload: bytes, online: int) -> None:
    assert parse(TOPIC, payload, R) == [
        Reading("status", R, {"district": "", "source": "gauge-7"}, {"online": online})
    ]


def test_time_is_the_receive_time_and_field_is_int() -> None:
    [reading] = parse(TOPIC, b"online", R + 42)
    assert reading.time_ns == R + 42
    assert type(reading.fields["online"]) is int


@pytest.mark.parametrize(
    "payload",
    [
        b"",
        b"   ",
        b"Online",
        b"ONLINE",
        b"on line",
        b"1",
        b'"online"',
        b'{"status": "online"}',
        b"online\x00",
    ],
)
def test_anything_else_is_bad_value(payload: bytes) -> None:
    with pytest.raises(PayloadRejected) as info:
        parse(TOPIC, payload, R)
    assert info.value.reason == "bad_value"
    assert "expected 'online' or 'offline'" in info.value.detail


def test_long_payload_is_shortened_in_the_detail() -> None:
    with pytest.raises(PayloadRejected) as info:
        parse(TOPIC, b"x" * 1000, R)
    assert len(info.value.detail) < 120


def test_not_utf8_is_bad_encoding() -> None:
    with pytest.raises(PayloadRejected) as info:
        parse(TOPIC, b"onl\xefne", R)
    assert info.value.reason == "bad_encoding"
    assert "offset 3" in info.value.detail and "0xef" in info.value.detail
