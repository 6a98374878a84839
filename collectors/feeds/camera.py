"""Camera feed: traffic and crowd metadata per interval (never images, never plate numbers).

Topic `ioc/camera/<district>/<source_id>`. Measurement `camera`; tags `district`, `source`,
`site` (required, a slug `[a-z0-9-]{1,64}`). Fields:

    interval_s           float  length of the counting interval, > 0; 60.0 when absent
    vehicles_<type>      int    per type present in `vehicles` (car, motorbike, truck, bus)
    vehicles_total       int    sum of `vehicles` (only when `vehicles` is given; {} gives 0)
    avg_speed_kmh        float  >= 0
    occupancy_pct        float  0-100
    queue_m              float  >= 0
    people               int    >= 0
    events_count         int    number of `events` (only when `events` is given; [] gives 0)
    events_max_severity  int    0 none, 1 info, 2 warning, 3 critical
    events               str    "congestion:warning,accident:critical" in payload order

The payload is one JSON object with exactly these keys: `ts`, `site`, `interval_s`, `vehicles`,
`avg_speed_kmh`, `occupancy_pct`, `queue_m`, `people`, `events`; any other key is
`unknown_name` (so a plate number can never slip into storage). Counts must be JSON integers:
`12.0` is `wrong_type`, keeping the stored field types stable; counts above 10**9 are
`bad_value`. An unknown vehicle type is `unknown_name`; an unknown event type or severity is
`bad_value`; an event object has exactly `type` and `severity`. A payload that measures nothing
besides `interval_s` is `missing_field`.
"""

from __future__ import annotations

from typing import Any

from collectors.feeds.base import (
    as_choice,
    as_float,
    as_int,
    as_slug,
    check_keys,
    check_range,
    describe,
    load_object,
    missing,
    reading_time_ns,
)
from collectors.topics import Topic
from ioc.errors import PayloadRejected
from ioc.feeds import SEVERITIES
from ioc.feeds.camera import CAMERA_EVENT_TYPES, CAMERA_VEHICLES, SPEC
from ioc.model import FieldValue, Reading

MEASUREMENT = SPEC.measurement
KEYS = frozenset(
    {
        "ts",
        "site",
        "interval_s",
        "vehicles",
        "avg_speed_kmh",
        "occupancy_pct",
        "queue_m",
        "people",
        "events",
    }
)
EVENT_KEYS = frozenset({"type", "severity"})
DEFAULT_INTERVAL_S = 60.0
SITE_MAX_LEN = 64
MAX_COUNT = 10**9
INF = float("inf")
# Measured float fields and their inclusive ranges.
FLOAT_FIELDS: dict[str, tuple[float, float]] = {
    "avg_speed_kmh": (0.0, INF),
    "occupancy_pct": (0.0, 100.0),
    "queue_m": (0.0, INF),
}
SEVERITY_RANK: dict[str, int] = {s: i + 1 for i, s in enumerate(SEVERITIES)}


def _count(value: object, name: str) -> int:
    count = as_int(value, name)
    if not 0 <= count <= MAX_COUNT:
        raise PayloadRejected(
            "bad_value", f"field {name!r} is {count}, expected a count from 0 to {MAX_COUNT}"
        )
    return count


def parse(topic: Topic, payload: bytes, received_ns: int) -> list[Reading]:
    """Turn one camera interval report into one reading."""
    obj = load_object(payload, "camera")
    check_keys(obj, KEYS, "the camera payload")
    if "site" not in obj:
        raise missing("site")
    site = as_slug(obj["site"], "site", SITE_MAX_LEN)
    interval = DEFAULT_INTERVAL_S
    if "interval_s" in obj:
        interval = as_float(obj["interval_s"], "interval_s")
        if interval <= 0:
            raise PayloadRejected(
                "bad_value", f"field 'interval_s' is {interval!r}, expected more than 0"
            )
    fields: dict[str, FieldValue] = {"interval_s": interval}
    if "vehicles" in obj:
        _vehicles(obj["vehicles"], fields)
    for name, (low, high) in FLOAT_FIELDS.items():
        if name in obj:
            value = as_float(obj[name], name)
            check_range(name, value, low, high)
            fields[name] = value
    if "people" in obj:
        fields["people"] = _count(obj["people"], "people")
    if "events" in obj:
        _events(obj["events"], fields)
    if len(fields) == 1:
        raise PayloadRejected(
            "missing_field",
            "the camera payload measures nothing: give at least one of vehicles, "
            f"{', '.join(FLOAT_FIELDS)}, people, events",
        )
    time_ns = reading_time_ns(obj, received_ns)
    tags = {"district": topic.district or "", "source": topic.source, "site": site}
    return [Reading(MEASUREMENT, time_ns, tags, fields)]


def _vehicles(vehicles: Any, fields: dict[str, FieldValue]) -> None:
    if type(vehicles) is not dict:
        raise PayloadRejected(
            "wrong_type", f"field 'vehicles' must be an object, got {describe(vehicles)}"
        )
    total = 0
    for kind, raw in vehicles.items():
        if kind not in CAMERA_VEHICLES:
            raise PayloadRejected(
                "unknown_name",
                f"unknown vehicle type {kind!r} in 'vehicles'; "
                f"expected {', '.join(CAMERA_VEHICLES)}",
            )
        count = _count(raw, f"vehicles.{kind}")
        fields[f"vehicles_{kind}"] = count
        total += count
    fields["vehicles_total"] = total


def _events(events: Any, fields: dict[str, FieldValue]) -> None:
    if type(events) is not list:
        raise PayloadRejected(
            "wrong_type", f"field 'events' must be an array, got {describe(events)}"
        )
    labels = []
    worst = 0
    for i, event in enumerate(events):
        where = f"events[{i}]"
        if type(event) is not dict:
            raise PayloadRejected("wrong_type", f"{where} must be an object, got {describe(event)}")
        check_keys(event, EVENT_KEYS, where)
        if "type" not in event:
            raise missing(f"{where}.type")
        if "severity" not in event:
            raise missing(f"{where}.severity")
        kind = as_choice(event["type"], f"{where}.type", CAMERA_EVENT_TYPES)
        severity = as_choice(event["severity"], f"{where}.severity", SEVERITIES)
        worst = max(worst, SEVERITY_RANK[severity])
        labels.append(f"{kind}:{severity}")
    fields["events_count"] = len(labels)
    fields["events_max_severity"] = worst
    fields["events"] = ",".join(labels)
