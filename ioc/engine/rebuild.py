"""The engine's rebuild from storage: the KPI state, the fold filter's segments, the facts.

Reads what `KpiState.history_queries()` lists (the same reads `KpiRunner.rebuild` does) and, for
every query, the identities of the rows it folded, so that a reading which also comes through
the stored-batch stream is not folded into the same part twice (`ioc.engine.dedupe`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ioc.engine.dedupe import Segment, identities
from ioc.engine.facts import DATA_MEASUREMENTS
from ioc.kpis.frames import readings_from_frame
from ioc.kpis.spec import DAY_MS
from ioc.kpis.state import KpiState
from ioc.model import NS_PER_MS, Reading
from ioc.storage import Storage
from ioc.storage.base import TimeRange

REBUILD_LIMIT = 2_000_000


@dataclass
class Rebuilt:
    state: KpiState
    segments: list[Segment]
    latest: list[Reading] = field(default_factory=list)  # newest reading per source, per feed
    rows: int = 0


def rebuild_from_storage(storage: Storage, now_ms: int) -> Rebuilt:
    """Raises StorageError when storage cannot be read (the caller retries)."""
    state = KpiState()
    segments: list[Segment] = []
    latest: list[Reading] = []
    rows = 0
    latest_done: set[str] = set()
    for query in state.history_queries():
        if query.latest:
            frame = storage.latest(query.measurement)
        else:
            span = TimeRange(
                (now_ms - query.lookback_ms) * NS_PER_MS, (now_ms + DAY_MS) * NS_PER_MS
            )
            where = dict(query.where) if query.where else None
            frame = storage.records(query.measurement, span, where=where, limit=REBUILD_LIMIT)
        readings = readings_from_frame(frame, query.measurement)
        state.add(readings, query.parts)
        rows += len(readings)
        ids = np.unique(identities(readings))
        segments.append(Segment(now_ms, frozenset(query.parts), ids, query.measurement))
        if query.latest:
            latest += readings
            latest_done.add(query.measurement)
    for measurement in (*DATA_MEASUREMENTS, "status"):
        if measurement not in latest_done:
            latest += readings_from_frame(storage.latest(measurement), measurement)
    return Rebuilt(state, segments, latest, rows)
