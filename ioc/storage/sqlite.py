"""Embedded storage: one SQLite file in WAL mode, with the semantics of `InfluxStorage`.

Used when no InfluxDB is configured, so `ioc demo` runs from `pip install` alone. The schema
copies InfluxDB's model:

    series(id, measurement, tags)        tags: canonical JSON of the non-empty tags, keys sorted
    points(series, time_ns, fields)      one point per series and nanosecond; fields: JSON
    field_keys(measurement, name, type)  float | integer | string | boolean, fixed on first write
    tag_keys(measurement, name)

What InfluxDB does, and therefore what this does:
- a point is identified by measurement + tag set + timestamp; writing it again merges field-wise
  (the new values win, fields it does not name keep theirs); empty tag values are dropped;
- a field keeps one type: another type is `StorageRejected` (here for the whole batch and for all
  time; InfluxDB 1.x keeps the rest of the batch and checks per 7-day shard only);
- `history` buckets are epoch-aligned multiples of the width, labelled by their start, empty
  ones left out (GROUP BY time(), fill(none)); a group tag a point lacks groups as "";
  mean/sum/median need numbers, max/min numbers or booleans, count/first/last take any type;
- frames are built the way InfluxStorage builds them from InfluxDB's JSON answer: same series
  order, same columns (SELECT * = `time` + the sorted tag and field keys of the measurement) and
  same value types (a whole float arrives as an int, exactly as it does through JSON).

Threads: one writer connection behind a lock, a small pool of reader connections (WAL lets them
read while the collector writes). `sqlite3` errors become `StorageUnavailable` here, and only here.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import orjson
import pandas as pd

from ioc.errors import StorageRejected, StorageUnavailable
from ioc.model import NS_PER_S, Reading
from ioc.storage import sqlite_rollups
from ioc.storage import sqlitesql as sql
from ioc.storage.base import (
    DECLARED_TYPES,
    TagFilter,
    TimeRange,
    check_aggregate,
    check_name,
    newest_windows,
    type_mismatch,
)
from ioc.storage.rollups import RAW, ROLLABLE, combine, mergeable, plan

log = logging.getLogger(__name__)

_POOL_MAX = 4  # idle reader connections kept


_NONE: dict[str, type] = {}


class SqliteStorage:
    def __init__(self, path: str | Path, *, timeout_s: float = 5.0):
        self.path = Path(path)
        self._timeout_s = timeout_s
        self._write_lock = threading.Lock()
        self._pool_lock = threading.Lock()
        self._pool: list[sqlite3.Connection] = []
        self._closed = False
        self._series: dict[tuple[str, str], int] = {}
        self._types: dict[tuple[str, str], str] = {}
        self._tag_keys: set[tuple[str, str]] = set()
        try:
            self._writer = self._connect()
            self._writer.execute("PRAGMA journal_mode=WAL")
            self._writer.executescript(sql.SCHEMA)
            self._writer.executescript(sqlite_rollups.SCHEMA)
        except sqlite3.Error as exc:
            raise self._unavailable(exc) from None

    # -- writes -----------------------------------------------------------------------------

    def write(self, readings: Sequence[Reading]) -> None:
        if not readings:
            return
        types: dict[tuple[str, str], str] = {}
        tag_keys: set[tuple[str, str]] = set()
        rows: list[tuple[tuple[str, str], int, bytes]] = []
        for reading in readings:
            if not reading.fields:
                raise ValueError("a point needs at least one field")
            declared = DECLARED_TYPES.get(reading.measurement, _NONE)
            for name, value in reading.fields.items():
                if name in declared and type(value) is not declared[name]:
                    error = type_mismatch(reading.measurement, name, value)
                    if error is not None:
                        raise error
                kind = sql.field_type(value)
                known = types.setdefault((reading.measurement, name), kind)
                if known != kind:
                    raise sql.conflict(reading.measurement, name, kind, known)
            tags = {k: v for k, v in reading.tags.items() if v}
            tag_keys.update((reading.measurement, k) for k in tags)
            key = (reading.measurement, orjson.dumps(tags, option=orjson.OPT_SORT_KEYS).decode())
            rows.append((key, reading.time_ns, orjson.dumps(dict(reading.fields))))
        with self._write_lock:
            conn = self._writer_conn()
            try:
                conn.execute("BEGIN IMMEDIATE")
                self._check_types(conn, types)
                new_tag_keys = tag_keys - self._tag_keys
                conn.executemany("INSERT OR IGNORE INTO tag_keys VALUES (?, ?)", new_tag_keys)
                series = self._series_ids(conn, {key for key, _, _ in rows})
                conn.executemany(sql.UPSERT, [(series[key], t, f) for key, t, f in rows])
                conn.execute("COMMIT")
            except BaseException as exc:
                _rollback(conn)
                if isinstance(exc, sqlite3.Error):
                    raise self._unavailable(exc) from None
                raise
            # Caches learn only what was committed.
            self._series.update(series)
            self._types.update(types)
            self._tag_keys |= new_tag_keys

    def _check_types(self, conn: sqlite3.Connection, types: dict[tuple[str, str], str]) -> None:
        for (measurement, name), kind in types.items():
            known = self._types.get((measurement, name))
            if known is None:
                conn.execute(
                    "INSERT OR IGNORE INTO field_keys VALUES (?, ?, ?)", (measurement, name, kind)
                )
                (known,) = conn.execute(
                    "SELECT type FROM field_keys WHERE measurement = ? AND name = ?",
                    (measurement, name),
                ).fetchone()
            if known != kind:
                raise sql.conflict(measurement, name, kind, known)

    def _series_ids(
        self, conn: sqlite3.Connection, keys: set[tuple[str, str]]
    ) -> dict[tuple[str, str], int]:
        ids = {}
        for key in keys:
            known = self._series.get(key)
            if known is None:
                conn.execute("INSERT OR IGNORE INTO series (measurement, tags) VALUES (?, ?)", key)
                (known,) = conn.execute(
                    "SELECT id FROM series WHERE measurement = ? AND tags = ?", key
                ).fetchone()
            ids[key] = known
        return ids

    # -- reads ------------------------------------------------------------------------------

    def history(
        self,
        measurement: str,
        field: str,
        time_range: TimeRange,
        *,
        where: TagFilter | None = None,
        group_by: Sequence[str] = (),
        aggregate: str = "mean",
        max_buckets: int = 300,
        rollups: bool = True,
    ) -> pd.DataFrame:
        groups = sorted({check_name(tag) for tag in group_by})
        query = sql.history_sql(check_aggregate(aggregate), groups, where)
        bucket_s = time_range.bucket_seconds(max_buckets)
        bound = sql.params(measurement, time_range, where)
        bound.update(field=sql.path(field), w=bucket_s * NS_PER_S)
        bound.update({f"g{i}": sql.path(tag) for i, tag in enumerate(groups)})
        with self._reading() as conn:
            kind = self._field_types(conn, measurement).get(field)
            if kind is None:
                return _frame([])
            if kind not in sql.ACCEPTS.get(aggregate, {kind}):
                raise StorageRejected(f"unsupported {aggregate} of a {kind} field {field!r}")
            rolled = aggregate == "count" or kind in ("float", "integer")
            if rollups and rolled and aggregate in ROLLABLE:
                pieces = plan(time_range, bucket_s, self._done(conn), time.time_ns())
                if any(piece.width_s != RAW for piece in pieces):
                    merged = mergeable(measurement, where, groups)
                    partials = [
                        sqlite_rollups.partial(
                            conn, piece, measurement, field, bucket_s, groups, where, merged
                        )
                        for piece in pieces
                    ]
                    return combine(partials, groups, aggregate)
            rows = conn.execute(query, bound).fetchall()
        series: dict[tuple[str, ...], dict[str, Any]] = {}
        for row in rows:
            values = row[: len(groups)]
            one = series.setdefault(
                values, {"tags": dict(zip(groups, values, strict=True)), "values": []}
            )
            value = row[len(groups) + 1]
            if kind == "boolean" and aggregate != "count":
                value = bool(value)
            one["values"].append([row[len(groups)], _as_json(value)])
        return _frame([{"columns": ["time", "value"], **one} for one in series.values()])

    def latest(self, measurement: str, *, where: TagFilter | None = None) -> pd.DataFrame:
        query = (
            f"SELECT s.tags, p.time_ns, p.fields {sql.JOIN}{sql.tag_sql(where)} AND p.time_ns ="
            " (SELECT max(q.time_ns) FROM points q WHERE q.series = s.id)"
        )
        with self._reading() as conn:
            rows = conn.execute(query, sql.params(measurement, None, where)).fetchall()
            columns = self._columns(conn, measurement, exclude="source")
        newest: dict[str, tuple[int, str, str]] = {}
        for tags, time_ns, fields in rows:
            source = orjson.loads(tags).get("source", "")
            if (time_ns, tags) > newest.get(source, (-sql.INT64, "", ""))[:2]:
                newest[source] = (time_ns, tags, fields)
        series = [
            {"tags": {"source": source}, "columns": columns, "values": [_row(columns, *point)]}
            for source, point in sorted(newest.items(), reverse=True)
        ]
        return _frame(series)

    def records(
        self,
        measurement: str,
        time_range: TimeRange,
        *,
        where: TagFilter | None = None,
        limit: int = 1000,
        offset: int = 0,
    ) -> pd.DataFrame:
        if offset < 0:
            raise ValueError(f"offset must be >= 0, not {offset}")
        # a page further down needs its window to hold the rows before it too
        needed = limit + offset if limit > 0 else 0
        for window in newest_windows(time_range, needed):
            last = window.start_ns == time_range.start_ns
            frame = self._records(measurement, window, where, limit, last, offset)
            if frame is not None:
                return frame
        raise AssertionError("the last window is the whole range")  # pragma: no cover

    def _records(
        self,
        measurement: str,
        time_range: TimeRange,
        where: TagFilter | None,
        limit: int,
        last: bool = True,
        offset: int = 0,
    ) -> pd.DataFrame | None:
        """The window's newest points after `offset`; None (nothing decoded) when fewer than
        `limit` and not the `last` window."""
        if limit < 0:
            raise ValueError(f"limit must be >= 0 (0 = no limit), not {limit}")
        bound = sql.params(measurement, time_range, where)
        bound["limit"] = limit or -1  # InfluxQL's LIMIT 0 means no limit
        bound["offset"] = offset
        query = (
            f"SELECT p.time_ns, s.tags, p.fields {sql.JOIN}{sql.IN_RANGE}{sql.tag_sql(where)}"
            " ORDER BY p.time_ns DESC, s.tags DESC LIMIT :limit OFFSET :offset"
        )
        with self._reading() as conn:
            rows = conn.execute(query, bound).fetchall()
            if len(rows) < limit and not last:
                return None
            columns = self._columns(conn, measurement)
        if not rows:
            return _frame([])
        values = [_row(columns, time_ns, tags, fields) for time_ns, tags, fields in rows]
        return _frame([{"tags": {}, "columns": columns, "values": values}])

    def count(
        self, measurement: str, field: str, time_range: TimeRange, *, where: TagFilter | None = None
    ) -> int:
        bound = sql.params(measurement, time_range, where)
        bound["field"] = sql.path(field)
        query = f"SELECT count(json_extract(p.fields, :field)) {sql.JOIN}{sql.IN_RANGE}"
        with self._reading() as conn:
            (count,) = conn.execute(query + sql.tag_sql(where), bound).fetchone()
        return int(count)

    # -- rollups (ioc.storage.rollups) ---------------------------------------------------------

    def roll_up(self, width_s: int, time_range: TimeRange) -> int:
        return self._writing(lambda conn: sqlite_rollups.roll_up(conn, width_s, time_range))

    def import_rollups(self, width_s: int, readings: Sequence[Reading]) -> None:
        """Write ready-made tier buckets (fields `<f>_min/_max/_sum/_count`), e.g. aggregates
        of a history whose raw points are gone."""
        keyed = [
            (
                (
                    r.measurement,
                    orjson.dumps(
                        {k: v for k, v in r.tags.items() if v}, option=orjson.OPT_SORT_KEYS
                    ).decode(),
                ),
                r,
            )
            for r in readings
        ]

        def work(conn: sqlite3.Connection) -> int:
            series = self._series_ids(conn, {key for key, _ in keyed})
            rows = sqlite_rollups.import_rows(width_s, [(series[k], r) for k, r in keyed])
            written: int = conn.executemany(sqlite_rollups.IMPORT, rows).rowcount
            if keyed:
                times = [r.time_ns for _, r in keyed]
                span = TimeRange(min(times), max(times) + width_s * NS_PER_S)
                written += sqlite_rollups.merge(conn, width_s, span)
            return written

        self._writing(work)
        self._series.clear()  # ids learnt inside the transaction are read again when needed

    def merge_rollups(self, width_s: int, time_range: TimeRange) -> int:
        return self._writing(lambda conn: sqlite_rollups.merge(conn, width_s, time_range))

    def rollup_done(self, *, cached: bool = True) -> dict[int, int]:
        with self._reading() as conn:
            return self._done(conn)

    def set_rollup_done(self, width_s: int, done_ns: int) -> None:
        self._writing(
            lambda conn: (
                conn.execute(
                    "INSERT OR REPLACE INTO rollup_state VALUES (?, ?)", (width_s, done_ns)
                ).rowcount
            )
        )

    def oldest_ns(self) -> int | None:
        with self._reading() as conn:
            (oldest,) = conn.execute(sqlite_rollups.OLDEST).fetchone()
        return None if oldest is None else int(oldest)

    def apply_retention(self, raw_days: int, now_ns: int) -> None:
        if raw_days > 0:
            cutoff = now_ns - raw_days * 86400 * NS_PER_S
            self._writing(lambda conn: sqlite_rollups.expire(conn, cutoff))

    def _done(self, conn: sqlite3.Connection) -> dict[int, int]:
        return dict(conn.execute("SELECT width, done_ns FROM rollup_state").fetchall())

    def _writing(self, work: Callable[[sqlite3.Connection], int]) -> int:
        """`work` inside one write transaction."""
        with self._write_lock:
            conn = self._writer_conn()
            try:
                conn.execute("BEGIN IMMEDIATE")
                done = work(conn)
                conn.execute("COMMIT")
            except BaseException as exc:
                _rollback(conn)
                if isinstance(exc, sqlite3.Error):
                    raise self._unavailable(exc) from None
                raise
        return done

    def ping(self) -> None:
        with self._reading() as conn:
            conn.execute("SELECT 1 FROM series LIMIT 1").fetchall()

    def close(self) -> None:
        with self._pool_lock:
            self._closed = True
            pool, self._pool = self._pool, []
        with self._write_lock:
            try:  # fold the WAL into the database file: a copy of the file alone is complete
                self._writer.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            except sqlite3.Error as exc:
                log.warning("SQLite checkpoint at close failed: %s", exc)
            for conn in [*pool, self._writer]:
                conn.close()

    # -- plumbing ---------------------------------------------------------------------------

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(
            self.path, timeout=self._timeout_s, isolation_level=None, check_same_thread=False
        )
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.create_aggregate("ioc_median", 1, sql.Median)
        return conn

    def _writer_conn(self) -> sqlite3.Connection:
        if self._closed:
            raise StorageUnavailable(f"SQLite storage {self.path} is closed")
        return self._writer

    @contextmanager
    def _reading(self) -> Iterator[sqlite3.Connection]:
        """A pooled connection inside one read transaction (one consistent snapshot)."""
        with self._pool_lock:
            if self._closed:
                raise StorageUnavailable(f"SQLite storage {self.path} is closed")
            conn = self._pool.pop() if self._pool else None
        try:
            conn = conn or self._connect()
            conn.execute("BEGIN")
            try:
                yield conn
            finally:
                conn.execute("COMMIT")
        except sqlite3.Error as exc:
            raise self._unavailable(exc) from None
        finally:
            if conn is not None:
                with self._pool_lock:
                    keep = not (self._closed or conn.in_transaction or len(self._pool) >= _POOL_MAX)
                    if keep:
                        self._pool.append(conn)
                if not keep:
                    conn.close()

    def _field_types(self, conn: sqlite3.Connection, measurement: str) -> dict[str, str]:
        rows = conn.execute(
            "SELECT name, type FROM field_keys WHERE measurement = ?", (measurement,)
        )
        return dict(rows.fetchall())

    def _columns(self, conn: sqlite3.Connection, measurement: str, exclude: str = "") -> list[str]:
        """SELECT * columns: `time`, then every tag and field key of the measurement, sorted."""
        tags = conn.execute("SELECT name FROM tag_keys WHERE measurement = ?", (measurement,))
        names = {name for (name,) in tags.fetchall()} | set(self._field_types(conn, measurement))
        return ["time", *sorted(names - {exclude})]

    def _unavailable(self, exc: sqlite3.Error) -> StorageUnavailable:
        return StorageUnavailable(f"SQLite storage {self.path} failed: {exc}")


def _rollback(conn: sqlite3.Connection) -> None:
    if conn.in_transaction:
        with suppress(sqlite3.Error):  # the transaction may be gone with the failure
            conn.execute("ROLLBACK")


def _as_json(value: Any) -> Any:
    """A value as it comes back through InfluxDB's JSON: a whole float below 1e21 is an int."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e21:
        return int(value)
    return value


def _row(columns: list[str], time_ns: int, tags: str, fields: str) -> list[Any]:
    tag_map, field_map = orjson.loads(tags), orjson.loads(fields)
    row: list[Any] = [time_ns]
    for name in columns[1:]:
        row.append(_as_json(field_map[name]) if name in field_map else tag_map.get(name))
    return row


def _frame(series: list[dict[str, Any]]) -> pd.DataFrame:
    """Series (as InfluxDB's JSON gives them) to one frame — the same code as InfluxStorage."""
    frames = []
    for one in series:
        frame = pd.DataFrame(one["values"], columns=one["columns"])
        for key, value in (one.get("tags") or {}).items():
            frame[key] = value
        frames.append(frame)
    if not frames:
        return pd.DataFrame({"time": pd.Series([], dtype="datetime64[ns, UTC]")})
    frame = pd.concat(frames, ignore_index=True)
    frame["time"] = pd.to_datetime(frame["time"], unit="ns", utc=True)
    return frame
