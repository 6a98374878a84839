"""Rollups: pre-aggregated history so long ranges stay fast, on both backends.

Three tiers, per series (measurement + tag set) and field, epoch-aligned (UTC) buckets:

    5 min   (`<measurement>_5m`)  kept as long as raw points (`IOC_RAW_RETENTION_DAYS`)
    1 hour  (`<measurement>_1h`)  kept forever (InfluxDB: retention policy `rollup`)
    6 hours (`<measurement>_6h`)  kept forever: charts of 12 h / 1 day buckets (90 d, 1 y) read
                                  a sixth of the hourly rows

Each bucket holds `min`, `max`, `sum` (numbers only), `count` (every field type) and, for people
reading the schema from Grafana, `mean` — fields `<field>_min`, `<field>_max`, …. A tier is
*done* up to a watermark kept in storage: every bucket before it is complete.

Every tier is also kept *merged over sources* (`<measurement>_<tier>_merged`): one series per
tag set without `source` (for sensors: district + kind), the per-source buckets of the same
width combined. A chart that neither filters nor groups by `source` (every district chart)
reads those: at 730 sensors, 10 series for air in the district chart instead of 183.

`Storage.history()` answers with `plan()` (merged tiers when `mergeable()`): the widest tier
whose width divides the chart's bucket covers the whole tier buckets inside the range below its
watermark; the ragged edges come from the next finer tier, and finally from raw points; the
last `RECENT_RAW_S` always come from raw points (a reading stored late is in every chart at
once). The pieces are partial aggregates (min, max, sum, count) merged per chart bucket by
`combine()`, so the result equals the raw aggregation (mean = Σ sum / Σ count). `median`,
`first` and `last` always read raw points.

`RollupKeeper` keeps the tiers current: the KPI engine calls `note(readings)` with what was
stored and `update(storage, now_ms)` from its tick. `rebuild(storage, range)` recomputes a range
on demand (`ioc rollups rebuild`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import pandas as pd

from ioc.errors import IocError
from ioc.feeds import FEEDS
from ioc.model import NS_PER_MS, NS_PER_S, Reading
from ioc.storage.base import TimeRange

log = logging.getLogger(__name__)

FIVE_MIN_S = 300
HOUR_S = 3600
SIX_HOURS_S = 6 * 3600
TIERS: tuple[int, ...] = (SIX_HOURS_S, HOUR_S, FIVE_MIN_S)  # widest first
TIER_SUFFIX = {FIVE_MIN_S: "5m", HOUR_S: "1h", SIX_HOURS_S: "6h"}
# Each tier is rolled up from the next finer one (the 5-min tier from raw points): cheap.
FINER = {HOUR_S: FIVE_MIN_S, SIX_HOURS_S: HOUR_S}
ROLLABLE = frozenset({"mean", "min", "max", "sum", "count"})
PARTS = ("min", "max", "sum", "count")
# Which partial aggregates an aggregate needs.
NEEDS: dict[str, tuple[str, ...]] = {
    "mean": ("sum", "count"),
    "sum": ("sum", "count"),
    "count": ("count",),
    "min": ("min", "count"),
    "max": ("max", "count"),
}
ROLLED_MEASUREMENTS: tuple[str, ...] = tuple(spec.measurement for spec in FEEDS.values())
GRACE_MS = 5_000  # a bucket is rolled up this long after it ends (stored batches are that late)
CHUNK_S = {
    FIVE_MIN_S: 6 * 3600,
    HOUR_S: 2 * 86400,
    SIX_HOURS_S: 4 * 86400,
}  # most one update() rolls up per tier
RETENTION_EVERY_MS = 600_000
# Charts read the last ten minutes from raw points, whatever the watermarks: a reading stored
# that late (a batch, a reconnect's backlog) is in every chart at once, not only once the keeper
# has rolled its bucket again (its next update: 10 s, up to a minute while a backlog drains).
RECENT_RAW_S = 600
RAW = 0  # Piece.width_s of raw points
MERGED = "_merged"
# Tags of the merged tiers, per rolled measurement: the feed's tag keys but `source`.
MERGED_TAGS: dict[str, tuple[str, ...]] = {
    spec.measurement: tuple(sorted(spec.schema.tag_keys - {"source"})) for spec in FEEDS.values()
}


def rollup_name(measurement: str, width_s: int, *, merged: bool = False) -> str:
    return f"{measurement}_{TIER_SUFFIX[width_s]}{MERGED if merged else ''}"


def mergeable(measurement: str, where: Mapping[str, object] | None, groups: Sequence[str]) -> bool:
    """Whether a history can read the tiers merged over sources: it filters and groups only by
    tags they keep (never `source`)."""
    kept = MERGED_TAGS.get(measurement)
    return kept is not None and set(where or ()) | set(groups) <= set(kept)


@dataclass(frozen=True, slots=True)
class Piece:
    """[start_ns, end_ns) read from a tier (`width_s`) or from raw points (`RAW`)."""

    width_s: int
    start_ns: int
    end_ns: int


def _floor(t: int, w: int) -> int:
    return t - t % w


def _ceil(t: int, w: int) -> int:
    return -((-t) // w) * w


def plan(
    time_range: TimeRange, bucket_s: int, done: Mapping[int, int], now_ns: int | None = None
) -> list[Piece]:
    """The pieces that answer `time_range` in chart buckets of `bucket_s`, in time order; given
    `now_ns`, no tier answers for the last `RECENT_RAW_S` before it."""
    pieces: list[Piece] = []
    if now_ns is not None:
        recent = now_ns - RECENT_RAW_S * NS_PER_S
        done = {width: min(top, recent) for width, top in done.items()}

    def split(start: int, end: int, tiers: Sequence[int]) -> None:
        if start >= end:
            return
        if not tiers:
            pieces.append(Piece(RAW, start, end))
            return
        width, finer = tiers[0], tiers[1:]
        w_ns = width * NS_PER_S
        top = done.get(width)
        if bucket_s % width or top is None:
            split(start, end, finer)
            return
        a, b = _ceil(start, w_ns), min(_floor(end, w_ns), _floor(top, w_ns))
        if a >= b:
            split(start, end, finer)
            return
        split(start, a, finer)
        pieces.append(Piece(width, a, b))
        split(b, end, finer)

    split(time_range.start_ns, time_range.end_ns, TIERS)
    return pieces


Row = tuple[Any, ...]  # (group values…, bucket start ns, min, max, sum, count)


def combine(
    partials: Sequence[Sequence[Row]], groups: Sequence[str], aggregate: str
) -> pd.DataFrame:
    """Merge partial rows into history's frame: `time`, `value`, the groups; one row per group
    and bucket with at least one value, sorted like InfluxDB's series (group values, time)."""
    n = len(groups) + 1
    acc: dict[Row, list[Any]] = {}
    for rows in partials:
        for row in rows:
            lo, hi, total, count = row[n:]
            if not count:
                continue
            key = row[:n]
            a = acc.get(key)
            if a is None:
                acc[key] = [lo, hi, total, count]
                continue
            if lo is not None:
                a[0] = lo if a[0] is None else min(a[0], lo)
            if hi is not None:
                a[1] = hi if a[1] is None else max(a[1], hi)
            if total is not None:
                a[2] = total if a[2] is None else a[2] + total
            a[3] += count
    keys = sorted(acc)
    if not keys:
        return pd.DataFrame({"time": pd.Series([], dtype="datetime64[ns, UTC]")})
    times = np.fromiter((k[-1] for k in keys), dtype=np.int64, count=len(keys))
    out = pd.DataFrame({"time": pd.to_datetime(times, unit="ns", utc=True)})
    out["value"] = [_value(acc[k], aggregate) for k in keys]
    for i, tag in enumerate(groups):
        out[tag] = [k[i] for k in keys]
    return out


