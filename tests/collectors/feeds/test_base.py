"""Tests for collectors.feeds.base: JSON loading, strict types, timestamps and their bounds."""

from __future__ import annotations

import pytest

from collectors.feeds.base import (
    MAX_AHEAD_NS,
    MIN_TIME_NS,
    as_float,
    as_int,
    check_keys,
    check_time,
    describe,
    load_json,
    load_object,
    reading_time_ns,
    timestamp_ns,
)
from ioc.errors import PayloadRejected

R = 1_593_565_200_000_000_000  # 2020-07-01T01:00:00Z


def reason_of(fn: object, *args: object) -> str:
    with pytest.raises(PayloadRejected) as info:
        fn(*args)  # type: ignore[operator]
    return info.value.reason


@pytest.mark.parametrize(
    ("text", "ns"),
    [
        ("2020-07-01T08:00:00+07:00", R),
        ("2020-07-01T01:00:00Z", R),
        ("2020-07-01t01:00:00z", R),
        ("2020-07-01 01:00:00Z", R),
        ("2020-07-01T01:00:00-00:00", R),
        ("2020-06-30T21:30:00-03:30", R),
        ("2020-07-01T01:00:00.5Z", R + 500_000_000),
        ("2020-07-01T01:00:00.000000001Z", R + 1),
        ("2020-07-01T01:00:00.123456789999Z", R + 123_456_789),
        ("2000-01-01T00:00:00Z", MIN_TIME_NS),
        ("2020-02-29T00:00:00Z", 1_582_934_400_000_000_000),
    ],
)
def test_rfc3339(text: str, ns: int) -> None:
    assert timestamp_ns(text, "ts") == ns


def test_epoch_milliseconds() -> None:
    assert timestamp_ns(1593565200000, "ts") == R
    assert timestamp_ns(1593565200001, "ts") == R + 1_000_000


@pytest.mark.parametrize(
    "text",
    [
        "2020-07-01T08:00:00",
        "2020-07-01 08:00",
        "2020-07-01",
        "1593565200000",
        "20200701T080000+0700",
        "2020-07-01T08:00:00+0700",
        "2020-07-01T08:00+07:00",
        "2020-02-30T00:00:00Z",
        "2019-02-29T00:00:00Z",
        "2020-07-01T24:00:00Z",
        "2020-07-01T23:60:00Z",
        "2016-12-31T23:59:60Z",
        "2020-07-01T08:00:00+24:00",
        "2020-07-01T08:00:00+07:60",
        "２０２０-07-01T08:00:00Z",
        " 2020-07-01T08:00:00Z",
        "",
    ],
)
def test_bad_times(text: str) -> None:
    assert reason_of(timestamp_ns, text, "ts") == "bad_time"


def test_naive_time_detail_says_so() -> None:
    with pytest.raises(PayloadRejected) as info:
        timestamp_ns("2020-07-01T08:00:00", "ts")
    assert "without a UTC offset" in info.value.detail
    assert "'ts'" in info.value.detail and '"2020-07-01T08:00:00"' in info.value.detail


@pytest.mark.parametrize("value", [1593565200000.0, 1.5e12, True, False, None, [1], {"s": 1}])
def test_other_json_types_are_wrong_type(value: object) -> None:
    assert reason_of(timestamp_ns, value, "ts") == "wrong_type"


def test_time_bounds() -> None:
    assert check_time(MIN_TIME_NS, "ts", R) == MIN_TIME_NS
    assert check_time(R + MAX_AHEAD_NS, "ts", R) == R + MAX_AHEAD_NS
    assert reason_of(check_time, MIN_TIME_NS - 1, "ts", R) == "bad_time"
    assert reason_of(check_time, R + MAX_AHEAD_NS + 1, "ts", R) == "bad_time"
    assert reason_of(check_time, -(10**30), "ts", R) == "bad_time"


def test_reading_time() -> None:
    assert reading_time_ns({}, R) == R
    assert reading_time_ns({"ts": 1593565140000}, R) == R - 60_000_000_000
    assert reason_of(reading_time_ns, {"ts": None}, R) == "wrong_type"
    assert reason_of(reading_time_ns, {"ts": 18446744073709551615}, R) == "bad_time"


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b"{", "bad_json"),
        (b"", "bad_json"),
        (b"\xef\xbb\xbf{}", "bad_json"),
        (b'{"a": NaN}', "bad_json"),
        (b'"\\ud800"', "bad_json"),
        (b'{"a": "\xff"}', "bad_encoding"),
        (b"\xc3\x28", "bad_encoding"),
    ],
)
def test_load_json_reasons(payload: bytes, reason: str) -> None:
    assert reason_of(load_json, payload) == reason


def test_load_object_wants_an_object() -> None:
    assert load_object(b' {"a": 1} ', "camera") == {"a": 1}
    with pytest.raises(PayloadRejected) as info:
        load_object(b"[1, 2]", "camera")
    assert info.value.reason == "bad_shape"
    assert "camera payload must be a JSON object, got an array" in info.value.detail


def test_strict_numbers() -> None:
    assert as_float(3, "x") == 3.0 and type(as_float(3, "x")) is float
    assert as_int(3, "x") == 3
    assert reason_of(as_float, True, "x") == "wrong_type"
    assert reason_of(as_float, float("inf"), "x") == "bad_value"
    assert reason_of(as_float, float("nan"), "x") == "bad_value"
    assert reason_of(as_int, 3.0, "x") == "wrong_type"
    assert reason_of(as_int, False, "x") == "wrong_type"


def test_check_keys() -> None:
    check_keys({"a": 1}, frozenset({"a", "b"}), "the payload")
    with pytest.raises(PayloadRejected) as info:
        check_keys({"a": 1, "c": 2}, frozenset({"a", "b"}), "the payload")
    assert info.value.reason == "unknown_name"
    assert "'c'" in info.value.detail and "a, b" in info.value.detail


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, "null"),
        (True, "true"),
        ("x", 'the string "x"'),
        (12, "the integer 12"),
        (12.0, "the number 12.0"),
        ({}, "an object"),
        ([], "an array"),
        ("y" * 100, 'the string "' + "y" * 56 + "..."),
    ],
)
def test_describe(value: object, text: str) -> None:
    assert describe(value) == text
