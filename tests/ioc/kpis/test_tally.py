"""Bucketed sums and latest values: order-independent folds with a dict round trip."""

import json

from ioc.kpis.tally import BucketSums, LatestValues
from tests.ioc.kpis.data import camera, ms, sensor

HOUR = 3_600_000


def test_bucket_sums_by_clock_hour():
    sums = BucketSums(HOUR)
    sums.add("a", ms(8, 9, 10), 5)
    sums.add("a", ms(8, 9, 50), 7)
    sums.add("a", ms(8, 10, 0), 1)  # the next hour starts exactly at 10:00
    assert sums.bucket("a", ms(8, 9, 30)) == (12.0, 2)
    assert sums.bucket("a", ms(8, 11)) is None
    # from the bucket holding 09:59 to the one holding 10:30: 5 + 7 + 1
    assert sums.sum("a", ms(8, 9, 59), ms(8, 10, 30)) == 13.0
    assert sums.count("a", ms(8, 10), ms(8, 10, 30)) == 1
    assert sums.sum("b", 0, ms(9)) == 0.0


def test_bucket_sums_prune_merge_round_trip():
    a, b = BucketSums(HOUR), BucketSums(HOUR)
    a.add("x", ms(8, 9), 1)
    b.add("x", ms(8, 9), 2)
    b.add("y", ms(8, 7), 3)
    a.merge(b)
    assert a.bucket("x", ms(8, 9)) == (3.0, 2)
    copy = BucketSums.from_dict(json.loads(json.dumps(a.to_dict())))
    assert copy == a
    a.prune(ms(8, 8))  # the 07:00 bucket ends at 08:00: gone
    assert a.keys() == ["x"]


def test_latest_values_newest_wins_in_any_order():
    old = sensor("g1", "hoa-an", "water", ms(8, 9), level_cm=100)
    new = sensor("g1", "hoa-an", "water", ms(8, 10), level_cm=120, rain_mm=2)
    rain_only = sensor("g1", "hoa-an", "water", ms(8, 11), rain_mm=5)
    forward, backward = LatestValues(), LatestValues()
    for r in (old, new, rain_only):
        forward.add(r)
    for r in (rain_only, new, old):
        backward.add(r)
    assert forward == backward
    level = forward.get("g1", "level_cm")
    assert level is not None and (level.ts_ms, level.value) == (ms(8, 10), 120.0)
    assert forward.get("g1", "level_cm", since_ms=ms(8, 10, 1)) is None
    assert LatestValues.from_dict(json.loads(json.dumps(forward.to_dict()))) == forward


def test_latest_values_ignore_text_and_prune():
    latest = LatestValues()
    latest.add(camera("c1", "quang-hoa", "ta-lung-border-gate", ms(8, 9), events="x", queue_m=5.0))
    assert latest.get("c1", "events") is None
    assert latest.get("c1", "queue_m") is not None
    latest.prune(ms(8, 9, 1))
    assert latest.sources() == []
