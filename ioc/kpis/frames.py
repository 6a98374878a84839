"""From storage DataFrames back to `Reading`s, so history is folded by the same code as live data.

`Storage.records()` and `Storage.latest()` return a frame with a UTC `time` column, the tags and
the fields as columns, a missing value as NaN/None (and an int field as float when some rows lack
it). `readings_from_frame` undoes that by the measurement's schema (`ioc.feeds.SCHEMAS`): one
`Reading` per row, its declared tags as tags, every other non-missing column a field, a declared
int field back to an int (undeclared columns keep the frame's type).
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from ioc.feeds import SCHEMAS
from ioc.model import FieldValue, Reading

TAG_KEYS: dict[str, frozenset[str]] = {m: schema.tag_keys for m, schema in SCHEMAS.items()}
_INT_FIELDS: dict[str, frozenset[str]] = {
    m: frozenset(n for n, kind in schema.field_types.items() if kind == "int")
    for m, schema in SCHEMAS.items()
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
    ints = _INT_FIELDS[measurement]
    readings = []
    for time_ns, row in zip(times, frame.to_dict("records"), strict=True):
        tags: dict[str, str] = {"district": "", "source": ""}
        fields: dict[str, FieldValue] = {}
        for key, value in row.items():
            if key == "time" or _missing(value):
                continue
            if key in tag_keys:
                tags[str(key)] = str(value)
            elif key in ints:
                fields[str(key)] = int(_field(value))
            else:
                fields[str(key)] = _field(value)
        if fields:
            readings.append(Reading(measurement, time_ns, tags, fields))
    return readings
