"""Tests for collectors.decode: the golden-sample walker, size limit, registry.

Every folder under samples/<feed>/<case>/ is one test id `<feed>/<case>` (see samples/README.md).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from collectors import feeds as registry
from collectors.decode import decode
from collectors.topics import feed_of
from ioc.errors import PayloadRejected
from ioc.feeds import FEEDS, MAX_PAYLOAD_BYTES, SCHEMAS
from ioc.model import Reading

SAMPLES = Path(__file__).resolve().parents[2] / "samples"
RECEIVED_NS = 1_593_565_200_000_000_000  # 2020-07-01T01:00:00Z, as samples/README.md says
LAYOUT = {"topic.txt", "payload", "expected.json"}
CASES = sorted(p for p in SAMPLES.glob("*/*") if p.is_dir())
CASE_IDS = [f"{p.parent.name}/{p.name}" for p in CASES]


def _topic(case: Path) -> str:
    return (case / "topic.txt").read_text(encoding="utf-8").removesuffix("\n")


def _expected(case: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((case / "expected.json").read_text(encoding="utf-8"))
    return data


def _field_types(readings: list[dict[str, Any]]) -> list[dict[str, str]]:
    return [{k: type(v).__name__ for k, v in r["fields"].items()} for r in readings]


def test_there_are_samples_for_every_feed() -> None:
    per_feed = {name: [c for c in CASES if c.parent.name == name] for name in FEEDS}
    for name, cases in per_feed.items():
        assert len(cases) >= 8, f"feed {name} has only {len(cases)} samples"
        assert any(c.name.startswith("ok-") for c in cases)
        assert any(c.name.startswith("rej-") for c in cases)
    assert {p.name for p in SAMPLES.iterdir() if p.is_dir()} == set(FEEDS)


def test_samples_cover_every_message_rejection_reason() -> None:
    seen = {_expected(c).get("rejected") for c in CASES} - {None}
    # oversize is generated below; storage_rejected is decided by the database, future_time and
    # source_mismatch by the collector's guard (tests/collectors/test_guard.py), not the parser.
    collector_side = {"oversize", "storage_rejected", "future_time", "source_mismatch"}
    assert seen == PayloadRejected.REASONS - collector_side


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_sample_folder_layout(case: Path) -> None:
    assert {p.name for p in case.iterdir()} == LAYOUT
    raw_topic = (case / "topic.txt").read_text(encoding="utf-8")
    assert raw_topic.endswith("\n") and raw_topic.count("\n") == 1, "topic.txt must be one line"
    assert feed_of(_topic(case)) == case.parent.name
    expected = _expected(case)
    assert len(expected) == 1
    if case.name.startswith("ok-"):
        readings = expected["readings"]
        assert isinstance(readings, list) and readings
        for item in readings:
            assert Reading.from_dict(item).to_dict() == item
            assert item["measurement"] == FEEDS[case.parent.name].measurement
    else:
        assert case.name.startswith("rej-"), "case names start with ok- or rej-"
        assert expected["rejected"] in PayloadRejected.REASONS


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_golden_sample(case: Path) -> None:
    topic = _topic(case)
    payload = (case / "payload").read_bytes()
    expected = _expected(case)
    if "rejected" in expected:
        with pytest.raises(PayloadRejected) as info:
            decode(topic, payload, RECEIVED_NS)
        assert info.value.reason == expected["rejected"], info.value.detail
        assert len(info.value.detail) > 10
    else:
        readings = decode(topic, payload, RECEIVED_NS)
        actual = [r.to_dict() for r in readings]
        assert actual == expected["readings"]
        assert _field_types(actual) == _field_types(expected["readings"])
        # and they fit the feed's declared schema: tags, field names and field types
        assert [SCHEMAS[r.measurement].violations(r) for r in readings] == [[]] * len(readings)


def _padded_sensor_payload(size: int) -> bytes:
    body = b'{"kind": "air", "values": {"pm25": 38.2}}'
    return body + b" " * (size - len(body))


def test_payload_of_exactly_the_limit_is_decoded() -> None:
    payload = _padded_sensor_payload(MAX_PAYLOAD_BYTES)
    assert len(payload) == 64 * 1024
    [reading] = decode("ioc/sensor/hoa-an/aq-1", payload, RECEIVED_NS)
    assert reading.fields == {"pm25": 38.2}


def test_oversize_payload_is_rejected_before_anything_else() -> None:
    payload = _padded_sensor_payload(MAX_PAYLOAD_BYTES + 1)
    for topic in ("ioc/sensor/hoa-an/aq-1", "not/a/topic"):
        with pytest.raises(PayloadRejected) as info:
            decode(topic, payload, RECEIVED_NS)
        assert info.value.reason == "oversize"
        assert "65537 bytes" in info.value.detail


def test_bad_topic_is_rejected_before_the_payload_is_read() -> None:
    with pytest.raises(PayloadRejected) as info:
        decode("ioc/sensor/ha-noi/aq-1", b"not json", RECEIVED_NS)
    assert info.value.reason == "bad_topic"


def test_registry_has_one_feed_per_catalogue_entry() -> None:
    assert list(registry.FEEDS) == list(FEEDS)
    for name, feed in registry.FEEDS.items():
        assert feed.spec is FEEDS[name]
        assert feed.name == name
        assert feed.parse.__module__ == f"collectors.feeds.{name}"


def test_decode_dispatches_on_the_topic_feed() -> None:
    [reading] = decode("ioc/status/aq-1", b"offline", RECEIVED_NS)
    assert reading == Reading(
        "status", RECEIVED_NS, {"district": "", "source": "aq-1"}, {"online": 0}
    )


def _mutations(payload: bytes) -> list[bytes]:
    """Every truncation, and every byte replaced by a few troublesome ones."""
    out = [payload[:i] for i in range(len(payload))]
    for i in range(len(payload)):
        for byte in (b"0", b'"', b"}", b"\xff", b"-", b"e"):
            out.append(payload[:i] + byte + payload[i + 1 :])
    return out


OK_CASES = [c for c in CASES if c.name.startswith("ok-")]


@pytest.mark.parametrize("case", OK_CASES, ids=[f"{c.parent.name}/{c.name}" for c in OK_CASES])
def test_mangled_payloads_never_raise_anything_but_rejections(case: Path) -> None:
    topic = _topic(case)
    for payload in _mutations((case / "payload").read_bytes()):
        try:
            readings = decode(topic, payload, RECEIVED_NS)
        except PayloadRejected as exc:
            assert exc.detail
        else:
            assert all(isinstance(r, Reading) for r in readings)
