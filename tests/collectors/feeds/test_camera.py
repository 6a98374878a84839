"""Tests for collectors.feeds.camera: fields, their stable types, strictness."""

from __future__ import annotations

import pytest

from collectors.feeds.camera import MAX_COUNT, parse
from collectors.topics import Topic
from ioc.errors import PayloadRejected
from ioc.feeds import SEVERITIES
from ioc.feeds.camera import CAMERA_EVENT_TYPES, CAMERA_VEHICLES
from ioc.model import Reading

R = 1_593_565_200_000_000_000  # 2020-07-01T01:00:00Z
TOPIC = Topic("camera", "quang-hoa", "cam-1", "ioc/camera/quang-hoa/cam-1")
TAGS = {"district": "quang-hoa", "source": "cam-1", "site": "ta-lung-border-gate"}


def one(body: str) -> Reading:
    [reading] = parse(TOPIC, ('{"site": "ta-lung-border-gate", ' + body + "}").encode(), R)
    return reading


def rejected(body: str) -> PayloadRejected:
    with pytest.raises(PayloadRejected) as info:
        parse(TOPIC, ('{"site": "ta-lung-border-gate", ' + body + "}").encode(), R)
    return info.value


def test_contract_example_with_stable_types() -> None:
    reading = one(
        '"ts": 1593565200000, "interval_s": 60,'
        ' "vehicles": {"car": 12, "motorbike": 40, "truck": 9, "bus": 1},'
        ' "avg_speed_kmh": 23.5, "occupancy_pct": 61.0, "queue_m": 180.0, "people": 35,'
        ' "events": [{"type": "congestion", "severity": "warning"}]'
    )
    assert reading.measurement == "camera"
    assert reading.time_ns == R
    assert reading.tags == TAGS
    expected = {
        "interval_s": 60.0,
        "vehicles_car": 12,
        "vehicles_motorbike": 40,
        "vehicles_truck": 9,
        "vehicles_bus": 1,
        "vehicles_total": 62,
        "avg_speed_kmh": 23.5,
        "occupancy_pct": 61.0,
        "queue_m": 180.0,
        "people": 35,
        "events_count": 1,
        "events_max_severity": 2,
        "events": "congestion:warning",
    }
    assert reading.fields == expected
    assert {k: type(v) for k, v in reading.fields.items()} == {
        k: type(v) for k, v in expected.items()
    }


def test_interval_defaults_to_sixty_and_ints_become_floats() -> None:
    assert one('"people": 1').fields == {"interval_s": 60.0, "people": 1}
    fields = one('"interval_s": 300, "avg_speed_kmh": 40, "queue_m": 0, "occupancy_pct": 0').fields
    assert fields == {
        "interval_s": 300.0,
        "avg_speed_kmh": 40.0,
        "queue_m": 0.0,
        "occupancy_pct": 0.0,
    }
    assert all(type(v) is float for v in fields.values())


@pytest.mark.parametrize("vehicle", CAMERA_VEHICLES)
def test_each_vehicle_type_becomes_a_field(vehicle: str) -> None:
    fields = one(f'"vehicles": {{"{vehicle}": 7}}').fields
    assert fields[f"vehicles_{vehicle}"] == 7
    assert fields["vehicles_total"] == 7


@pytest.mark.parametrize(("severity", "rank"), [("info", 1), ("warning", 2), ("critical", 3)])
def test_max_severity_rank(severity: str, rank: int) -> None:
    body = (
        '"events": [{"type": "crowding", "severity": "info"},'
        f' {{"type": "fire_smoke", "severity": "{severity}"}}]'
    )
    fields = one(body).fields
    assert fields["events_max_severity"] == rank
    assert fields["events_count"] == 2
    assert fields["events"] == f"crowding:info,fire_smoke:{severity}"


def test_every_event_type_is_accepted() -> None:
    events = ", ".join(
        f'{{"type": "{t}", "severity": "{SEVERITIES[0]}"}}' for t in CAMERA_EVENT_TYPES
    )
    fields = one(f'"events": [{events}]').fields
    assert fields["events_count"] == len(CAMERA_EVENT_TYPES)
    assert fields["events"] == ",".join(f"{t}:info" for t in CAMERA_EVENT_TYPES)


