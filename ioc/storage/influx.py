"""InfluxDB storage: writes through influxdb-client (`/api/v2/write`), reads with InfluxQL.

Writes are synchronous so the collector acknowledges MQTT messages only after InfluxDB said yes.
Reads use the v1 `/query` endpoint, served by InfluxDB 1.x, by 2.x through its automatic DBRP
mapping (bucket `ioc` = database `ioc`) and by 3.x — no Flux. Library errors are translated here,
and only here, into `StorageUnavailable` (retry) or `StorageRejected` (bad data).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import orjson
import pandas as pd
import urllib3
from influxdb_client.client.influxdb_client import InfluxDBClient
from influxdb_client.client.write_api import SYNCHRONOUS
from influxdb_client.rest import ApiException

from ioc.errors import StorageRejected, StorageUnavailable
from ioc.model import Reading
from ioc.storage import influxql
from ioc.storage.base import (
    TagFilter,
    TimeRange,
    check_aggregate,
    check_measurement,
    check_name,
)
from ioc.storage.lineprotocol import to_lines

log = logging.getLogger(__name__)

# HTTP statuses that mean "the data is wrong"; everything else (401, 403, 404 bucket not found,
# 413, 429, 5xx) is something an operator can fix, so the data is kept and retried.
_DATA_ERRORS = frozenset({400, 422})


class InfluxStorage:
    def __init__(self, url: str, token: str, org: str, bucket: str, timeout_ms: int = 10_000):
        self.url = url.rstrip("/")
        self.org = org
        self.bucket = bucket
        database, _, retention = bucket.partition("/")
        self._database = database
        self._retention = retention
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
        if not readings:
            return
        body = to_lines(readings)
        try:
            self._write_api.write(
                bucket=self.bucket,
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
    ) -> pd.DataFrame:
        bucket_s = time_range.bucket_seconds(max_buckets)
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
    ) -> pd.DataFrame:
        q = (
            f"SELECT * FROM {_measurement(measurement)}"
            f"{influxql.where_clause(time_range, where)}"
            f" ORDER BY time DESC LIMIT {int(limit)}"
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
        result = orjson.loads(response.data)["results"][0]
        if "error" in result:
            raise StorageRejected(f"InfluxQL error: {result['error']} in {q}")
        series: list[dict[str, Any]] = result.get("series", [])
        return series

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