def _value(a: list[Any], aggregate: str) -> float | int:
    lo, hi, total, count = a
    if aggregate == "count":
        return int(count)
    if aggregate == "mean":
        return float(total) / float(count)
    return float({"min": lo, "max": hi, "sum": total}[aggregate])


class RollupStore(Protocol):
    """What a backend offers the keeper (both `InfluxStorage` and `SqliteStorage`)."""

    def roll_up(self, width_s: int, time_range: TimeRange) -> int:
        """Recompute the tier's buckets inside the (aligned) range from the finer tier (the 5-min
        tier from raw points); rows written."""

    def rollup_done(self, *, cached: bool = True) -> dict[int, int]:
        """Tier width -> watermark (ns); a tier never rolled up is absent."""

    def set_rollup_done(self, width_s: int, done_ns: int) -> None: ...

    def oldest_ns(self) -> int | None:
        """The oldest raw point of a rolled-up measurement, or None."""

    def apply_retention(self, raw_days: int, now_ns: int) -> None:
        """Raw points (and the 5-min tier) older than `raw_days` go; 0 keeps them forever."""


def rebuild(
    store: RollupStore,
    time_range: TimeRange,
    *,
    chunk_s: int = 6 * 3600,
    now_ns: int | None = None,
) -> int:
    """Recompute every tier over the range (widened to whole 6-hour buckets), in chunks; rows
    written. Each tier's watermark moves up to the range's end (never past `now_ns`, the wall
    clock by default) when it was below: buckets after it are left to the keeper."""
    start = _floor(time_range.start_ns, TIERS[0] * NS_PER_S)
    end = _ceil(time_range.end_ns, TIERS[0] * NS_PER_S)
    rows = 0
    for width in sorted(TIERS):  # finest first: each tier reads the one below
        at = start
        while at < end:
            stop = min(end, at + chunk_s * NS_PER_S)
            rows += store.roll_up(width, TimeRange(at, stop))
            at = stop
    done = store.rollup_done(cached=False)
    top = min(time_range.end_ns, time.time_ns() if now_ns is None else now_ns)
    for width in TIERS:
        complete = _floor(top, width * NS_PER_S)
        if done.get(width, -1) < complete:
            store.set_rollup_done(width, complete)
    return rows


