"""Device health: the offline rule, devices.online(_ratio) and feeds.completeness."""

import json

import pytest

from ioc.feeds import FEEDS
from ioc.kpis.health import SourceSeen, completeness_kpis, device_kpis
from ioc.kpis.state import KpiState
from ioc.kpis.tally import BucketSums
from tests.ioc.kpis.data import camera, ms, sensor, status, ticket

NOW = ms(8, 12)
SECOND = 1000


def seen_after(*readings):
    state = KpiState()
    state.add(readings)
    return state.seen


def test_silence_longer_than_three_intervals_is_offline():
    # sensor interval 60 s: silent for exactly 180 s is still online, 181 s is offline
    seen = seen_after(
        sensor("a", "hoa-an", "air", NOW - 180 * SECOND, pm25=1),
        sensor("b", "hoa-an", "air", NOW - 181 * SECOND, pm25=1),
    )
    assert seen["a"].offline_reason(NOW) is None
    assert seen["b"].offline_reason(NOW) == "silent"


def test_last_will_then_speaking_again():
    seen = seen_after(
        camera("cam1", "quang-hoa", "ta-lung-border-gate", ms(8, 11, 59), queue_m=1.0),
        status("cam1", ms(8, 11, 59, 30), online=False),
    )
    assert seen["cam1"].offline_reason(NOW) == "last_will"  # even though it spoke 60 s ago
    again = seen["cam1"].seen(
        camera("cam1", "quang-hoa", "ta-lung-border-gate", ms(8, 11, 59, 50), queue_m=1.0)
    )
    assert again.offline_reason(NOW) is None


def test_status_online_counts_as_speaking_and_old_last_will_is_void():
    seen = seen_after(
        sensor("s", "hoa-an", "air", ms(8, 10), pm25=1),
        status("s", ms(8, 11, 59), online=True),
        camera("c", "hoa-an", "x", ms(8, 11, 59), people=1),
        status("c", ms(8, 11, 40), online=False),  # older than its last reading
    )
    assert seen["s"].offline_reason(NOW) is None
    assert seen["c"].offline_reason(NOW) is None


def test_status_arriving_out_of_order_keeps_the_newest():
    seen = seen_after(status("s", ms(8, 11), online=True), status("s", ms(8, 10), online=False))
    assert (seen["s"].status, seen["s"].status_ms) == ("online", ms(8, 11))


def test_device_kpis_per_source_feed_and_district():
    seen = seen_after(
        sensor("a", "hoa-an", "air", NOW - 60 * SECOND, pm25=1),  # online
        sensor("b", "hoa-an", "air", NOW - 181 * SECOND, pm25=1),  # silent
        sensor("c", "bao-lac", "water", NOW - 180 * SECOND, level_cm=1),  # online
        sensor("z", "bao-lac", "air", ms(1, 11), pm25=1),  # last heard > 7 days ago: unknown
        camera("cam1", "quang-hoa", "x", ms(8, 11, 59), people=1),
        status("cam1", ms(8, 11, 59, 30), online=False),  # Last Will
        # servicedesk interval 900 s: 40 min of silence is fine, 50 min is not
        ticket("T1", "received", ms(8, 11, 20), "hoa-an", "counter", due_ms=ms(9)),
        ticket("T2", "received", ms(8, 11, 10), "bao-lac", "counter", due_ms=ms(9)),
        status("only-status", ms(8, 11, 59), online=True),  # no data feed: not rated
    )
    values = {(v.id, v.scope): v for v in device_kpis(seen.values(), NOW)}
    online = {s.split(":")[1]: v.value for (i, s), v in values.items() if i == "devices.online"}
    assert online == {
        "a": 1.0,
        "b": 0.0,
        "c": 1.0,
        "cam1": 0.0,
        "desk-hoa-an": 1.0,
        "desk-bao-lac": 0.0,
    }
    assert values["devices.online", "source:cam1"].extra["reason"] == "last_will"
    ratio = {s: v.value for (i, s), v in values.items() if i == "devices.online_ratio"}
    assert ratio["feed:sensor"] == pytest.approx(200 / 3)  # a, c of a, b, c
    assert ratio["feed:sensor/district:hoa-an"] == 50.0  # a of a, b
    assert ratio["feed:sensor/district:bao-lac"] == 100.0  # c (z is no longer known)
    assert ratio["feed:camera"] == 0.0
    assert ratio["feed:servicedesk"] == 50.0


def test_completeness_worked_by_hand():
    now = ms(8, 12, 0, 30)  # the last 60 complete minutes: 11:00 .. 11:59
    received = BucketSums(60_000)
    seen = []
    for source, per_minute in (("a", 1), ("b", 0.5), ("c", 1.5)):
        seen.append(SourceSeen(source, "sensor", "hoa-an", last_seen_ms=now))
        for minute in range(60):
            n = int(per_minute * (minute + 1)) - int(per_minute * minute)
            for _ in range(n):
                received.add(source, ms(8, 11, minute))
    received.add("a", ms(8, 10, 59))  # before the hour
    received.add("a", ms(8, 12, 0))  # the minute in progress
    seen.append(SourceSeen("cam", "camera", "hoa-an", last_seen_ms=now))
    values = {v.scope: v for v in completeness_kpis(received, seen, now)}
    # a 60, b 30, c 90 capped at its expected 60: (60 + 30 + 60) / (3 * 60) = 150 / 180
    assert values["feed:sensor"].value == pytest.approx(250 / 3)
    assert values["feed:sensor"].extra == {"received": 150, "expected": 180.0, "sources": 3}
    assert values["feed:camera"].value == 0.0  # known, silent
    empty = completeness_kpis(BucketSums(60_000), [], now)
    periodic = [f for f in FEEDS.values() if f.periodic]
    assert [v.value for v in empty] == [None] * len(periodic)


def test_source_seen_round_trip():
    s = SourceSeen("a", "sensor", "hoa-an", 5, "offline", 6)
    assert SourceSeen.from_dict(json.loads(json.dumps(s.to_dict()))) == s
