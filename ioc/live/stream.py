"""The stored-batch stream: what collectors stored, in the order they stored it, for the engine.

A collector appends every batch it has written to storage (`LiveUpdate.add_stored`) in the same
round trip as the rest of its live update, before it acknowledges the batch to the broker. One
entry holds at most `STORED_CHUNK` readings and says who wrote it (`writer`, the collector's
component name), when its storage write began (`written_ms`, the collector's clock, taken before
the first attempt, so never later than the moment the readings could first be seen in storage),
and `gap`: how many readings that collector stored but could not append (its backlog overflowed
while the live state was down) — a gap means the stream alone no longer covers storage.

The stream is bounded (`IOC_STORED_STREAM_MAXLEN` entries, trimmed approximately). The one KPI
engine reads it through a consumer group created at a cut it chooses (`stored_group_reset`);
`read_stored` says `lost=True` when the group is gone (the live state was flushed) or entries
after the engine's last read were trimmed before it read them. Either way the engine rebuilds
from storage (see `ioc.engine`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson

from ioc.model import Reading

STORED_CHUNK = 1000
STREAM_GROUP = "engine"
NO_ID = "0-0"


@dataclass(frozen=True, slots=True)
class StoredEntry:
    id: str
    writer: str
    written_ms: int
    readings: tuple[Reading, ...]
    gap: int = 0


@dataclass(frozen=True, slots=True)
class StoredRead:
    entries: list[StoredEntry] = field(default_factory=list)
    lost: bool = False  # group gone or entries trimmed unread: rebuild from storage
    why: str = ""


@dataclass(slots=True)
class StoredBatch:
    """One stored batch waiting to be appended (kept in the collector's backlog while down)."""

    writer: str
    written_ms: int
    readings: list[Reading]
    gap: int = 0


def id_key(entry_id: str) -> tuple[int, int]:
    """A stream id ("ms-seq") as a comparable pair."""
    ms, _, seq = entry_id.partition("-")
    return int(ms), int(seq or 0)


def encode_batch(batch: StoredBatch) -> list[dict[str, bytes | int | str]]:
    """The batch as stream entries' fields, `STORED_CHUNK` readings each (at least one entry)."""
    readings = batch.readings
    chunks = [readings[i : i + STORED_CHUNK] for i in range(0, len(readings), STORED_CHUNK)]
    entries: list[dict[str, bytes | int | str]] = []
    for number, chunk in enumerate(chunks or [[]]):
        entries.append(
            {
                "writer": batch.writer,
                "written_ms": batch.written_ms,
                "gap": batch.gap if number == 0 else 0,
                "readings": orjson.dumps([r.to_dict() for r in chunk]),
            }
        )
    return entries


def decode_entry(entry_id: str, data: Mapping[str, Any]) -> StoredEntry:
    def text(value: Any) -> str:
        return value.decode() if isinstance(value, bytes) else str(value)

    # orjson's dicts are fresh: used as the readings' tags and fields without copying them
    readings = tuple(
        Reading(d["measurement"], int(d["time_ns"]), d["tags"], d["fields"])
        for d in orjson.loads(data["readings"])
    )
    return StoredEntry(
        entry_id, text(data["writer"]), int(data["written_ms"]), readings, int(data["gap"])
    )


def merge_batches(
    held: list[StoredBatch], new: Sequence[StoredBatch], max_readings: int
) -> list[StoredBatch]:
    """Backlog of batches not yet appended; past `max_readings` the oldest are dropped and
    counted as a gap on the next batch kept (the engine then rebuilds from storage)."""
    batches = [*held, *new]
    total = sum(len(b.readings) for b in batches)
    dropped = 0
    while batches and total > max_readings:
        oldest = batches.pop(0)
        total -= len(oldest.readings)
        dropped += len(oldest.readings) + oldest.gap
    if dropped:
        if batches:
            batches[0].gap += dropped
        else:
            batches = [StoredBatch(new[-1].writer if new else "", 0, [], dropped)]
    return batches
