"""The storage protocol every backend implements (InfluxDB, embedded SQLite).

Writes take `Reading`s. Reads return pandas DataFrames with a UTC `time` column, so dashboards
and KPIs never see a database client. Identifiers that reach a query (measurement, field, tag
keys) must be known names; tag values are always escaped by the backend — no query is ever built
from raw user text.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

import pandas as pd

from ioc.errors import StorageRejected
from ioc.feeds import SCHEMAS
from ioc.feeds.schema import PY_TYPES
from ioc.model import NS_PER_S, FieldValue, Reading

# Tag filters: tag key -> one value or several (OR-ed).
TagFilter = Mapping[str, str | Sequence[str]]

AGGREGATES = frozenset({"mean", "max", "min", "sum", "count", "last", "first", "median"})
NAME_RE = re.compile(r"[a-z][a-z0-9_]{0,63}")
MEASUREMENTS = frozenset(SCHEMAS)
# Declared field types per measurement (ioc.feeds): a declared field of another type is refused
# before anything is written, so a field keeps one type forever. Undeclared fields are typed by
# their value (and kept to one type by the storage itself).
DECLARED_TYPES: dict[str, dict[str, type]] = {
    m: {name: PY_TYPES[kind] for name, kind in schema.field_types.items()}
    for m, schema in SCHEMAS.items()
}


def type_mismatch(measurement: str, name: str, value: FieldValue) -> StorageRejected | None:
    """The refusal of a field value that is not of its declared type (None when it is)."""
    declared = DECLARED_TYPES.get(measurement, {}).get(name)
    if declared is None:
        return None
    if isinstance(value, declared) and not (declared is int and isinstance(value, bool)):
        return None
    return StorageRejected(
        f"field type conflict: field {name!r} of measurement {measurement!r} is declared "
        f"{declared.__name__}, got {type(value).__name__} {value!r}"
    )


# Bucket widths a chart may use, in seconds (1 s … 1 day).
BUCKET_STEPS_S = (1, 5, 10, 30, 60, 300, 600, 900, 1800, 3600, 10800, 21600, 43200, 86400)


@dataclass(frozen=True, slots=True)
class TimeRange:
    """Half-open [start_ns, end_ns) in epoch nanoseconds."""

    start_ns: int
    end_ns: int

    def __post_init__(self) -> None:
        if self.end_ns <= self.start_ns:
            raise ValueError("a time range must end after it starts")

    @classmethod
    def last(cls, seconds: float, now_ns: int) -> TimeRange:
        return cls(now_ns - int(seconds * NS_PER_S), now_ns)

    def bucket_seconds(self, max_buckets: int) -> int:
        """The smallest step in BUCKET_STEPS_S giving at most `max_buckets` buckets."""
        span_s = (self.end_ns - self.start_ns) / NS_PER_S
        for step in BUCKET_STEPS_S:
            if span_s / step <= max_buckets:
                return step
        return BUCKET_STEPS_S[-1]


RECORDS_FIRST_WINDOW_S = 900
WINDOWED_LIMIT = 10_000


def newest_windows(time_range: TimeRange, limit: int) -> list[TimeRange]:
    """Windows that end where the range ends, each 8× the last (15 min, 2 h, 16 h …), the last
    the whole range: `records()` reads them in turn until one holds `limit` points — those are
    then the newest of the whole range — so a long range never sorts all its points. Bulk
    reads (no limit, or above `WINDOWED_LIMIT`) read the range at once."""
    if limit <= 0 or limit > WINDOWED_LIMIT:
        return [time_range]
    windows = []
    width = RECORDS_FIRST_WINDOW_S * NS_PER_S
    while time_range.end_ns - width > time_range.start_ns:
        windows.append(TimeRange(time_range.end_ns - width, time_range.end_ns))
        width *= 8
    return [*windows, time_range]


def check_measurement(name: str) -> str:
    if name not in MEASUREMENTS:
        raise ValueError(f"unknown measurement {name!r}")
    return name


def check_name(name: str) -> str:
    """A field or tag key: lower-case identifier only (never user text)."""
    if not NAME_RE.fullmatch(name):
        raise ValueError(f"not a field or tag name: {name!r}")
    return name


def check_aggregate(name: str) -> str:
    if name not in AGGREGATES:
        raise ValueError(f"unknown aggregate {name!r}")
    return name


class Storage(Protocol):
    """The system of record."""

    def write(self, readings: Sequence[Reading]) -> None:
        """Store readings. Raises StorageUnavailable (retry) or StorageRejected (bad data).

        Idempotent: writing the same reading twice stores one point.
        """

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
        """One field aggregated into time buckets: columns `time`, the group tags, `value`.

        Ranges whose buckets are whole 5-min or hourly multiples read the rollup tiers up to
        their watermarks (`ioc.storage.rollups`; merged over sources unless `where` or
        `group_by` name `source`), the same figures as from raw points; `rollups=False` reads
        raw points only."""

    def latest(self, measurement: str, *, where: TagFilter | None = None) -> pd.DataFrame:
        """The newest point per source: columns `time`, the tags, the fields."""

    def records(
        self,
        measurement: str,
        time_range: TimeRange,
        *,
        where: TagFilter | None = None,
        limit: int = 1000,
        offset: int = 0,
    ) -> pd.DataFrame:
        """Raw points, newest first: columns `time`, the tags, the fields; `offset` skips that
        many of the newest first (paging), `limit` 0 means no limit."""

    def count(
        self, measurement: str, field: str, time_range: TimeRange, *, where: TagFilter | None = None
    ) -> int:
        """How many points have `field` in the range."""

    def roll_up(self, width_s: int, time_range: TimeRange) -> int:
        """Recompute a rollup tier's buckets inside the (aligned) range, per source and merged
        over sources; rows written."""

    def merge_rollups(self, width_s: int, time_range: TimeRange) -> int:
        """Recompute the tier's buckets merged over sources inside the range from its
        per-source buckets (after writing those some other way); rows written."""

    def import_rollups(self, width_s: int, readings: Sequence[Reading]) -> None:
        """Write ready-made tier buckets: readings of the raw measurement and tags, at the
        bucket's start, with fields `<f>_min`, `<f>_max`, `<f>_sum`, `<f>_count`; the merged
        buckets of their span are recomputed."""

    def rollup_done(self, *, cached: bool = True) -> dict[int, int]:
        """Rollup tier width (s) -> watermark (ns): its buckets before are complete."""

    def set_rollup_done(self, width_s: int, done_ns: int) -> None:
        """Move a tier's watermark."""

    def oldest_ns(self) -> int | None:
        """The oldest raw point of a rolled-up measurement (None: no point)."""

    def apply_retention(self, raw_days: int, now_ns: int) -> None:
        """Raw points and the 5-min tier older than `raw_days` go; hourly rollups stay.
        0 keeps raw points forever."""

    def ping(self) -> None:
        """Raise StorageUnavailable unless the storage answers."""

    def close(self) -> None:
        """Release connections. Pending nothing: writes are synchronous."""
