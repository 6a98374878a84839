"""The engine on SQLite and the in-process live state (no services): exactly-once folding across
the rebuild cut, redeliveries, trimmed streams, gaps and a live state that comes back empty."""

from __future__ import annotations

import time

import pytest

from ioc.engine import Engine
from ioc.engine.rebuild import rebuild_from_storage
from ioc.engine.runner import ROLLUP_EVERY_MS, KpiRunner
from ioc.engine.service import ROLLUP_DEFER_MAX_MS
from ioc.live.base import LiveUpdate
from ioc.live.memory import MemoryLiveState
from ioc.model import NS_PER_MS, Reading
from ioc.settings import load_settings
from ioc.storage.rollups import RollupKeeper
from ioc.storage.sqlite import SqliteStorage

NOW = 1_800_000_000_000
MINUTE = 60_000


def sensor(source: str, t_ms: int, pm25: float) -> Reading:
    tags = {"district": "hoa-an", "source": source, "kind": "air"}
    return Reading("sensor", t_ms * NS_PER_MS, tags, {"pm25": pm25})


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> int:
        return self.now


@pytest.fixture
def system(tmp_path):
    storage = SqliteStorage(tmp_path / "ioc.sqlite")
    live = MemoryLiveState(stored_maxlen=20)
    clock = Clock()
    runner = KpiRunner(live, storage, gauges={}, rules=[], clock=clock)
    engine = Engine(load_settings(), storage, live, runner=runner, clock=clock)
    yield storage, live, engine
    storage.close()


def store(storage, live, readings, appended=True, written_ms=NOW):
    """What a collector does: write, then append the stored batch."""
    storage.write(readings)
    if appended:
        append(live, readings, written_ms)


def append(live, readings, written_ms=NOW, writer="collector:c1"):
    update = LiveUpdate()
    update.add_stored(writer, written_ms, readings)
    live.apply(update)


def drain(engine):
    for _ in range(10):
        engine.step()


def counted(engine) -> int:
    received = engine.runner.state.received
    return sum(received.count(s, 0, 2**62) for s in received.keys())  # noqa: SIM118


def test_the_rebuild_and_the_stream_fold_each_stored_reading_exactly_once(system):
    storage, live, engine = system
    before = [sensor("a", NOW - i * MINUTE, 10.0 + i) for i in range(1, 11)]
    store(storage, live, before)  # stored and appended before the engine starts
    racing = [sensor("b", NOW - i * MINUTE, 20.0) for i in range(1, 6)]
    store(storage, live, racing, appended=False)  # stored; appended only after the cut
    engine.rebuild("start")
    assert counted(engine) == 15
    append(live, racing)  # the same points again through the stream: already folded
    after = [sensor("c", NOW - i * MINUTE, 30.0) for i in range(1, 4)]
    store(storage, live, after)
    store(storage, live, after)  # a broker redelivery: stored as the same points, appended twice
    drain(engine)
    assert counted(engine) == 18 == len(storage.records("sensor", _everything(), limit=100))
    # Dropped whole: the redelivered 3 and the newest racing one; the 4 older racing readings
    # are folded into `seen` only (the rebuild read just the newest point per source for it).
    assert engine.stats.repeated == 3 + 1
    rebuilt = rebuild_from_storage(storage, NOW)
    assert engine.runner.state.to_dict() == rebuilt.state.to_dict()


def test_a_reading_seen_by_part_of_the_rebuild_is_folded_into_the_other_parts_only(system):
    storage, live, engine = system
    engine.rebuild("start")
    reading = sensor("a", NOW - MINUTE, 12.0)
    storage.write([reading])
    # As if storage got it between the rebuild's two sensor reads: in `air`, not in `latest`.
    from ioc.engine.dedupe import Segment, identities

    air_only = Segment(NOW, frozenset({"air"}), identities([reading]))
    engine.filter.reset([air_only])
    engine.runner.state.add([reading], {"air"})
    append(live, [reading])
    drain(engine)
    rebuilt = rebuild_from_storage(storage, NOW)
    assert engine.runner.state.to_dict() == rebuilt.state.to_dict()
    assert counted(engine) == 1


