"""Hostile payloads for the feed parsers, and the property every outcome must have.

    check_outcome(topic, payload, received_ns) -> str     "stored" or the rejection reason;
                                                          raises AssertionError otherwise
    mutations(rng, n) -> iterator of (topic, payload)     for `ioc bench fuzz`

The property ("stored exactly as sent, or rejected with a reason"): `decode` either raises
`PayloadRejected` with a known reason, or returns readings of the topic's feed and source, with
finite numbers, string tags, a time between 2000 and one day after receipt — and, for sensor
JSON, exactly the values that were sent. Any other exception is a bug. The Hypothesis test
(tests/collectors/feeds/test_fuzz.py) drives it with generated input; the bench with mutations
of the golden samples (samples/).
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from pathlib import Path

import orjson

from collectors.decode import decode
from collectors.feeds.base import MIN_TIME_NS
from collectors.topics import parse_topic
from ioc.errors import PayloadRejected
from ioc.feeds import FEEDS
from ioc.model import NS_PER_S

SAMPLES = Path(__file__).resolve().parents[1] / "samples"
DAY_NS = 86_400 * NS_PER_S


def check_outcome(topic: str, payload: bytes, received_ns: int) -> str:
    try:
        readings = decode(topic, payload, received_ns)
    except PayloadRejected as exc:
        assert exc.reason in PayloadRejected.REASONS, exc.reason
        assert isinstance(exc.detail, str) and exc.detail
        return exc.reason
    parsed = parse_topic(topic)
    spec = FEEDS[parsed.feed]
    for reading in readings:
        assert reading.measurement == spec.measurement
        assert reading.tags["source"] == parsed.source
        if parsed.district is not None:
            assert reading.tags["district"] == parsed.district
        assert all(isinstance(k, str) and isinstance(v, str) for k, v in reading.tags.items())
        assert MIN_TIME_NS <= reading.time_ns <= received_ns + DAY_NS, reading.time_ns
        for name, value in reading.fields.items():
            assert isinstance(name, str)
            assert isinstance(value, float | int | str | bool), (name, value)
            if isinstance(value, float):
                assert math.isfinite(value), (name, value)
    _check_sensor_values(parsed.feed, payload, readings)
    return "stored"


def _check_sensor_values(feed: str, payload: bytes, readings: list) -> None:  # type: ignore[type-arg]
    """Sensor JSON objects: the stored fields are exactly the values sent."""
    if feed != "sensor":
        return
    try:
        obj = orjson.loads(payload)
    except orjson.JSONDecodeError:
        return
    if isinstance(obj, dict) and isinstance(obj.get("values"), dict):
        (reading,) = readings
        sent = {k: float(v) for k, v in obj["values"].items()}
        assert dict(reading.fields) == sent, (dict(reading.fields), sent)


def samples() -> list[tuple[str, bytes]]:
    found = []
    for case in sorted(SAMPLES.glob("*/*/")):
        topic, payload = case / "topic.txt", case / "payload"
        if topic.is_file() and payload.is_file():
            found.append((topic.read_text(encoding="utf-8").strip(), payload.read_bytes()))
    return found


HOSTILE = [
    b"NaN",
    b"Infinity",
    b"-Infinity",
    b"1e400",
    b"-1e400",
    b"1e-400",
    b"null",
    b"true",
    b"[]",
    b"{}",
    b'"2020-07-01T08:00:00+07:00"',
    b"99999999999999999999999",
    b"-1",
    b'"\\u0000"',
    b'"air\\nkind=x,district=y"',
    b'"\\" OR 1=1 --"',
    b'"' + "Đ".encode() * 300 + b'"',
    b"[" * 200 + b"]" * 200,
]


def mutations(rng: random.Random, n: int) -> Iterator[tuple[str, bytes]]:
    """`n` mutants of the golden samples: byte flips, cuts, hostile values in place of a JSON
    value, duplicated keys, deep nesting, invalid UTF-8."""
    seeds = samples()
    for _ in range(n):
        topic, payload = rng.choice(seeds)
        kind = rng.randrange(7)
        data = bytearray(payload)
        if kind == 0 and data:
            for _ in range(rng.randint(1, 4)):
                data[rng.randrange(len(data))] = rng.randrange(256)
        elif kind == 1 and data:
            del data[rng.randrange(len(data)) :]
        elif kind in (2, 3):
            # replace one value after a ':' with a hostile one
            colons = [i for i, b in enumerate(data) if b == ord(":")]
            if colons:
                at = rng.choice(colons) + 1
                end = at
                while end < len(data) and data[end] not in b",}]":
                    end += 1
                data[at:end] = rng.choice(HOSTILE)
        elif kind == 4 and data.startswith(b"{"):
            data[1:1] = b'"ts": 1, "ts": "x", '  # duplicate keys
        elif kind == 5:
            data = bytearray(b"[" * rng.randint(1, 5000) + bytes(data))
        else:
            data += b"\xff\xfe"
        yield topic, bytes(data)
