"""From storage DataFrames back to `Reading`s, so history is folded by the same code as live data.

`Storage.records()` and `Storage.latest()` return a frame with a UTC `time` column, the tags and
the fields as columns, a missing value as NaN/None (and an int field as float when some rows lack
it). `readings_from_frame` undoes that: one `Reading` per row, tags from the measurement's known
tag keys, every other non-missing column a field. Whole-number floats stay floats here; the
consumers that need ints (`due_ms`, `satisfaction`, counts) convert them.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from ioc.model import FieldValue, Reading

# Tag keys per measurement (the parsers' docstrings in collectors/feeds/ and ioc.alerts.engine).
TAG_KEYS: dict[str, frozenset[str]] = {
    "sensor": frozenset({"district", "source", "kind"}),
    "camera": frozenset({"district", "source", "site"}),
    "servicedesk": frozenset({"district", "source", "event", "channel", "service"}),
    "status": frozenset({"district", "source"}),
    "alert": frozenset({"district", "source", "rule", "severity", "scope", "state"}),
}


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _field(value: Any) -> FieldValue:
    if hasattr(value, "item"):  # a numpy scalar
        value = value.item()
    if isinstance(value, bool | int | float | str):
        return value
    return str(value)


def time_ns_column(frame: pd.DataFrame) -> list[int]:
    """The `time` column as epoch nanoseconds (datetimes of any unit, or integer ns)."""
    column = frame["time"]
    if pd.api.types.is_integer_dtype(column):
        return [int(v) for v in column]
    times = pd.to_datetime(column, utc=True).dt.as_unit("ns")
    return [int(v) for v in times.astype("int64")]


def readings_from_frame(frame: pd.DataFrame, measurement: str) -> list[Reading]:
    """One Reading per row of a storage frame of `measurement` (rows without fields skipped)."""
    tag_keys = TAG_KEYS.get(measurement)
    if tag_keys is None:
        raise ValueError(f"unknown measurement {measurement!r}; expected one of {sorted(TAG_KEYS)}")
    if frame.empty:
        return []
    times = time_ns_column(frame)
    readings = []
    for time_ns, row in zip(times, frame.to_dict("records"), strict=True):
        tags: dict[str, str] = {"district": "", "source": ""}
        fields: dict[str, FieldValue] = {}
        for key, value in row.items():
            if key == "time" or _missing(value):
                continue
            if key in tag_keys:
                tags[str(key)] = str(value)
            else:
                fields[str(key)] = _field(value)
        if fields:
            readings.append(Reading(measurement, time_ns, tags, fields))
    return readings