def test_entries_trimmed_before_they_were_read_make_it_rebuild_without_loss(system):
    storage, live, engine = system
    engine.rebuild("start")
    for i in range(50):  # 50 entries into a stream of 20, nothing read meanwhile
        store(storage, live, [sensor("a", NOW - MINUTE - i * 1000, float(i))])
    drain(engine)
    assert engine.stats.rebuilds == 2 and "trimmed" in engine.stats.last_rebuild_reason
    assert counted(engine) == 50


def test_a_collector_gap_makes_it_rebuild(system):
    storage, live, engine = system
    engine.rebuild("start")
    readings = [sensor("a", NOW - MINUTE, 1.0)]
    storage.write(readings)
    update = LiveUpdate(max_stored=0)  # a backlog that could hold nothing: counted as a gap
    update.add_stored("collector:c1", NOW, readings)
    live.apply(update)
    drain(engine)
    assert engine.stats.rebuilds == 2 and "could not append" in engine.stats.last_rebuild_reason
    assert counted(engine) == 1


def test_a_live_state_that_lost_everything_gets_the_latest_values_back(system, tmp_path):
    storage, live, engine = system
    store(storage, live, [sensor("a", NOW - MINUTE, 42.0)])
    engine.rebuild("start")
    engine.tick()
    assert live.latest("sensor")["a"].fields["pm25"] == 42.0
    assert [row["source"] for row in live.sources()] == ["a"]
    # The same storage, a live state that came back empty (a new MemoryLiveState: as FLUSHALL).
    empty = MemoryLiveState()
    engine.live = engine.runner.live = empty
    engine.tick()  # notices the missing sentinel
    drain(engine)  # rebuilds
    engine.tick()  # republishes
    assert empty.latest("sensor")["a"].fields["pm25"] == 42.0
    assert empty.sentinel() == engine.token and empty.last_seen() == {"a": NOW - MINUTE}
    assert engine.stats.rebuilds == 2 and "sentinel" in engine.stats.last_rebuild_reason


def _everything():
    from ioc.storage.base import TimeRange

    return TimeRange(0, 2**62)


class CountingKeeper(RollupKeeper):
    updates = 0

    def update(self, store, now_ms):  # type: ignore[no-untyped-def]
        self.updates += 1
        return super().update(store, now_ms)


def test_history_rollups_wait_while_stored_batches_keep_coming_but_not_forever(tmp_path):
    storage = SqliteStorage(tmp_path / "ioc.sqlite")
    live = MemoryLiveState()
    clock = Clock()
    keeper = CountingKeeper()
    runner = KpiRunner(live, storage, gauges={}, rules=[], clock=clock, rollups=keeper)
    engine = Engine(load_settings(), storage, live, runner=runner, clock=clock)
    engine.rebuild("start")
    engine.tick()
    assert keeper.updates == 1  # the first tick rolls up
    second = 0
    while clock.now - NOW < ROLLUP_DEFER_MAX_MS - 1000:  # a catch-up: a batch before each tick
        clock.now += 1000
        second += 1
        store(storage, live, [sensor("a", clock.now - 3_600_000, float(second))])
        engine.step()
        engine.tick()
    assert keeper.updates == 1  # the fold was never held up by a rollup
    clock.now = NOW + ROLLUP_DEFER_MAX_MS
    store(storage, live, [sensor("a", clock.now - 3_600_000, 1.0)])
    engine.step()
    engine.tick()
    assert keeper.updates == 2  # overdue: rolled up although batches keep coming
    clock.now += ROLLUP_EVERY_MS
    engine.step()  # the stream is quiet
    engine.tick()
    assert keeper.updates == 3
    storage.close()


def test_a_folded_reading_is_the_latest_in_the_live_state_before_the_next_tick(system):
    storage, live, engine = system
    engine.rebuild("start")
    engine.tick()  # the rebuild's republish of everything
    changes = live.changes()
    store(storage, live, [sensor("d", NOW, 42.0)])
    engine._next_tick = time.monotonic() + 3600  # no tick now: only the fold can publish it
    engine.step()
    assert live.latest("sensor")["d"].fields["pm25"] == 42.0
    assert changes.wait(0) is True  # and the wall's push was told
