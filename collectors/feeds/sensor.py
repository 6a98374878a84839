"""Sensor feed: air quality, water level and rain, weather, noise.

Topic `ioc/sensor/<district>/<source_id>`. Measurement `sensor`; tags `district`, `source`,
`kind` (air, water, weather, noise); fields: the value names of the wire contract (pm25, pm10,
no2, so2, co, o3 in µg/m³; level_cm; rain_mm; temp_c; humidity_pct; wind_ms; laeq_db), always
floats (JSON integers become floats).

Two payload forms on the same topics:

- JSON object `{"ts": ..., "kind": "air", "values": {"pm25": 38.2}}` with exactly the keys
  `ts` (optional), `kind`, `values`. One reading. An unknown `kind` is `bad_value`; a value name
  that is not one of that kind's names is `unknown_name`; empty `values` is `missing_field`.
- SenML (RFC 8428), a JSON array of records with `bn`, `bt`, `bu`, `bver` (ignored), `n`, `u`,
  `v`, `t`. Base fields apply to their record and every later one. The resolved name is
  `bn + n`; the base name is any string and is stripped, and `n` must be a value name (absent
  `n` is `missing_field`, an unknown one `unknown_name`). A unit (`u`, else `bu`), if present,
  must equal `SENSOR_UNITS[name]` of `ioc.feeds.sensor` (`bad_value`). `v` must be a number: a
  record with `vs`, `vb` or `vd` is `wrong_type`, with no value at all `missing_field`. Other
  SenML labels (`s`, `ut`, `bv`, `bs`, extensions) are `unknown_name`. Time is `bt + t` in seconds;
  a resolved time below 2**28 is relative to the receive time, as RFC 8428 says. Float times are
  kept to the microsecond. Records are grouped by resolved time into one reading each (sorted by
  time); the same name twice at one time is `bad_value`. Each group's kind is the first of air,
  water, weather, noise (catalogue order) whose names contain all the group's names, so a lone
  `rain_mm` is `water`; no such kind is `unknown_name`.

Values must be physically plausible (`bad_value` otherwise): nothing negative except `temp_c`
(-90 to 60 °C), `humidity_pct` within 0–100, and every value finite.

Parsing is hand-written over orjson rather than a pydantic model; `collectors.decode` says why
and gives the timings.
"""

from __future__ import annotations

import sys
from typing import Any

from collectors.feeds.base import (
    as_float,
    as_str,
    check_keys,
    check_time,
    describe,
    fmt_ns,
    load_json,
    missing,
    reading_time_ns,
)
from collectors.topics import Topic
from ioc.errors import PayloadRejected
from ioc.feeds.sensor import SENSOR_KINDS, SENSOR_UNITS, SENSOR_VALUE_NAMES, SPEC
from ioc.model import NS_PER_S, Reading

MEASUREMENT = SPEC.measurement
JSON_KEYS = frozenset({"ts", "kind", "values"})
SENML_KEYS = frozenset({"bn", "bt", "bu", "bver", "n", "u", "v", "t"})
SENML_OTHER_VALUES = frozenset({"vs", "vb", "vd"})
SENML_RELATIVE_LIMIT_S = 2**28
SENML_MAX_ABS_S = 1e12  # ±31,700 years: beyond this, ns arithmetic on floats would overflow

_MAX = sys.float_info.max
# Inclusive plausible ranges; the upper bound float max also rejects infinities.
VALUE_RANGES: dict[str, tuple[float, float]] = {
    **{name: (0.0, _MAX) for name in SENSOR_VALUE_NAMES},
    "temp_c": (-90.0, 60.0),
    "humidity_pct": (0.0, 100.0),
}
KIND_NAMES: dict[str, frozenset[str]] = {k: frozenset(ns) for k, ns in SENSOR_KINDS.items()}


def _value(name: str, raw: object, where: str) -> float:
    value = as_float(raw, where)
    low, high = VALUE_RANGES[name]
    if not low <= value <= high:
        bound = f"{low:g} to {high:g}" if high != _MAX else f"at least {low:g}"
        raise PayloadRejected(
            "bad_value", f"{name} value in field {where!r} is {value!r}, expected {bound}"
        )
    return value


def _tags(topic: Topic, kind: str) -> dict[str, str]:
    return {"district": topic.district or "", "source": topic.source, "kind": kind}


def parse(topic: Topic, payload: bytes, received_ns: int) -> list[Reading]:
    """Turn one sensor message (JSON object or SenML pack) into readings."""
    doc = load_json(payload)
    if type(doc) is dict:
        return [_parse_object(topic, doc, received_ns)]
    if type(doc) is list:
        return _parse_senml(topic, doc, received_ns)
    raise PayloadRejected(
        "bad_shape", f"a sensor payload must be a JSON object or a SenML array, got {describe(doc)}"
    )


