"""One data set through both paths: live (message by message, the state round-tripped through
JSON after each one) and history (storage frames of `history_queries()`), same KPI values.

The history frames are built here exactly as `Storage.records`/`latest` return them; the
`services` variant at the end reads them back from a real InfluxDB.
"""

import json
import random

import pytest

from ioc.kpis.city import GaugeAlarmLevels
from ioc.kpis.state import KpiState
from ioc.model import NS_PER_MS
from ioc.storage.base import TimeRange
from ioc.storage.influx import InfluxStorage
from tests.ioc.kpis import test_portal, test_security, test_servicedesk
from tests.ioc.kpis.data import camera, frame, ms, sensor, status

NOW = ms(8, 12, 0, 30)
MINUTE = 60_000
GAUGES = {"g1": GaugeAlarmLevels(300, 400, 500), "g2": GaugeAlarmLevels(100, 200, 300)}


def data_set():
    """A day and more of every feed, deterministic; ~1,500 readings."""
    rnd = random.Random(1459)
    out = list(test_servicedesk.READINGS)
    for i in range(13 * 12):  # air every 5 minutes for 13 hours, with a gap
        t = NOW - i * 5 * MINUTE
        if 30 <= i < 40:
            continue
        out.append(sensor("a1", "hoa-an", "air", t, pm25=20 + rnd.random() * 60, no2=90.0))
        out.append(sensor("b2", "bao-lac", "air", t, pm10=100 + rnd.random() * 300))
    for i in range(70):  # the last 70 minutes, every minute
        t = NOW - i * MINUTE
        out.append(sensor("g1", "hoa-an", "water", t, level_cm=380 + i * 0.5, rain_mm=1.0))
        if i % 3:
            out.append(sensor("a1", "hoa-an", "air", t - 7_000, pm25=35.0))
        out.append(
            camera(
                "tl1",
                "quang-hoa",
                "ta-lung-border-gate",
                t,
                queue_m=450.0 + i,
                occupancy_pct=70.0,
                avg_speed_kmh=8.0,
                vehicles_total=12,
                people=30,
            )
        )
        if i:  # c1 last speaks a minute ago, then its Last Will arrives
            out.append(
                camera(
                    "c1",
                    "thanh-pho-cao-bang",
                    "cao-bang-city-centre",
                    t,
                    occupancy_pct=rnd.random() * 100,
                    avg_speed_kmh=30.0,
                    queue_m=20.0,
                    vehicles_total=rnd.randrange(0, 3),
                )
            )
    out.append(sensor("g2", "bao-lac", "water", NOW - 20 * MINUTE, level_cm=250.0))  # stale
    for i in range(8 * 48):  # Bản Giốc visitors every 30 minutes for 8 days
        t = NOW - i * 30 * MINUTE
        out.append(camera("bg1", "trung-khanh", "ban-gioc-waterfall", t, people=rnd.randrange(50)))
    out.append(status("tl1", NOW - 10 * MINUTE, online=False, district="quang-hoa"))  # old LWT
    out.append(status("c1", NOW - 10_000, online=False, district="thanh-pho-cao-bang"))  # LWT
    out.append(status("x9", NOW - 5 * MINUTE, online=True))
    out += test_security.READINGS  # incidents over two days, detections, inventories
    for i in range(24 * 12):  # a portal checked every 5 minutes for a day, down for 15 minutes
        at = NOW - i * 5 * MINUTE
        out.append(test_portal.check("p1", "hoa-an", at, up=not 3 <= i < 6, response_ms=100.0 + i))
    return out


def live_values(readings):
    state = KpiState()
    for n, reading in enumerate(sorted(readings, key=lambda r: r.time_ns)):
        state.add([reading])
        if n % 50 == 0:
            state.prune(min(reading.time_ms, NOW))  # T9 is in the future of NOW
        state = KpiState.from_dict(json.loads(json.dumps(state.to_dict())))
    return [v.to_dict() for v in state.kpis(NOW, GAUGES)]


def simulated_frame(readings, query):
    """What Storage would answer for one HistoryQuery at NOW."""
    rows = [r for r in readings if r.measurement == query.measurement]
    if query.latest:
        newest = {}
        for r in rows:
            if r.source not in newest or r.time_ns > newest[r.source].time_ns:
                newest[r.source] = r
        return frame(newest.values())
    start = NOW - query.lookback_ms
    rows = [r for r in rows if start <= r.time_ms <= NOW]
    for tag, allowed in (query.where or {}).items():
        rows = [r for r in rows if r.tags.get(tag) in allowed]
    return frame(rows)


def history_values(frame_for):
    state = KpiState()
    for query in state.history_queries():
        state.add_frame(frame_for(query), query.measurement, query.parts)
    return [v.to_dict() for v in state.kpis(NOW, GAUGES)]


def check_not_vacuous(values):
    by_key = {(v["id"], v["scope"], v["window"]): v for v in values}
    for key in [
        ("servicedesk.on_time_rate", "province", "7d"),
        ("air.vn_aqi", "province", "nowcast"),
        ("water.level_vs_alarm", "source:g1", "now"),
        ("traffic.congestion", "site:cao-bang-city-centre", "now"),
        ("tourism.visitors", "site:ban-gioc-waterfall", "7d"),
        ("border.queue_m", "site:ta-lung-border-gate", "now"),
        ("devices.online_ratio", "feed:camera", "now"),
        ("feeds.completeness", "feed:sensor", "1h"),
        ("security.open_incidents", "province", "now"),
        ("security.mttc_hours", "province", "7d"),
        ("security.blocked_share", "province", "7d"),
        ("security.edr_coverage", "province", "now"),
        ("portal.availability", "province", "24h"),
        ("portal.response_p95_ms", "source:p1", "24h"),
    ]:
        assert by_key[key]["value"] is not None, key
    assert by_key["devices.online", "source:c1", "now"]["value"] == 0.0  # its Last Will
    assert by_key["devices.online", "source:tl1", "now"]["value"] == 1.0  # spoke after it


def test_live_and_history_agree():
    readings = data_set()
    live = live_values(readings)
    check_not_vacuous(live)
    assert history_values(lambda q: simulated_frame(readings, q)) == live


def test_fold_order_does_not_matter():
    readings = data_set()
    shuffled = readings[:]
    random.Random(7).shuffle(shuffled)
    a, b = KpiState(), KpiState()
    a.add(readings)
    b.add(shuffled)
    assert [v.to_dict() for v in a.kpis(NOW, GAUGES)] == [v.to_dict() for v in b.kpis(NOW, GAUGES)]


def test_unknown_parts_and_versions_are_refused():
    with pytest.raises(ValueError, match="parts"):
        KpiState().add([], parts={"everything"})
    with pytest.raises(ValueError, match="version"):
        KpiState.from_dict({"version": 0})


@pytest.mark.services
def test_live_and_history_from_real_influxdb_agree(influxdb, influx_db):
    readings = data_set()
    storage = InfluxStorage(influxdb.url, token="test", org="ioc", bucket=influx_db)
    try:
        storage.write(readings)

        def frame_for(query):
            if query.latest:
                return storage.latest(query.measurement)
            span = TimeRange((NOW - query.lookback_ms) * NS_PER_MS, (NOW + 1) * NS_PER_MS)
            return storage.records(query.measurement, span, where=query.where, limit=100_000)

        assert history_values(frame_for) == live_values(readings)
    finally:
        storage.close()
