"""Building SQLite queries safely for `ioc.storage.sqlite` (what `influxql` is for InfluxDB).

The SQL text is made only of constants from this module and placeholder names; every value —
measurement, times, JSON paths to checked tag and field keys, tag values — is a bound parameter.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from ioc.errors import StorageRejected
from ioc.model import FieldValue
from ioc.storage.base import TagFilter, TimeRange, check_measurement, check_name

SCHEMA = """
CREATE TABLE IF NOT EXISTS series (
    id INTEGER PRIMARY KEY, measurement TEXT NOT NULL, tags TEXT NOT NULL,
    UNIQUE (measurement, tags));
CREATE TABLE IF NOT EXISTS points (
    series INTEGER NOT NULL, time_ns INTEGER NOT NULL, fields TEXT NOT NULL,
    PRIMARY KEY (series, time_ns)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS field_keys (
    measurement TEXT NOT NULL, name TEXT NOT NULL, type TEXT NOT NULL,
    PRIMARY KEY (measurement, name)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS tag_keys (
    measurement TEXT NOT NULL, name TEXT NOT NULL, PRIMARY KEY (measurement, name)) WITHOUT ROWID;
"""
# A second write of the same point merges field-wise, as InfluxDB does.
UPSERT = (
    "INSERT INTO points (series, time_ns, fields) VALUES (?, ?, ?) ON CONFLICT (series, time_ns)"
    " DO UPDATE SET fields = json_patch(fields, excluded.fields)"
)
JOIN = "FROM series s JOIN points p ON p.series = s.id WHERE s.measurement = :m"
IN_RANGE = " AND p.time_ns >= :start AND p.time_ns < :end"

# One SQL expression per aggregate; `first`/`last` use SQLite's bare-column rule for min()/max().
AGGREGATES = {
    "mean": "avg(v)",
    "sum": "sum(v)",
    "count": "count(v)",
    "max": "max(v)",
    "min": "min(v)",
    "median": "ioc_median(v)",
    "first": "v, min(t)",
    "last": "v, max(t)",
}
# The field types each aggregate takes, as in InfluxDB (count, first and last take any).
_NUMBERS = frozenset({"float", "integer"})
ACCEPTS = {"mean": _NUMBERS, "sum": _NUMBERS, "median": _NUMBERS}
ACCEPTS["max"] = ACCEPTS["min"] = _NUMBERS | {"boolean"}

INT64 = 2**63


def field_type(value: FieldValue) -> str:
    """InfluxDB's type of a field value; non-finite floats are refused like `lineprotocol`."""
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        if not -INT64 <= value < INT64:
            raise StorageRejected(f"integer {value} does not fit in 64 bits")
        return "integer"
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"non-finite float {value!r} cannot be stored")
        return "float"
    if isinstance(value, str):
        return "string"
    raise TypeError(f"field values are float, int, str or bool, not {type(value).__name__}")


def conflict(measurement: str, name: str, kind: str, known: str) -> StorageRejected:
    return StorageRejected(
        f"field type conflict: input field {name!r} on measurement {measurement!r}"
        f" is type {kind}, already exists as type {known}"
    )


def path(name: str) -> str:
    """A JSON path to a checked key (bound as a parameter, never part of the SQL text)."""
    return "$." + check_name(name)


def params(
    measurement: str, time_range: TimeRange | None, where: TagFilter | None
) -> dict[str, Any]:
    """Parameters for JOIN, IN_RANGE and `tag_sql(where)`."""
    bound: dict[str, Any] = {"m": check_measurement(measurement)}
    if time_range is not None:
        bound.update(start=time_range.start_ns, end=time_range.end_ns)
    for i, (key, values) in enumerate(_tag_values(where)):
        bound[f"t{i}"] = path(key)
        bound.update({f"t{i}_{j}": value for j, value in enumerate(values)})
    return bound


def tag_sql(where: TagFilter | None) -> str:
    """`AND` one condition per tag key; a point without the tag has it as '' (like InfluxQL)."""
    parts = []
    for i, (_, values) in enumerate(_tag_values(where)):
        marks = ", ".join(f":t{i}_{j}" for j in range(len(values)))
        parts.append(f" AND coalesce(json_extract(s.tags, :t{i}), '') IN ({marks})")
    return "".join(parts)


def history_sql(aggregate: str, groups: Sequence[str], where: TagFilter | None) -> str:
    """Rows (g0, g1…, bucket start, value[, time]) per group and epoch-aligned bucket of :w ns.

    Parameters: `params(...)`, `field` (a path), `w` (ns) and `g<i>` (paths of `groups`). The
    group values are computed once per series (the CTE), not once per point.
    """
    g_select = "".join(
        f", coalesce(json_extract(s.tags, :g{i}), '') AS g{i}" for i in range(len(groups))
    )
    g_names = "".join(f"g{i}, " for i in range(len(groups)))
    return (
        f"WITH c AS MATERIALIZED (SELECT s.id{g_select} FROM series s"
        f" WHERE s.measurement = :m{tag_sql(where)})"
        f" SELECT {g_names}t - ((t % :w) + :w) % :w AS bucket, {AGGREGATES[aggregate]} FROM ("
        f"SELECT {g_names}p.time_ns AS t, json_extract(p.fields, :field) AS v"
        f" FROM c JOIN points p ON p.series = c.id{IN_RANGE}) WHERE v IS NOT NULL"
        f" GROUP BY {g_names}bucket ORDER BY {g_names}bucket"
    )


def _tag_values(where: TagFilter | None) -> list[tuple[str, list[str]]]:
    """Tag key -> wanted values, keys sorted, empty alternatives skipped (as in `influxql`)."""
    items = []
    for key, wanted in sorted((where or {}).items()):
        values = [wanted] if isinstance(wanted, str) else list(wanted)
        for value in values:
            if not isinstance(value, str):
                raise TypeError(f"tag values are strings, not {type(value).__name__}")
        if values:
            items.append((check_name(key), values))
    return items


class Median:
    """InfluxDB's median: the middle value, or low + (high - low) / 2 of the middle two."""

    def __init__(self) -> None:
        self.values: list[Any] = []

    def step(self, value: Any) -> None:
        self.values.append(value)

    def finalize(self) -> Any:
        ordered = sorted(self.values)
        middle = len(ordered) // 2
        if not ordered:
            return None
        if len(ordered) % 2:
            return ordered[middle]
        low, high = ordered[middle - 1], ordered[middle]
        return float(low) + float(high - low) / 2