def _parse_object(topic: Topic, obj: dict[str, Any], received_ns: int) -> Reading:
    check_keys(obj, JSON_KEYS, "the sensor payload")
    if "kind" not in obj:
        raise missing("kind")
    kind = as_str(obj["kind"], "kind")
    names = KIND_NAMES.get(kind)
    if names is None:
        raise PayloadRejected(
            "bad_value",
            f"field 'kind' is {describe(kind)}, expected one of {', '.join(KIND_NAMES)}",
        )
    if "values" not in obj:
        raise missing("values")
    values = obj["values"]
    if type(values) is not dict:
        raise PayloadRejected(
            "wrong_type", f"field 'values' must be an object, got {describe(values)}"
        )
    if not values:
        raise PayloadRejected("missing_field", "field 'values' is empty: give at least one value")
    fields: dict[str, float] = {}
    for name, raw in values.items():
        if name not in names:
            raise PayloadRejected(
                "unknown_name",
                f"value name {name!r} is not a {kind} value; expected one of "
                f"{', '.join(SENSOR_KINDS[kind])}",
            )
        fields[name] = _value(name, raw, f"values.{name}")
    time_ns = reading_time_ns(obj, received_ns)
    return Reading(MEASUREMENT, time_ns, _tags(topic, kind), fields)


def _seconds(value: object, where: str) -> float:
    """A SenML time in seconds; integers stay integers so that their ns are exact."""
    if type(value) is int:
        return value
    return as_float(value, where)


def _seconds_to_ns(seconds: float) -> int:
    if type(seconds) is int:
        return seconds * NS_PER_S
    return round(seconds * 1_000_000) * 1_000


def _parse_senml(topic: Topic, pack: list[Any], received_ns: int) -> list[Reading]:
    if not pack:
        raise PayloadRejected("missing_field", "the SenML pack is empty: give at least one record")
    base_name = ""
    base_time: float = 0
    base_unit: str | None = None
    groups: dict[int, dict[str, float]] = {}
    for i, record in enumerate(pack):
        where = f"SenML record {i}"
        if type(record) is not dict:
            raise PayloadRejected(
                "bad_shape", f"{where} must be a JSON object, got {describe(record)}"
            )
        for key in record:
            if key not in SENML_KEYS:
                if key in SENML_OTHER_VALUES:
                    raise PayloadRejected(
                        "wrong_type",
                        f"{where} has {key!r} = {describe(record[key])}; sensor values must be "
                        "numbers in 'v'",
                    )
                raise PayloadRejected(
                    "unknown_name",
                    f"{where} has unsupported SenML label {key!r}; supported: "
                    f"{', '.join(sorted(SENML_KEYS))}",
                )
        if "bn" in record:
            base_name = as_str(record["bn"], f"[{i}].bn")
        if "bt" in record:
            base_time = _seconds(record["bt"], f"[{i}].bt")
        if "bu" in record:
            base_unit = as_str(record["bu"], f"[{i}].bu")
        if "n" not in record:
            raise PayloadRejected(
                "missing_field",
                f"{where} has no 'n': its name would be the base name {base_name!r} alone",
            )
        name = as_str(record["n"], f"[{i}].n")
        if name not in SENSOR_VALUE_NAMES:
            raise PayloadRejected(
                "unknown_name",
                f"{where} has name {base_name + name!r}; after the base name {base_name!r}, "
                f"{name!r} is not a sensor value name",
            )
        unit = as_str(record["u"], f"[{i}].u") if "u" in record else base_unit
        if unit is not None and unit != SENSOR_UNITS[name]:
            raise PayloadRejected(
                "bad_value",
                f"{where} gives {name!r} in unit {unit!r}, expected {SENSOR_UNITS[name]!r}",
            )
        if "v" not in record:
            raise PayloadRejected("missing_field", f"{where} ({name!r}) has no value 'v'")
        value = _value(name, record["v"], f"[{i}].v")
        seconds = base_time + (_seconds(record["t"], f"[{i}].t") if "t" in record else 0)
        if not -SENML_MAX_ABS_S < seconds < SENML_MAX_ABS_S:
            raise PayloadRejected(
                "bad_time", f"SenML record {i} has time bt + t = {seconds!r} s, out of any range"
            )
        if seconds < SENML_RELATIVE_LIMIT_S:
            time_ns = received_ns + _seconds_to_ns(seconds)
        else:
            time_ns = _seconds_to_ns(seconds)
        check_time(time_ns, f"[{i}] time (bt + t)", received_ns)
        group = groups.setdefault(time_ns, {})
        if name in group:
            raise PayloadRejected(
                "bad_value", f"{where} repeats {name!r} at time {fmt_ns(time_ns)}"
            )
        group[name] = value
    readings = []
    for time_ns, fields in sorted(groups.items()):
        kind = _infer_kind(fields)
        readings.append(Reading(MEASUREMENT, time_ns, _tags(topic, kind), fields))
    return readings


def _infer_kind(fields: dict[str, float]) -> str:
    for kind, names in KIND_NAMES.items():
        if fields.keys() <= names:
            return kind
    raise PayloadRejected(
        "unknown_name",
        f"SenML values {', '.join(sorted(fields))} at one time fit no single sensor kind "
        f"({', '.join(KIND_NAMES)})",
    )
