"""Building blocks of incremental KPI state: time-bucketed sums and latest values per source.

Both fold readings in any order and give the same answer (bucket sums add up; the newest value
wins, ties broken by the larger value), so a live fold, message by message, and a fold of the same
points read back from storage agree. Both round-trip through plain JSON-able dicts for Redis.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from ioc.model import Reading


class BucketSums:
    """Per key, a sum and a count of values in fixed time buckets of `bucket_ms`.

    Bucket b covers [b, b + bucket_ms), b a multiple of `bucket_ms` since the epoch (minutes and
    hours are then local minutes and hours too: Asia/Ho_Chi_Minh is a whole hour off UTC).
    """

    def __init__(self, bucket_ms: int) -> None:
        if bucket_ms <= 0:
            raise ValueError("bucket_ms must be positive")
        self.bucket_ms = bucket_ms
        self._data: dict[str, dict[int, list[float]]] = {}

    def floor(self, ts_ms: int) -> int:
        return ts_ms // self.bucket_ms * self.bucket_ms

    def add(self, key: str, ts_ms: int, value: float = 1.0) -> None:
        cell = self._data.setdefault(key, {}).setdefault(self.floor(ts_ms), [0.0, 0])
        cell[0] += value
        cell[1] += 1

    def keys(self) -> list[str]:
        return sorted(self._data)

    def bucket(self, key: str, ts_ms: int) -> tuple[float, int] | None:
        """(sum, count) of the bucket containing `ts_ms`, None when it holds nothing."""
        cell = self._data.get(key, {}).get(self.floor(ts_ms))
        return None if cell is None else (cell[0], int(cell[1]))

    def _cells(self, key: str, first_ms: int, last_ms: int) -> Iterator[list[float]]:
        low, high = self.floor(first_ms), self.floor(last_ms)
        for start, cell in self._data.get(key, {}).items():
            if low <= start <= high:
                yield cell

    def sum(self, key: str, first_ms: int, last_ms: int) -> float:
        """Sum over the buckets from the one holding `first_ms` to the one holding `last_ms`."""
        return sum(cell[0] for cell in self._cells(key, first_ms, last_ms))

    def count(self, key: str, first_ms: int, last_ms: int) -> int:
        """Number of values added in the same buckets as `sum`."""
        return int(sum(cell[1] for cell in self._cells(key, first_ms, last_ms)))

    def prune(self, before_ms: int) -> None:
        """Forget the buckets that end at or before `before_ms`."""
        for key in list(self._data):
            buckets = self._data[key]
            for start in [s for s in buckets if s + self.bucket_ms <= before_ms]:
                del buckets[start]
            if not buckets:
                del self._data[key]

    def merge(self, other: BucketSums) -> None:
        if other.bucket_ms != self.bucket_ms:
            raise ValueError("cannot merge bucket sums of different bucket sizes")
        for key, buckets in other._data.items():
            mine = self._data.setdefault(key, {})
            for start, (total, n) in buckets.items():
                cell = mine.setdefault(start, [0.0, 0])
                cell[0] += total
                cell[1] += n

    def to_dict(self) -> dict[str, Any]:
        return {
            "bucket_ms": self.bucket_ms,
            "data": {
                key: [[start, cell[0], int(cell[1])] for start, cell in sorted(buckets.items())]
                for key, buckets in self._data.items()
            },
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> BucketSums:
        sums = cls(int(data["bucket_ms"]))
        for key, rows in data["data"].items():
            sums._data[key] = {int(s): [float(t), int(n)] for s, t, n in rows}
        return sums

    def __eq__(self, other: object) -> bool:
        return isinstance(other, BucketSums) and self.to_dict() == other.to_dict()


@dataclass(frozen=True, slots=True)
class Latest:
    """The newest value of one field of one source, with the tags of the reading it came in."""

    ts_ms: int
    value: float
    tags: Mapping[str, str]


class LatestValues:
    """The newest numeric value per (source, field), newest wins, ties to the larger value."""

    def __init__(self) -> None:
        self._data: dict[str, dict[str, Latest]] = {}

    def add(self, reading: Reading) -> None:
        fields = self._data.setdefault(reading.source, {})
        ts_ms = reading.time_ms
        tags: dict[str, str] | None = None  # one copy per reading, shared by its fields
        for name, raw in reading.fields.items():
            if type(raw) is float:
                value = raw
            elif isinstance(raw, int | float) and not isinstance(raw, bool):
                value = float(raw)
            else:
                continue
            current = fields.get(name)
            if (
                current is None
                or ts_ms > current.ts_ms
                or (ts_ms == current.ts_ms and value > current.value)
            ):
                if tags is None:
                    tags = dict(reading.tags)
                fields[name] = Latest(ts_ms, value, tags)

    def sources(self) -> list[str]:
        return sorted(self._data)

    def get(self, source: str, name: str, since_ms: int | None = None) -> Latest | None:
        """The newest value of `name`, or None if there is none at or after `since_ms`."""
        latest = self._data.get(source, {}).get(name)
        if latest is None or (since_ms is not None and latest.ts_ms < since_ms):
            return None
        return latest

    def prune(self, before_ms: int) -> None:
        """Forget values older than `before_ms`."""
        for source in list(self._data):
            fields = self._data[source]
            for name in [n for n, v in fields.items() if v.ts_ms < before_ms]:
                del fields[name]
            if not fields:
                del self._data[source]

    def to_dict(self) -> dict[str, Any]:
        return {
            source: {n: [v.ts_ms, v.value, dict(v.tags)] for n, v in sorted(fields.items())}
            for source, fields in sorted(self._data.items())
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> LatestValues:
        latest = cls()
        for source, fields in data.items():
            latest._data[source] = {
                name: Latest(int(ts), float(value), dict(tags))
                for name, (ts, value, tags) in fields.items()
            }
        return latest

    def __eq__(self, other: object) -> bool:
        return isinstance(other, LatestValues) and self.to_dict() == other.to_dict()
