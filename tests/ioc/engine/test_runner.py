"""KpiRunner: rebuild equals the live fold, acknowledgements through the live state (on the
embedded backends: no service), and the audit trail survives an outage of real InfluxDB."""

import dataclasses

import pytest

from ioc.alerts.rules import RULES
from ioc.engine.runner import ROLLUP_EVERY_MS, KpiRunner
from ioc.kpis.city import GaugeAlarmLevels
from ioc.live.redis import RedisLiveState
from ioc.storage.base import TimeRange
from ioc.storage.influx import InfluxStorage
from ioc.storage.rollups import RollupKeeper
from tests.ioc.kpis.data import sensor
from tests.ioc.kpis.test_state import GAUGES, NOW, data_set

MINUTE = 60_000
BD3 = [dataclasses.replace(RULES["water.bd3"], min_duration_s=0)]


@pytest.fixture
def parts(sqlite_storage, memory_live):
    return sqlite_storage, memory_live


@pytest.fixture
def served(influxdb, influx_db, redis_url):
    """Real InfluxDB and Redis, for what only a service can do: go away."""
    storage = InfluxStorage(influxdb.url, "t", "ioc", influx_db)
    live = RedisLiveState(redis_url)
    yield storage, live
    storage.close()
    live.close()


def runner(parts, rules=(), gauges=GAUGES, now=NOW, names=None):
    storage, live = parts
    return KpiRunner(live, storage, gauges=gauges, rules=rules, clock=lambda: now, names=names)


def test_rebuilt_from_storage_equals_the_live_fold(parts):
    storage, live = parts
    readings = data_set()
    storage.write(readings)
    folded = runner(parts)
    folded.add(readings)
    folded.tick()
    rebuilt = runner(parts)
    rebuilt.rebuild()
    rebuilt.tick()
    assert [v.to_dict() for v in rebuilt.values] == [v.to_dict() for v in folded.values]
    ts, values = live.kpis()
    assert ts == NOW and values == [v.to_dict() for v in rebuilt.values]
    assert any(v["id"] == "water.level_vs_alarm" for v in values)


def flood_reading(level_cm, at_ms=NOW):
    return sensor("g1", "hoa-an", "water", at_ms, level_cm=level_cm, rain_mm=3.0)


def test_acknowledgement_queued_in_the_live_state_is_applied_and_audited(parts):
    storage, live = parts
    engine = runner(parts, rules=BD3, gauges={"g1": GaugeAlarmLevels(300, 400, 500)})
    engine.add([flood_reading(520.0)])
    (raised,) = engine.tick()
    assert raised.state == "active"
    live.request_ack(raised.alert_id, "Hoàng Thị Mai", "đội cứu hộ đã tới", NOW + 1)
    (acked,) = engine.tick(NOW + 1000)
    assert (acked.state, acked.by, acked.comment) == (
        "acknowledged",
        "Hoàng Thị Mai",
        "đội cứu hộ đã tới",
    )
    (state,) = [a for a in live.alerts() if a["alert_id"] == raised.alert_id]
    assert state["state"] == "acknowledged"
    live.request_ack("no-such-alert", "x", "", NOW)  # refused, and nothing else breaks
    assert engine.tick(NOW + 2000) == []
    trail = storage.records("alert", TimeRange(0, 2**62))
    assert sorted(trail["state"]) == ["acknowledged", "active"]


@pytest.mark.services
def test_audit_trail_waits_for_storage_and_is_not_lost(served, influxdb):
    storage, live = served
    engine = runner(served, rules=BD3, gauges={"g1": GaugeAlarmLevels(300, 400, 500)})
    engine.add([flood_reading(520.0)])
    influxdb.stop()
    try:
        assert [t.state for t in engine.tick()] == ["active"]
        assert live.alerts()[0]["state"] == "active"  # the live state does not wait
    finally:
        influxdb.start()
    engine.add([flood_reading(300.0, NOW + MINUTE)])
    (cleared,) = engine.tick(NOW + MINUTE)
    assert cleared.state == "cleared"
    trail = storage.records("alert", TimeRange(0, 2**62))
    assert sorted(trail["state"]) == ["active", "cleared"]


