"""InfluxQL for the rollup tiers of `InfluxStorage` (see `ioc.storage.rollups`).

Where the tiers live (all written through the v2 write API, read with InfluxQL):
- `<measurement>_5m` in the raw points' retention policy (it expires with them);
- `<measurement>_1h`, `<measurement>_6h` and the watermarks (`rollup_state`, tag `width`, field
  `done_ns`, at time 0) in the retention policy `rollup` (InfluxDB 1.x: created here, duration
  INF; 2.x/3.x: a bucket named `<database>/rollup`, which their DBRP mapping serves as that
  policy).
Fields per source field `f`: `f_min`, `f_max`, `f_sum`, `f_mean` (numbers) and `f_count` (every
type). Tags: the raw series' tags, so filters and GROUP BY work unchanged. Each tier merged over
sources (`<measurement>_<tier>_merged`, beside it) has the same fields and the tags but `source`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ioc.model import Reading
from ioc.storage import influxql
from ioc.storage.base import TagFilter, TimeRange
from ioc.storage.rollups import (
    FINER,
    HOUR_S,
    MERGED_TAGS,
    NEEDS,
    PARTS,
    RAW,
    Piece,
    rollup_name,
)

ROLLUP_RP = "rollup"
STATE = "rollup_state"
NUMERIC = frozenset({"float", "integer"})
_TIER_AGG = {"min": "min", "max": "max", "sum": "sum", "count": "sum"}


def quoted(name: str) -> str:
    return '"' + name.replace('"', '\\"') + '"'


def tier_source(measurement: str, width_s: int, raw_rp: str, *, merged: bool = False) -> str:
    """The (qualified) measurement a tier (or its merged form) is read from."""
    name = quoted(rollup_name(measurement, width_s, merged=merged))
    if width_s >= HOUR_S:
        return f"{quoted(ROLLUP_RP)}.{name}"
    return f"{quoted(raw_rp)}.{name}" if raw_rp else name


def partial_query(
    piece: Piece,
    measurement: str,
    field: str,
    aggregate: str,
    bucket_s: int,
    groups: Sequence[str],
    where: TagFilter | None,
    raw_rp: str,
    merged: bool = False,
) -> str:
    parts = NEEDS[aggregate]
    if piece.width_s == RAW:
        source = quoted(measurement) if not raw_rp else f"{quoted(raw_rp)}.{quoted(measurement)}"
        select = ", ".join(f'{p}({influxql.ident(field)}) AS "{p}"' for p in parts)
    else:
        source = tier_source(measurement, piece.width_s, raw_rp, merged=merged)
        select = ", ".join(
            f'{_TIER_AGG[p]}({influxql.ident(field + "_" + p)}) AS "{p}"' for p in parts
        )
    span = TimeRange(piece.start_ns, piece.end_ns)
    return (
        f"SELECT {select} FROM {source}{influxql.where_clause(span, where)}"
        f"{influxql.group_by_clause(groups, bucket_s)} fill(none)"
    )


def partial_rows(
    series: list[dict[str, Any]], groups: Sequence[str], aggregate: str
) -> list[tuple[Any, ...]]:
    """`combine()` rows (group values…, time, min, max, sum, count) of a `partial_query` answer."""
    slots = [PARTS.index(p) for p in NEEDS[aggregate]]
    rows = []
    for one in series:
        tags = one.get("tags") or {}
        head = tuple(tags.get(tag, "") for tag in groups)
        for value in one["values"]:
            parts: list[Any] = [None, None, None, 0]
            for slot, v in zip(slots, value[1:], strict=True):
                parts[slot] = v
            rows.append((*head, value[0], *parts))
    return rows


def roll_up_query(
    measurement: str,
    types: Mapping[str, str],
    width_s: int,
    span: TimeRange,
    raw_rp: str,
    *,
    merge: bool = False,
) -> str:
    """`; `-separated statements, one per field (a series answers only for the fields it has:
    no null columns), from the finer tier (the 5-min tier from raw points); `merge`: the merged
    tier from the same tier's per-source buckets."""
    finer = width_s if merge else FINER.get(width_s)
    source = quoted(measurement) if finer is None else tier_source(measurement, finer, raw_rp)
    group = ", ".join(influxql.ident(t) for t in MERGED_TAGS[measurement]) if merge else "*"
    statements = []
    for name, kind in sorted(types.items()):
        wanted = ("min", "max", "sum", "count") if kind in NUMERIC else ("count",)
        if finer is None:
            field = influxql.ident(name)
            select = ", ".join(f'{agg}({field}) AS "{name}_{agg}"' for agg in wanted)
        else:
            select = ", ".join(
                f'{_TIER_AGG[agg]}({influxql.ident(name + "_" + agg)}) AS "{name}_{agg}"'
                for agg in wanted
            )
        statements.append(
            f"SELECT {select} FROM {source}"
            f"{influxql.where_clause(span, None)} GROUP BY time({width_s}s), {group} fill(none)"
        )
    return "; ".join(statements)


def rollup_readings(
    answers: list[list[dict[str, Any]]], measurement: str, width_s: int, *, merged: bool = False
) -> list[Reading]:
    """The tier's points from a `roll_up_query` answer (epoch ns), one per series and bucket."""
    name = rollup_name(measurement, width_s, merged=merged)
    points: dict[tuple[tuple[tuple[str, str], ...], int], dict[str, float | int]] = {}
    for series_list in answers:
        for one in series_list:
            tags = tuple(sorted((k, v) for k, v in (one.get("tags") or {}).items() if v))
            columns = one["columns"][1:]
            for row in one["values"]:
                count_at = next(i for i, c in enumerate(columns) if c.endswith("_count"))
                count = row[1 + count_at]
                if not count:
                    continue
                fields = points.setdefault((tags, int(row[0])), {})
                for column, value in zip(columns, row[1:], strict=True):
                    if value is not None:
                        fields[column] = int(value) if column.endswith("_count") else float(value)
                base = columns[count_at][: -len("_count")]
                if base + "_sum" in fields:
                    fields[base + "_mean"] = float(fields[base + "_sum"]) / count
    return [Reading(name, t, dict(tags), fields) for (tags, t), fields in points.items()]


def done_from(series: list[dict[str, Any]]) -> dict[int, int]:
    done = {}
    for one in series:
        width = (one.get("tags") or {}).get("width", "")
        if width.isdigit() and one["values"]:
            done[int(width)] = int(one["values"][0][1])
    return done


def with_means(reading: Reading, width_s: int) -> Reading:
    """An imported tier bucket under its tier's name, with `<f>_mean` from sum and count."""
    fields = dict(reading.fields)
    for name, count in reading.fields.items():
        base = name[: -len("_count")]
        if name.endswith("_count") and count and base + "_sum" in fields:
            fields[base + "_mean"] = float(fields[base + "_sum"]) / float(count)
    return Reading(rollup_name(reading.measurement, width_s), reading.time_ns, reading.tags, fields)