@dataclass
class RollupKeeper:
    """Keeps the tiers current from the KPI engine's tick (one keeper per deployment)."""

    raw_retention_days: int = 0
    grace_ms: int = GRACE_MS
    done: dict[int, int] = field(default_factory=dict)
    dirty: dict[int, set[int]] = field(default_factory=dict)  # width -> bucket starts (ns)
    _last_retention_ms: int = -RETENTION_EVERY_MS
    _loaded: bool = False

    def note(self, readings: Iterable[Reading]) -> None:
        """Remember buckets below a watermark that got new points (late data, a backlog):
        they are rolled up again by the next updates."""
        if not self.done:
            return
        top = max(self.done.values())
        late = [r.time_ns for r in readings if r.time_ns < top]
        if not late:
            return
        for width, done in self.done.items():
            w_ns = width * NS_PER_S
            marks = {_floor(t, w_ns) for t in late if t < done}
            if marks:
                self.dirty.setdefault(width, set()).update(marks)

    def update(self, store: RollupStore, now_ms: int) -> int:
        """Roll up what completed since the last call (a bounded chunk), late buckets, and
        apply the raw retention every ten minutes; rows written. Storage errors are logged and
        retried next time."""
        try:
            return self._update(store, now_ms)
        except IocError as exc:
            log.warning("rollups not updated (%s); retrying next tick", exc)
            return 0

    def _update(self, store: RollupStore, now_ms: int) -> int:
        now_ns = now_ms * NS_PER_MS
        if not self._loaded:
            self.done = store.rollup_done(cached=False)
            self._loaded = True
        rows = 0
        if now_ms - self._last_retention_ms >= RETENTION_EVERY_MS:
            self._last_retention_ms = now_ms
            store.apply_retention(self.raw_retention_days, now_ns)
        for width in sorted(TIERS):  # finest first: each tier reads the one below
            w_ns = width * NS_PER_S
            target = _floor(now_ns - self.grace_ms * NS_PER_MS, w_ns)
            if width in FINER:
                target = min(target, _floor(self.done.get(FINER[width], target), w_ns))
            start = self.done.get(width)
            if start is None:  # never rolled up: from the oldest raw point on
                oldest = store.oldest_ns()
                start = target if oldest is None else min(_floor(oldest, w_ns), target)
                self._set_done(store, width, start)
            stop = min(target, start + CHUNK_S[width] * NS_PER_S)
            if start < stop:
                rows += store.roll_up(width, TimeRange(start, stop))
                self._set_done(store, width, stop)
            rows += self._redo_dirty(store, width)
        return rows

    def _set_done(self, store: RollupStore, width: int, done_ns: int) -> None:
        store.set_rollup_done(width, done_ns)
        self.done[width] = done_ns

    def _redo_dirty(self, store: RollupStore, width: int) -> int:
        """Re-roll late buckets, contiguous ones in one call, at most CHUNK_S per call."""
        marks = sorted(self.dirty.pop(width, set()))
        if not marks:
            return 0
        w_ns = width * NS_PER_S
        budget = CHUNK_S[width] * NS_PER_S
        ranges: list[list[int]] = []
        for bucket in marks:
            if ranges and ranges[-1][1] == bucket:
                ranges[-1][1] = bucket + w_ns
            else:
                ranges.append([bucket, bucket + w_ns])
        rows = 0
        for start, end in ranges:
            stop = min(end, start + budget)
            if budget > 0:
                rows += store.roll_up(width, TimeRange(start, stop))
                budget -= stop - start
                start = stop
            if start < end:  # left for the next update
                self.dirty.setdefault(width, set()).update(range(start, end, w_ns))
        return rows


def update(store: RollupStore, now_ms: int, keeper: RollupKeeper | None = None) -> int:
    """One keeper step (a fresh keeper reads the watermarks from storage)."""
    return (keeper or RollupKeeper()).update(store, now_ms)
