"""Rollups, against both backends (the storage contract): the same figures as raw points, kept
current by the keeper (late points too), rebuilt on demand, and raw retention that keeps them."""

import random
import time

import pandas as pd
import pytest

from ioc.devservices.wait import wait_until
from ioc.model import NS_PER_MS, NS_PER_S, Reading
from ioc.storage.base import TimeRange
from ioc.storage.rollups import (
    FIVE_MIN_S,
    HOUR_S,
    RAW,
    Piece,
    RollupKeeper,
    mergeable,
    plan,
    rebuild,
)
from tests.ioc.storage.test_contract import BACKENDS, open_backend

T0 = 1_593_561_600 * NS_PER_S  # 2020-07-01T00:00:00Z
DAY = 86400 * NS_PER_S
SOURCES = [("a1", "hoa-an"), ("a2", "hoa-an"), ("b1", "bao-lac"), ("c1", "ha-lang")]


@pytest.fixture(params=BACKENDS)
def storage(request, tmp_path):
    storage = open_backend(request.param, request, tmp_path)
    yield storage
    storage.close()


def synthetic(start_ns, hours, seed=7):
    """Irregular points: each source every 40-200 s, floats and a counter, a few gaps."""
    rng = random.Random(seed)
    readings = []
    for source, district in SOURCES:
        t = start_ns + rng.randrange(0, 60) * NS_PER_S
        while t < start_ns + hours * 3600 * NS_PER_S:
            fields = {"pm25": round(rng.uniform(5, 150), 3), "pm10": float(rng.randrange(0, 300))}
            tags = {"district": district, "source": source, "kind": "air"}
            readings.append(Reading("sensor", t, tags, fields))
            cam = {"district": district, "source": "cam-" + source}
            readings.append(Reading("camera", t, cam, {"vehicles_total": rng.randrange(0, 80)}))
            t += rng.randrange(40, 200) * NS_PER_S
            if rng.random() < 0.01:
                t += 3 * 3600 * NS_PER_S
    return readings


def assert_same(rolled, raw):
    assert list(rolled.columns) == list(raw.columns)
    assert len(rolled) == len(raw) > 0
    pd.testing.assert_series_equal(rolled["time"], raw["time"])
    for column in rolled.columns[2:]:
        assert list(rolled[column]) == list(raw[column])
    assert list(rolled["value"]) == pytest.approx(list(raw["value"]), rel=1e-9)


CASES = [  # merged over sources unless `source` is filtered or grouped on
    ("sensor", "pm25", "mean", ["district"], 300, None),
    ("sensor", "pm25", "max", ["source"], 300, None),
    ("sensor", "pm10", "min", [], 48, None),
    ("sensor", "pm25", "count", ["district"], 300, {"kind": "air"}),
    ("sensor", "pm25", "mean", ["district"], 300, {"district": ["hoa-an", "ha-lang"]}),
    ("sensor", "pm25", "sum", ["source"], 48, {"source": "a1"}),
    ("camera", "vehicles_total", "sum", ["district"], 48, None),
    ("camera", "vehicles_total", "mean", [], 20, None),
]


def test_rollups_equal_the_raw_aggregation(storage):
    storage.write(synthetic(T0, 80))
    rebuild(storage, TimeRange(T0, T0 + 4 * DAY))
    assert set(storage.rollup_done(cached=False)) == {FIVE_MIN_S, HOUR_S, 6 * HOUR_S}
    # Ranges that start and end mid-bucket: tiers in the middle, finer tiers and raw at the edges.
    ranges = [
        TimeRange(T0 + 1234 * NS_PER_S, T0 + 3 * DAY - 777 * NS_PER_S),
        TimeRange(T0 + 7 * 3600 * NS_PER_S + 17, T0 + 31 * 3600 * NS_PER_S + 5),
        TimeRange(T0 - DAY, T0 + 5 * DAY),
    ]
    for span in ranges:
        for measurement, field, aggregate, groups, buckets, where in CASES:
            bucket_s = span.bucket_seconds(buckets)
            pieces = plan(span, bucket_s, storage.rollup_done(cached=False))
            assert any(p.width_s != RAW for p in pieces)  # really read from the tiers
            args = dict(group_by=groups, aggregate=aggregate, max_buckets=buckets, where=where)
            rolled = storage.history(measurement, field, span, **args)
            raw = storage.history(measurement, field, span, rollups=False, **args)
            assert_same(rolled, raw)