def test_alerts_and_values_carry_the_catalogue_name_of_their_source(parts):
    engine = runner(
        parts,
        rules=BD3,
        gauges={"g1": GaugeAlarmLevels(300, 400, 500)},
        names={"g1": "Trạm thủy văn Bằng Giang"},
    )
    engine.add([flood_reading(520.0)])
    (raised,) = engine.tick()
    assert raised.message_vi == "Mực nước tại Trạm thủy văn Bằng Giang vượt báo động 3: 520.0 cm"
    (water,) = [v for v in engine.values if v.id == "water.level_vs_alarm"]
    assert water.extra["name"] == "Trạm thủy văn Bằng Giang"


def test_the_tick_keeps_the_history_rollups_current(parts):
    storage, live = parts
    hour_ns = 3600 * 10**9
    now_ns = NOW * 10**6
    start = now_ns - now_ns % hour_ns - 2 * hour_ns
    readings = [
        sensor("air-1", "hoa-an", "air", (start + i * 60 * 10**9) // 10**6, pm25=i)
        for i in range(130)
    ]
    storage.write(readings)
    engine = KpiRunner(
        live, storage, gauges=GAUGES, rules=(), clock=lambda: NOW, rollups=RollupKeeper()
    )
    engine.add(readings)
    engine.tick()
    done = storage.rollup_done(cached=False)
    assert done[3600] == now_ns - now_ns % hour_ns  # every completed hour rolled up
    span = TimeRange(start, now_ns)
    rolled = storage.history("sensor", "pm25", span, max_buckets=3, aggregate="max")
    raw = storage.history("sensor", "pm25", span, max_buckets=3, aggregate="max", rollups=False)
    assert list(rolled["value"]) == list(raw["value"]) == [59, 119, 120]


def test_late_readings_are_rolled_up_together_at_most_every_rollup_interval(parts):
    storage, live = parts
    hour_ns = 3600 * 10**9
    now_ns = NOW * 10**6
    start = now_ns - now_ns % hour_ns - 2 * hour_ns
    clock = [NOW]
    engine = KpiRunner(
        live, storage, gauges=GAUGES, rules=(), clock=lambda: clock[0], rollups=RollupKeeper()
    )
    engine.tick()  # the first tick rolls up (nothing yet) and sets the watermarks
    late = [sensor("air-1", "hoa-an", "air", start // 10**6 + MINUTE, pm25=7.0)]
    storage.write(late)
    engine.add(late)
    span = TimeRange(start, now_ns)

    def rolled() -> list[float]:
        frame = storage.history("sensor", "pm25", span, max_buckets=3, aggregate="max")
        return list(frame["value"]) if "value" in frame else []

    clock[0] = NOW + ROLLUP_EVERY_MS - 1
    engine.tick()
    assert rolled() == []  # not re-rolled yet: the fold is not held up every tick
    clock[0] = NOW + ROLLUP_EVERY_MS
    engine.tick()
    assert rolled() == [7.0]


def test_published_values_are_judged_by_the_alerts_the_runner_holds(parts):
    _, live = parts
    bd2 = dataclasses.replace(RULES["water.bd2"], min_duration_s=0)
    bd3 = dataclasses.replace(RULES["water.bd3"], min_duration_s=60)
    engine = runner(parts, rules=[bd2, bd3], gauges={"g1": GaugeAlarmLevels(300, 400, 500)})
    engine.add([flood_reading(520.0)])

    def published():
        _, values = live.kpis()
        water = [v for v in values if v["id"] == "water.level_vs_alarm"]
        other = {v["status"] for v in values if v["id"] != "water.level_vs_alarm"}
        opened = {a["rule"] for a in live.alerts() if a["state"] == "active"}
        return water[0]["status"], other, opened

    (raised,) = engine.tick()  # BĐ3 reached, but held for less than its 60 s: BĐ2 only
    assert raised.alert_id.startswith("water.bd2:")
    assert published() == ("warning", {"unrated", "no_data"}, {"water.bd2"})
    engine.tick(NOW + MINUTE)
    assert published() == ("critical", {"unrated", "no_data"}, {"water.bd2", "water.bd3"})
