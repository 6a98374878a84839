"""SQL for the rollup tiers of the embedded storage (see `ioc.storage.rollups`).

    rollups(width, field, series, bucket, lo, hi, total, n)   one row per tier bucket and field:
        min, max, sum of a numeric field (NULL otherwise) and the count of every field type
    rollup_state(width, done_ns)                              the tiers' watermarks

The key (width, field, series, bucket) makes a chart query one index range per series. The tiers
merged over sources (`ioc.storage.rollups.MERGED`) are rows of the same table whose series is
one of measurement `<measurement>_merged` with the tags but `source` (latest(), records() and
the raw queries never see them: they match the measurement exactly).
Like `sqlitesql`, the SQL text is constants and placeholder names; values are bound.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

from ioc.model import NS_PER_S, Reading
from ioc.storage import sqlitesql as sql
from ioc.storage.base import TagFilter, TimeRange
from ioc.storage.rollups import FINER, FIVE_MIN_S, MERGED, RAW, ROLLED_MEASUREMENTS, Piece

SCHEMA = """
CREATE TABLE IF NOT EXISTS rollups (
    width INTEGER NOT NULL, field TEXT NOT NULL, series INTEGER NOT NULL, bucket INTEGER NOT NULL,
    lo REAL, hi REAL, total REAL, n INTEGER NOT NULL,
    PRIMARY KEY (width, field, series, bucket)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS rollups_by_time ON rollups (width, bucket);
CREATE TABLE IF NOT EXISTS rollup_state (width INTEGER PRIMARY KEY, done_ns INTEGER NOT NULL);
"""
_ROLLED = ", ".join(f"'{m}'" for m in ROLLED_MEASUREMENTS)  # constants from the feed registry
_NUM = "CASE WHEN j.type IN ('integer', 'real') THEN j.value END"
ROLL_UP = (
    "INSERT OR REPLACE INTO rollups (width, field, series, bucket, lo, hi, total, n)"
    f" SELECT :width, j.key, p.series, p.time_ns - ((p.time_ns % :w) + :w) % :w AS b,"
    f" min({_NUM}), max({_NUM}), sum({_NUM}), count(*)"
    f" FROM series s JOIN points p ON p.series = s.id, json_each(p.fields) j"
    f" WHERE s.measurement IN ({_ROLLED}) AND p.time_ns >= :start AND p.time_ns < :end"
    " GROUP BY j.key, p.series, b"
)
ROLL_UP_TIER = (
    "INSERT OR REPLACE INTO rollups (width, field, series, bucket, lo, hi, total, n)"
    " SELECT :width, field, series, bucket - ((bucket % :w) + :w) % :w AS b,"
    " min(lo), max(hi), sum(total), sum(n) FROM rollups"
    " WHERE width = :finer AND bucket >= :start AND bucket < :end GROUP BY field, series, b"
)
MERGED_SERIES = (
    "INSERT OR IGNORE INTO series (measurement, tags)"
    f" SELECT DISTINCT measurement || '{MERGED}', json_remove(tags, '$.source') FROM series"
    f" WHERE measurement IN ({_ROLLED})"
)
MERGE = (
    "INSERT OR REPLACE INTO rollups (width, field, series, bucket, lo, hi, total, n)"
    " WITH m AS MATERIALIZED (SELECT s.id AS sid, g.id AS gid FROM series s JOIN series g"
    f" ON g.measurement = s.measurement || '{MERGED}' AND g.tags = json_remove(s.tags, '$.source')"
    f" WHERE s.measurement IN ({_ROLLED}))"
    " SELECT :width, r.field, m.gid, r.bucket, min(r.lo), max(r.hi), sum(r.total), sum(r.n)"
    " FROM rollups r JOIN m ON r.series = m.sid"
    " WHERE r.width = :width AND r.bucket >= :start AND r.bucket < :end"
    " GROUP BY r.field, m.gid, r.bucket"
)
OLDEST = (
    "SELECT min((SELECT min(p.time_ns) FROM points p WHERE p.series = s.id))"
    f" FROM series s WHERE s.measurement IN ({_ROLLED})"
)


IMPORT = "INSERT OR REPLACE INTO rollups VALUES (?, ?, ?, ?, ?, ?, ?, ?)"


def import_rows(width_s: int, rows: Sequence[tuple[int, Reading]]) -> list[tuple[Any, ...]]:
    """`rollups` rows from tier buckets given as readings with `<f>_min/_max/_sum/_count`."""
    out = []
    for series, reading in rows:
        for name, count in reading.fields.items():
            if name.endswith("_count"):
                f = name[: -len("_count")]
                get = reading.fields.get
                out.append(
                    (width_s, f, series, reading.time_ns, get(f + "_min"), get(f + "_max"),
                     get(f + "_sum"), int(count))
                )  # fmt: skip
    return out


def roll_up(conn: sqlite3.Connection, width_s: int, time_range: TimeRange) -> int:
    """Recompute one tier's buckets inside the range (the caller holds the write transaction)."""
    bound = {"width": width_s, "w": width_s * NS_PER_S, "finer": FINER.get(width_s, 0)}
    bound.update(start=time_range.start_ns, end=time_range.end_ns)
    rows: int = conn.execute(ROLL_UP_TIER if width_s in FINER else ROLL_UP, bound).rowcount
    return rows + merge(conn, width_s, time_range)


def merge(conn: sqlite3.Connection, width_s: int, time_range: TimeRange) -> int:
    """Recompute the tier's merged buckets inside the range from its per-source buckets."""
    conn.execute(MERGED_SERIES)
    bound = {"width": width_s, "start": time_range.start_ns, "end": time_range.end_ns}
    rows: int = conn.execute(MERGE, bound).rowcount
    return rows


def expire(conn: sqlite3.Connection, before_ns: int) -> int:
    """Delete raw points and 5-min buckets older than `before_ns`; rows deleted."""
    ids = [i for (i,) in conn.execute(f"SELECT id FROM series WHERE measurement IN ({_ROLLED})")]
    deleted = 0
    for series in ids:
        deleted += conn.execute(
            "DELETE FROM points WHERE series = ? AND time_ns < ?", (series, before_ns)
        ).rowcount
    deleted += conn.execute(
        "DELETE FROM rollups WHERE width = ? AND bucket < ?", (FIVE_MIN_S, before_ns)
    ).rowcount
    return deleted


def partial(
    conn: sqlite3.Connection,
    piece: Piece,
    measurement: str,
    field: str,
    bucket_s: int,
    groups: Sequence[str],
    where: TagFilter | None,
    merged: bool = False,
) -> list[tuple[Any, ...]]:
    """Partial aggregates (groups…, time, min, max, sum, count) of one piece per chart bucket;
    `merged`: a tier piece reads the tier merged over sources."""
    g_select = "".join(
        f", coalesce(json_extract(s.tags, :g{i}), '') AS g{i}" for i in range(len(groups))
    )
    g_names = "".join(f"g{i}, " for i in range(len(groups)))
    series = (
        f"WITH c AS MATERIALIZED (SELECT s.id{g_select} FROM series s"
        f" WHERE s.measurement = :m{sql.tag_sql(where)})"
    )
    bucket = "t - ((t % :w) + :w) % :w AS bucket"
    if piece.width_s == RAW:
        query = (
            f"{series} SELECT {g_names}{bucket}, min(v), max(v), sum(v), count(v) FROM ("
            f"SELECT {g_names}p.time_ns AS t, json_extract(p.fields, :field) AS v"
            f" FROM c JOIN points p ON p.series = c.id{sql.IN_RANGE}) WHERE v IS NOT NULL"
            f" GROUP BY {g_names}bucket"
        )
    else:
        query = (
            f"{series} SELECT {g_names}{bucket}, min(lo), max(hi), sum(total), sum(n) FROM ("
            f"SELECT {g_names}r.bucket AS t, r.lo, r.hi, r.total, r.n FROM c JOIN rollups r"
            " ON r.width = :width AND r.field = :fname AND r.series = c.id"
            " AND r.bucket >= :start AND r.bucket < :end)"
            f" GROUP BY {g_names}bucket"
        )
    bound: dict[str, Any] = sql.params(measurement, TimeRange(piece.start_ns, piece.end_ns), where)
    bound.update(field=sql.path(field), fname=field, width=piece.width_s, w=bucket_s * NS_PER_S)
    bound.update({f"g{i}": sql.path(tag) for i, tag in enumerate(groups)})
    if merged and piece.width_s != RAW:
        bound["m"] += MERGED
    rows: list[tuple[Any, ...]] = conn.execute(query, bound).fetchall()
    return rows