def test_empty_events_and_vehicles_are_measurements() -> None:
    assert one('"events": [], "vehicles": {}').fields == {
        "interval_s": 60.0,
        "vehicles_total": 0,
        "events_count": 0,
        "events_max_severity": 0,
        "events": "",
    }


def test_count_limit() -> None:
    assert one(f'"people": {MAX_COUNT}').fields["people"] == MAX_COUNT
    assert rejected(f'"people": {MAX_COUNT + 1}').reason == "bad_value"


def test_site_slug_length() -> None:
    site = "a" * 64
    [reading] = parse(TOPIC, f'{{"site": "{site}", "people": 1}}'.encode(), R)
    assert reading.tags["site"] == site
    with pytest.raises(PayloadRejected) as info:
        parse(TOPIC, f'{{"site": "{site}a", "people": 1}}'.encode(), R)
    assert info.value.reason == "bad_value"


@pytest.mark.parametrize(
    ("body", "reason", "fragments"),
    [
        ('"interval_s": 60', "missing_field", ["measures nothing"]),
        ('"vehicles": {"car": 12.0}', "wrong_type", ["vehicles.car", "number 12.0"]),
        ('"vehicles": {"car": "12"}', "wrong_type", ["vehicles.car"]),
        ('"vehicles": [12]', "wrong_type", ["'vehicles'", "an array"]),
        ('"vehicles": {"bicycle": 1}', "unknown_name", ["'bicycle'"]),
        ('"vehicles": {"bus": -2}', "bad_value", ["vehicles.bus", "-2"]),
        ('"people": 3.0', "wrong_type", ["'people'"]),
        ('"people": false', "wrong_type", ["'people'", "false"]),
        ('"people": -1', "bad_value", ["'people'"]),
        ('"occupancy_pct": -0.5', "bad_value", ["'occupancy_pct'"]),
        ('"occupancy_pct": 100.5', "bad_value", ["'occupancy_pct'", "100.5"]),
        ('"queue_m": -1', "bad_value", ["'queue_m'"]),
        ('"avg_speed_kmh": "fast"', "wrong_type", ["'avg_speed_kmh'"]),
        ('"interval_s": -60, "people": 1', "bad_value", ["'interval_s'"]),
        ('"interval_s": true, "people": 1', "wrong_type", ["'interval_s'"]),
        ('"events": "congestion"', "wrong_type", ["'events'"]),
        ('"events": ["congestion"]', "wrong_type", ["events[0]"]),
        ('"events": [{"type": "congestion"}]', "missing_field", ["events[0].severity"]),
        ('"events": [{"severity": "info"}]', "missing_field", ["events[0].type"]),
        (
            '"events": [{"type": "congestion", "severity": "info", "plate": "11A"}]',
            "unknown_name",
            ["'plate'", "events[0]"],
        ),
        ('"events": [{"type": "flood", "severity": "info"}]', "bad_value", ["events[0].type"]),
        ('"events": [{"type": "crowding", "severity": 2}]', "wrong_type", ["events[0].severity"]),
        ('"people": 1, "image": "base64..."', "unknown_name", ["'image'"]),
        ('"people": 1, "ts": "yesterday"', "bad_time", ["'ts'", '"yesterday"']),
        ('"people": 1, "ts": 946684799999', "bad_time", ["before 2000"]),
    ],
)
def test_rejections(body: str, reason: str, fragments: list[str]) -> None:
    exc = rejected(body)
    assert exc.reason == reason, exc.detail
    for fragment in fragments:
        assert fragment in exc.detail


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b'{"people": 1}', "missing_field"),
        (b'{"site": 7, "people": 1}', "wrong_type"),
        (b'{"site": "", "people": 1}', "bad_value"),
        (b'{"site": "Ta_Lung", "people": 1}', "bad_value"),
        (b'[{"site": "x", "people": 1}]', "bad_shape"),
        (b'{"site": "x", "people": 1', "bad_json"),
    ],
)
def test_site_and_shape_rejections(payload: bytes, reason: str) -> None:
    with pytest.raises(PayloadRejected) as info:
        parse(TOPIC, payload, R)
    assert info.value.reason == reason
