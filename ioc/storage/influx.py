"""InfluxDB storage: writes through influxdb-client (`/api/v2/write`), reads with InfluxQL.

Writes are synchronous so the collector acknowledges MQTT messages only after InfluxDB said yes.
Reads use the v1 `/query` endpoint, served by InfluxDB 1.x, by 2.x through its automatic DBRP
mapping (bucket `ioc` = database `ioc`) and by 3.x — no Flux. Library errors are translated here,
and only here, into `StorageUnavailable` (retry) or `StorageRejected` (bad data).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from typing import Any

import orjson
import pandas as pd
import urllib3
from influxdb_client.client.influxdb_client import InfluxDBClient
from influxdb_client.client.write_api import SYNCHRONOUS
from influxdb_client.rest import ApiException

from ioc.errors import StorageRejected, StorageUnavailable
from ioc.model import NS_PER_S, Reading
from ioc.storage import influx_rollups as rq
from ioc.storage import influxql
from ioc.storage.base import (
    TagFilter,
    TimeRange,
    check_aggregate,
    check_measurement,
    check_name,
    newest_windows,
)
from ioc.storage.lineprotocol import to_lines
from ioc.storage.rollups import (
    FIVE_MIN_S,
    RAW,
    ROLLABLE,
    ROLLED_MEASUREMENTS,
    combine,
    mergeable,
    plan,
)

log = logging.getLogger(__name__)

# HTTP statuses that mean "the data is wrong"; everything else (401, 403, 404 bucket not found,
# 413, 429, 5xx) is something an operator can fix, so the data is kept and retried.
_DATA_ERRORS = frozenset({400, 422})
_CACHE_S = 2.0  # how long history() trusts the watermarks and field types it read


class InfluxStorage:
    def __init__(self, url: str, token: str, org: str, bucket: str, timeout_ms: int = 10_000):
        self.url = url.rstrip("/")
        self.org = org
        self.bucket = bucket
        database, _, retention = bucket.partition("/")
        self._database = database
        self._retention = retention
        self._rollup_bucket = f"{database}/{rq.ROLLUP_RP}"
        self._rollup_rp_ready = False
        self._done_cache: tuple[float, dict[int, int]] = (-_CACHE_S, {})
        self._types_cache: dict[str, tuple[float, dict[str, str]]] = {}
        self._client = InfluxDBClient(url=self.url, token=token, org=org, timeout=timeout_ms)
        self._write_api = self._client.write_api(write_options=SYNCHRONOUS)
        self._http = urllib3.PoolManager(
            num_pools=2,
            maxsize=4,
            timeout=urllib3.Timeout(total=timeout_ms / 1000),
            retries=False,
            headers={"Authorization": f"Token {token}"} if token else {},
        )

    # -- writes -----------------------------------------------------------------------------

    def write(self, readings: Sequence[Reading]) -> None:
        if readings:
            self._write(to_lines(readings), self.bucket)

    def _write(self, body: bytes, bucket: str) -> None:
        try:
            self._write_api.write(
                bucket=bucket,
                org=self.org,
                record=body,
                write_precision="ns",  # type: ignore[arg-type]
            )
        except ApiException as exc:
            detail = _error_text(exc.body) or str(exc.reason)
            if exc.status in _DATA_ERRORS:
                raise StorageRejected(
                    f"InfluxDB refused the data ({exc.status}): {detail}"
                ) from None
            raise StorageUnavailable(f"InfluxDB write failed ({exc.status}): {detail}") from None
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            raise StorageUnavailable(f"InfluxDB unreachable at {self.url}: {exc}") from None

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
        bucket_s = time_range.bucket_seconds(max_buckets)
        if rollups and aggregate in ROLLABLE:
            self._prefetch(measurement)
            kind = self._field_types(measurement).get(field)
            if aggregate == "count" or kind in rq.NUMERIC:
                pieces = plan(time_range, bucket_s, self.rollup_done(), time.time_ns())
                if any(piece.width_s != RAW for piece in pieces):
                    groups = sorted({check_name(tag) for tag in group_by})
                    merged = mergeable(measurement, where, groups)
                    statements = [
                        rq.partial_query(
                            piece,
                            measurement,
                            field,
                            aggregate,
                            bucket_s,
                            groups,
                            where,
                            self._retention,
                            merged,
                        )
                        for piece in pieces
                    ]
                    answers = self.query_all("; ".join(statements))
                    partials = [rq.partial_rows(series, groups, aggregate) for series in answers]
                    return combine(partials, groups, aggregate)
        q = (
            f'SELECT {check_aggregate(aggregate)}({influxql.ident(field)}) AS "value"'
            f" FROM {_measurement(measurement)}"
            f"{influxql.where_clause(time_range, where)}"
            f"{influxql.group_by_clause(group_by, bucket_s)} fill(none)"
        )
        return self._frame(q)

    def latest(self, measurement: str, *, where: TagFilter | None = None) -> pd.DataFrame:
        q = (
            f"SELECT * FROM {_measurement(measurement)}{influxql.where_clause(None, where)}"
            ' GROUP BY "source" ORDER BY time DESC LIMIT 1'
        )
        return self._frame(q)

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
            frame = self._records(measurement, window, where, limit, offset)
            if len(frame) >= limit or window.start_ns == time_range.start_ns:
                return frame
        raise AssertionError("the last window is the whole range")  # pragma: no cover

    def _records(
        self,
        measurement: str,
        time_range: TimeRange,
        where: TagFilter | None,
        limit: int,
        offset: int = 0,
    ) -> pd.DataFrame:
        q = (
            f"SELECT * FROM {_measurement(measurement)}"
            f"{influxql.where_clause(time_range, where)}"
            f" ORDER BY time DESC LIMIT {int(limit)}"
            + (f" OFFSET {int(offset)}" if offset > 0 else "")
        )
        return self._frame(q)

    def count(
        self, measurement: str, field: str, time_range: TimeRange, *, where: TagFilter | None = None
    ) -> int:
        q = (
            f"SELECT count({influxql.ident(field)}) FROM {_measurement(measurement)}"
            f"{influxql.where_clause(time_range, where)}"
        )
        frame = self._frame(q)
        return int(frame["count"].sum()) if not frame.empty else 0

    # -- rollups (ioc.storage.rollups, ioc.storage.influx_rollups) ----------------------------

    def roll_up(self, width_s: int, time_range: TimeRange) -> int:
        rows = self._roll_up(width_s, time_range, merge=False)
        return rows + self._roll_up(width_s, time_range, merge=True)

    def merge_rollups(self, width_s: int, time_range: TimeRange) -> int:
        """Recompute the tier's merged buckets inside the range from its per-source buckets."""
        return self._roll_up(width_s, time_range, merge=True)

    def _roll_up(self, width_s: int, time_range: TimeRange, *, merge: bool) -> int:
        self._ensure_rollup_rp()
        readings: list[Reading] = []
        for measurement in ROLLED_MEASUREMENTS:
            types = self._field_types(measurement, cached=False)
            if types:
                q = rq.roll_up_query(
                    measurement, types, width_s, time_range, self._retention, merge=merge
                )
                # One request per field: InfluxDB 1.x answers big multi-statement queries slowly.
                answers = [self.query(statement) for statement in q.split("; ")]
                readings += rq.rollup_readings(answers, measurement, width_s, merged=merge)
        bucket = self.bucket if width_s == FIVE_MIN_S else self._rollup_bucket
        for at in range(0, len(readings), 20_000):
            self._write(to_lines(readings[at : at + 20_000]), bucket)
        return len(readings)

    def import_rollups(self, width_s: int, readings: Sequence[Reading]) -> None:
        """Write ready-made tier buckets (fields `<f>_min/_max/_sum/_count`), e.g. aggregates
        of a history whose raw points are gone; `<f>_mean` is added."""
        self._ensure_rollup_rp()
        bucket = self.bucket if width_s == FIVE_MIN_S else self._rollup_bucket
        rows = [rq.with_means(r, width_s) for r in readings]
        for at in range(0, len(rows), 20_000):
            self._write(to_lines(rows[at : at + 20_000]), bucket)
        if readings:
            times = [r.time_ns for r in readings]
            self.merge_rollups(width_s, TimeRange(min(times), max(times) + width_s * NS_PER_S))

    def clear_caches(self) -> None:
        """Forget the watermarks and field types history() keeps for a moment."""
        self._done_cache = (-_CACHE_S, {})
        self._types_cache.clear()

    def rollup_done(self, *, cached: bool = True) -> dict[int, int]:
        at, done = self._done_cache
        if cached and time.monotonic() - at < _CACHE_S:
            return done
        q = f'SELECT last("done_ns") FROM "{rq.ROLLUP_RP}"."{rq.STATE}" GROUP BY "width"'
        try:
            done = rq.done_from(self.query(q))
        except StorageRejected:  # no rollup retention policy (bucket) yet: no rollups
            done = {}
        self._done_cache = (time.monotonic(), done)
        return done

    def set_rollup_done(self, width_s: int, done_ns: int) -> None:
        self._ensure_rollup_rp()
        state = Reading(rq.STATE, 0, {"width": str(width_s)}, {"done_ns": int(done_ns)})
        self._write(to_lines([state]), self._rollup_bucket)
        self._done_cache = (-_CACHE_S, {})

    def oldest_ns(self) -> int | None:
        found = [
            int(series[0]["values"][0][0])
            for series in self.query_all(
                "; ".join(f'SELECT * FROM "{m}" LIMIT 1' for m in ROLLED_MEASUREMENTS)
            )
            if series
        ]
        return min(found) if found else None

    def apply_retention(self, raw_days: int, now_ns: int) -> None:
        """InfluxDB 1.x: the raw retention policy's duration (InfluxDB drops whole expired shard
        groups itself). 2.x/3.x: set the bucket's retention there (InfluxQL cannot)."""
        self._ensure_rollup_rp()
        policies = self._policies()
        raw_rp = self._retention or next((n for n, (_, d) in policies.items() if d), "autogen")
        wanted = f"{raw_days * 24}h0m0s" if raw_days > 0 else "0s"
        if policies.get(raw_rp, ("", False))[0] != wanted:
            duration = f"{raw_days * 24}h" if raw_days > 0 else "INF"
            self._admin(
                f"ALTER RETENTION POLICY {rq.quoted(raw_rp)} ON {rq.quoted(self._database)}"
                f" DURATION {duration}"
            )

    def _ensure_rollup_rp(self) -> None:
        if self._rollup_rp_ready:
            return
        if rq.ROLLUP_RP not in self._policies():
            self._admin(
                f"CREATE RETENTION POLICY {rq.quoted(rq.ROLLUP_RP)} ON"
                f" {rq.quoted(self._database)} DURATION INF REPLICATION 1"
            )
        self._rollup_rp_ready = True

    def _policies(self) -> dict[str, tuple[str, bool]]:
        """Retention policy -> (duration, is default)."""
        series = self._admin(f"SHOW RETENTION POLICIES ON {rq.quoted(self._database)}")
        values = series[0]["values"] if series else []
        return {row[0]: (row[1], bool(row[4])) for row in values}

    def _admin(self, q: str) -> list[dict[str, Any]]:
        try:
            return self.query(q)
        except StorageRejected as exc:
            raise StorageRejected(
                f"{exc}. On InfluxDB 2.x/3.x create the bucket {self._rollup_bucket!r} for the"
                " hourly rollups and set the raw bucket's retention there"
            ) from None

    def _prefetch(self, measurement: str) -> None:
        """Field types and watermarks in one request when both are stale (one round trip)."""
        now = time.monotonic()
        types_at = self._types_cache.get(measurement, (-_CACHE_S, {}))[0]
        if now - types_at < _CACHE_S or now - self._done_cache[0] < _CACHE_S:
            return
        q = (
            f"SHOW FIELD KEYS FROM {_measurement(measurement)};"
            f' SELECT last("done_ns") FROM "{rq.ROLLUP_RP}"."{rq.STATE}" GROUP BY "width"'
        )
        try:
            keys, state = self.query_all(q)
        except StorageRejected:  # no rollup policy yet: the two reads one by one
            return
        types = {row[0]: row[1] for row in keys[0]["values"]} if keys else {}
        self._types_cache[measurement] = (now, types)
        self._done_cache = (now, rq.done_from(state))

    def _field_types(self, measurement: str, *, cached: bool = True) -> dict[str, str]:
        at, types = self._types_cache.get(measurement, (-_CACHE_S, {}))
        if cached and time.monotonic() - at < _CACHE_S:
            return types
        series = self.query(f"SHOW FIELD KEYS FROM {_measurement(measurement)}")
        types = {row[0]: row[1] for row in series[0]["values"]} if series else {}
        self._types_cache[measurement] = (time.monotonic(), types)
        return types

    def ping(self) -> None:
        try:
            response = self._http.request("GET", f"{self.url}/ping")
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            raise StorageUnavailable(f"InfluxDB unreachable at {self.url}: {exc}") from None
        if response.status >= 300:
            raise StorageUnavailable(
                f"InfluxDB at {self.url} answered /ping with {response.status}"
            )

    def close(self) -> None:
        self._write_api.close()  # type: ignore[no-untyped-call]
        self._client.close()  # type: ignore[no-untyped-call]
        self._http.clear()

    # -- plumbing ---------------------------------------------------------------------------

    def query(self, q: str) -> list[dict[str, Any]]:
        """Run InfluxQL built by this module; returns the series of the first statement."""
        return self.query_all(q)[0]

    def query_all(self, q: str) -> list[list[dict[str, Any]]]:
        """Run `;`-separated InfluxQL statements in one request; the series of each."""
        fields = {"db": self._database, "q": q, "epoch": "ns"}
        if self._retention:
            fields["rp"] = self._retention
        try:
            response = self._http.request(
                "POST", f"{self.url}/query", fields=fields, encode_multipart=False
            )
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            raise StorageUnavailable(f"InfluxDB unreachable at {self.url}: {exc}") from None
        if response.status != 200:
            raise StorageUnavailable(
                f"InfluxQL query failed ({response.status}): {_error_text(response.data)}"
            )
        answers = []
        for result in orjson.loads(response.data)["results"]:
            if "error" in result:
                raise StorageRejected(f"InfluxQL error: {result['error']} in {q}")
            answers.append(result.get("series", []))
        return answers

    def _frame(self, q: str) -> pd.DataFrame:
        frames = []
        for series in self.query(q):
            frame = pd.DataFrame(series["values"], columns=series["columns"])
            for key, value in (series.get("tags") or {}).items():
                frame[key] = value
            frames.append(frame)
        if not frames:
            return pd.DataFrame({"time": pd.Series([], dtype="datetime64[ns, UTC]")})
        frame = pd.concat(frames, ignore_index=True)
        frame["time"] = pd.to_datetime(frame["time"], unit="ns", utc=True)
        return frame


def _measurement(name: str) -> str:
    return '"' + check_measurement(name) + '"'


def _error_text(body: bytes | str | None) -> str:
    if not body:
        return ""
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        return body.decode(errors="replace") if isinstance(body, bytes) else body
    if isinstance(data, dict):
        return str(data.get("error") or data.get("message") or data)
    return str(data)


__all__ = ["InfluxStorage", "check_name"]
