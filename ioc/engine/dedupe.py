"""`FoldFilter`: which readings the engine has already folded, and into which parts of the state.

A reading's identity is what storage keys a point by: measurement, tag set (empty tags left
out) and time in nanoseconds. Storage keeps one point per identity, so "folded exactly once"
means: each identity folded once. The filter remembers identities for `horizon_ms` of arrival
time, in sorted numpy arrays (8 bytes an identity):

- the rebuild's segments, one per history query, each with the parts of the KPI state its rows
  fed (a stream reading found there is folded only into the parts the rebuild did not cover);
- what came from the stream, one segment per minute of arrival (all parts).

Identities are Python `hash()`es of tuples (64 bits, this process only): two different points
collide with a probability of about n²/2⁶⁴ — nothing at the sizes here.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ioc.model import Reading

Ids = npt.NDArray[np.int64]
MINUTE_MS = 60_000


def identity(reading: Reading) -> int:
    tags = tuple(sorted((k, v) for k, v in reading.tags.items() if v))
    return hash((reading.measurement, reading.time_ns, tags))


def identities(readings: Sequence[Reading]) -> Ids:
    return np.fromiter((identity(r) for r in readings), dtype=np.int64, count=len(readings))


@dataclass(frozen=True, slots=True)
class Segment:
    created_ms: int
    parts: frozenset[str] | None  # None: every part
    ids: Ids  # sorted, unique
    measurement: str = ""  # a rebuild segment's measurement

    def contains(self, ids: Ids) -> npt.NDArray[np.bool_]:
        if not len(self.ids):
            return np.zeros(len(ids), dtype=bool)
        at = np.searchsorted(self.ids, ids).clip(max=len(self.ids) - 1)
        found: npt.NDArray[np.bool_] = self.ids[at] == ids
        return found


class FoldFilter:
    def __init__(self, all_parts: Collection[str], horizon_ms: int = 600_000) -> None:
        self.all_parts = frozenset(all_parts)
        self.horizon_ms = horizon_ms
        self.rebuilt: list[Segment] = []
        self.recent: list[Segment] = []
        self._minute = -1
        self._pending: list[Ids] = []
        self._relevant: dict[str, frozenset[str]] = {}

    def reset(self, rebuilt: list[Segment]) -> None:
        """After a rebuild: only its segments (the stream before the cut is not read again)."""
        self.rebuilt = rebuilt
        self.recent = []
        self._pending = []
        # The parts a measurement's readings can feed: those its rebuild queries fed.
        self._relevant = {}
        for segment in rebuilt:
            parts = segment.parts if segment.parts is not None else self.all_parts
            held = self._relevant.get(segment.measurement, frozenset())
            self._relevant[segment.measurement] = held | parts

    @property
    def covers_rebuild(self) -> bool:
        """Whether the rebuild's identities are still held (within the horizon)."""
        return bool(self.rebuilt)

    def split(
        self, readings: Sequence[Reading], now_ms: int
    ) -> tuple[list[tuple[frozenset[str], list[Reading]]], int]:
        """Group readings by the parts they still have to be folded into (readings already in
        every part dropped, repeats within `readings` too) and remember them as folded.
        Returns the groups and how many readings were dropped entirely."""
        self._expire(now_ms)
        ids = identities(readings)
        _, first = np.unique(ids, return_index=True)
        fresh = np.zeros(len(ids), dtype=bool)
        fresh[first] = True
        skip = ~fresh
        for segment in self.recent:
            skip |= segment.contains(ids)
        for pending in self._pending:
            skip |= Segment(0, None, pending).contains(ids)
        done: dict[int, frozenset[str]] = {}
        for segment in self.rebuilt:
            parts = segment.parts if segment.parts is not None else self.all_parts
            for found in np.flatnonzero(segment.contains(ids) & ~skip).tolist():
                done[found] = done.get(found, frozenset()) | parts
        groups: dict[frozenset[str], list[Reading]] = {}
        dropped = int(skip.sum())
        for index, reading in enumerate(readings):
            if skip[index]:
                continue
            if index in done:
                relevant = self._relevant.get(reading.measurement, self.all_parts)
                parts = relevant - done[index]
            else:
                parts = self.all_parts
            if not parts:
                dropped += 1
                continue
            groups.setdefault(parts, []).append(reading)
        self._remember(np.unique(ids[~skip]), now_ms)
        return list(groups.items()), dropped

    def _remember(self, ids: Ids, now_ms: int) -> None:
        minute = now_ms // MINUTE_MS
        if minute != self._minute and self._pending:
            merged = np.unique(np.concatenate(self._pending))
            self.recent.append(Segment(self._minute * MINUTE_MS, None, merged))
            self._pending = []
        self._minute = minute
        if len(ids):
            self._pending.append(ids)
        if len(self._pending) > 16:
            self._pending = [np.unique(np.concatenate(self._pending))]

    def _expire(self, now_ms: int) -> None:
        oldest = now_ms - self.horizon_ms
        self.recent = [s for s in self.recent if s.created_ms >= oldest]
        self.rebuilt = [s for s in self.rebuilt if s.created_ms >= oldest]

    def size(self) -> int:
        held = self.rebuilt + self.recent
        return sum(len(s.ids) for s in held) + sum(len(p) for p in self._pending)