def test_district_charts_read_the_tiers_merged_over_sources_and_source_charts_do_not():
    assert mergeable("sensor", {"kind": "air"}, ["district"])
    assert mergeable("sensor", None, [])
    assert mergeable("camera", {"site": "x"}, ["district"])
    assert not mergeable("sensor", {"source": "a1"}, ["district"])
    assert not mergeable("sensor", {"kind": "air"}, ["source"])
    assert not mergeable("sensor", None, ["undeclared"])
    assert not mergeable("alerts", None, ["district"])  # not rolled up


def test_the_merged_tiers_follow_late_points_and_imports(storage):
    """A late point of one source changes its district's merged buckets (the keeper re-rolls
    them), and imported per-source buckets are merged too."""
    storage.write(synthetic(T0, 6))
    rebuild(storage, TimeRange(T0, T0 + 6 * 3600 * NS_PER_S))
    tags = {"district": "bao-lac", "source": "b1", "kind": "air"}
    late = Reading("sensor", T0 + 1800 * NS_PER_S, tags, {"pm25": 5000.0})
    storage.write([late])
    keeper = RollupKeeper()
    keeper.update(storage, (T0 + 6 * 3600 * NS_PER_S) // NS_PER_MS)
    keeper.note([late])
    keeper.update(storage, (T0 + 6 * 3600 * NS_PER_S) // NS_PER_MS)
    span = TimeRange(T0, T0 + 6 * 3600 * NS_PER_S)
    args = dict(group_by=["district"], aggregate="max", max_buckets=6)
    rolled = storage.history("sensor", "pm25", span, **args)
    assert_same(rolled, storage.history("sensor", "pm25", span, rollups=False, **args))
    assert rolled.loc[rolled["district"] == "bao-lac", "value"].iloc[0] == 5000.0
    # Hourly buckets of days without raw points (as after retention), imported per source.
    old = T0 - 10 * DAY
    imported = [
        Reading(
            "sensor",
            old + h * 3600 * NS_PER_S,
            {"district": "hoa-an", "source": s, "kind": "air"},
            {"pm25_min": 1.0 + h, "pm25_max": 9.0 + h, "pm25_sum": 50.0 * n, "pm25_count": n},
        )
        for h in range(3)
        for s, n in (("a1", 10), ("a2", 30))
    ]
    storage.import_rollups(HOUR_S, imported)
    old_span = TimeRange(old, old + 3 * 3600 * NS_PER_S)
    for aggregate, want in (("count", [40, 40, 40]), ("mean", [50.0] * 3), ("max", [9.0, 10, 11])):
        frame = storage.history(
            "sensor", "pm25", old_span, group_by=["district"], aggregate=aggregate, max_buckets=3
        )
        assert list(frame["value"]) == want
        by_source = storage.history(
            "sensor", "pm25", old_span, group_by=["source"], aggregate=aggregate, max_buckets=3
        )
        assert len(by_source) == 6


def test_rollups_answer_for_ranges_beyond_the_watermark_from_raw_points(storage):
    storage.write(synthetic(T0, 30))
    rebuild(storage, TimeRange(T0, T0 + 12 * 3600 * NS_PER_S))  # only the first 12 hours
    span = TimeRange(T0, T0 + 30 * 3600 * NS_PER_S)
    pieces = plan(span, span.bucket_seconds(48), storage.rollup_done(cached=False))
    assert pieces[-1].width_s == RAW and pieces[-1].start_ns == T0 + 12 * 3600 * NS_PER_S
    args = dict(group_by=["district"], aggregate="mean", max_buckets=48)
    assert_same(
        storage.history("sensor", "pm25", span, **args),
        storage.history("sensor", "pm25", span, rollups=False, **args),
    )


def test_a_reading_stored_just_after_its_bucket_was_rolled_up_is_in_the_chart_at_once(storage):
    """The keeper rolled the last completed 5-min bucket; a reading of its last 30 s stored
    after that (a batch, a reconnect) is in a 24-h district chart before the keeper's next
    update: the last `RECENT_RAW_S` come from raw points."""
    now_ns = time.time_ns()
    bucket_end = now_ns - now_ns % (FIVE_MIN_S * NS_PER_S)
    when = bucket_end - 30 * NS_PER_S
    tags = {"district": "hoa-an", "source": "a1", "kind": "air"}
    storage.write([Reading("sensor", now_ns - 3 * 3600 * NS_PER_S, tags, {"pm25": 10.0})])
    RollupKeeper(grace_ms=0).update(storage, bucket_end // NS_PER_MS)
    assert storage.rollup_done(cached=False)[FIVE_MIN_S] > when  # its bucket counts as done
    storage.write([Reading("sensor", when, tags, {"pm25": 70.0})])
    span = TimeRange(now_ns - DAY, now_ns)
    args = dict(group_by=["district"], aggregate="max", max_buckets=48)
    chart = storage.history("sensor", "pm25", span, **args)
    assert list(chart["value"]) == [10.0, 70.0]
    assert_same(chart, storage.history("sensor", "pm25", span, rollups=False, **args))


def test_the_keeper_rolls_up_completed_buckets_and_late_points(storage):
    readings = synthetic(T0, 10)
    storage.write(readings)
    keeper = RollupKeeper()
    now_ms = (T0 + 10 * 3600 * NS_PER_S) // NS_PER_MS
    for _ in range(3):  # from the oldest point, one bounded chunk a tick
        keeper.update(storage, now_ms)
    done = storage.rollup_done(cached=False)
    assert done[HOUR_S] == T0 + 10 * 3600 * NS_PER_S - 3600 * NS_PER_S  # the open hour is not
    assert done[FIVE_MIN_S] == T0 + 10 * 3600 * NS_PER_S - 300 * NS_PER_S
    late = [
        Reading("sensor", T0 + 3600 * NS_PER_S + 5, {"district": "hoa-an", "source": "a1"}, v)
        for v in ({"pm25": 999.0},)
    ]
    storage.write(late)
    keeper.note(late)
    keeper.update(storage, now_ms)
    span = TimeRange(T0, T0 + 9 * 3600 * NS_PER_S)
    assert plan(span, 3600, storage.rollup_done(cached=False)) == [Piece(HOUR_S, *span_ns(span))]
    rolled = {}
    for aggregate in ("max", "mean", "count"):
        args = dict(group_by=["district"], aggregate=aggregate, max_buckets=9)
        rolled[aggregate] = storage.history("sensor", "pm25", span, **args)
        assert_same(
            rolled[aggregate], storage.history("sensor", "pm25", span, rollups=False, **args)
        )
    assert 999.0 in list(rolled["max"]["value"])  # the late point, re-rolled
    in_span = [r for r in readings if r.measurement == "sensor" and r.time_ns < span.end_ns]
    assert rolled["count"]["value"].sum() == len(in_span) + 1


def span_ns(span):
    return span.start_ns, span.end_ns


def test_raw_retention_removes_old_points_and_keeps_the_hourly_rollups(storage):
    now_ns = time.time_ns()
    old = now_ns - 40 * DAY
    storage.write(synthetic(old - old % (3600 * NS_PER_S), 6, seed=1))
    recent = now_ns - 2 * DAY
    storage.write(synthetic(recent - recent % (3600 * NS_PER_S), 6, seed=2))
    rebuild(storage, TimeRange(old - DAY, now_ns))
    old_span = TimeRange(old - DAY, old + DAY)
    args = dict(group_by=["district"], aggregate="mean", max_buckets=48)
    before = storage.history("sensor", "pm25", old_span, rollups=False, **args)
    assert not before.empty

    storage.apply_retention(7, now_ns)

    def raw_gone():
        return storage.count("sensor", "pm25", old_span) == 0

    wait_until(raw_gone, timeout=30, message="raw points older than 7 days removed")
    recent_span = TimeRange(recent - DAY, now_ns)
    assert storage.count("sensor", "pm25", recent_span) > 0  # younger points stay
    assert storage.history("sensor", "pm25", old_span, rollups=False, **args).empty
    kept = storage.history("sensor", "pm25", old_span, **args)  # hourly buckets: from rollups
    assert list(kept["value"]) == pytest.approx(list(before["value"]), rel=1e-9)
    storage.apply_retention(0, now_ns)  # back to keeping raw points forever


def test_records_of_a_long_range_are_the_newest_of_the_whole_range(storage):
    readings = synthetic(T0, 72)
    storage.write(readings)
    span = TimeRange(T0 - 30 * DAY, T0 + 3 * DAY)
    newest = sorted((r.time_ns for r in readings if r.measurement == "sensor"), reverse=True)
    for limit in (5, 200, 2000):
        frame = storage.records("sensor", span, limit=limit)
        assert list(frame["time"].astype("int64")) == newest[:limit]


def test_a_rebuild_never_moves_a_watermark_past_the_range_end_or_now(storage):
    storage.write(synthetic(T0, 3))
    rebuild(storage, TimeRange(T0, T0 + 100 * 60 * NS_PER_S))  # 01:40
    done = storage.rollup_done(cached=False)
    assert done == {
        FIVE_MIN_S: T0 + 100 * 60 * NS_PER_S,
        HOUR_S: T0 + 3600 * NS_PER_S,
        6 * HOUR_S: T0,
    }
    future = TimeRange(T0, T0 + 30 * DAY)
    rebuild(storage, future, now_ns=T0 + 2 * 3600 * NS_PER_S + 7)
    assert storage.rollup_done(cached=False)[FIVE_MIN_S] == T0 + 2 * 3600 * NS_PER_S
