"""The storage contract: one suite, run against InfluxDB (the real engine) and embedded SQLite.

`test_frames_match_across_backends` writes the same points to both and compares every read frame
column by column, dtypes included, so a dashboard cannot tell which storage it talks to.
"""

import pandas as pd
import pytest

from ioc.errors import StorageRejected
from ioc.model import NS_PER_MS, NS_PER_S, Reading
from ioc.storage.base import TimeRange
from ioc.storage.influx import InfluxStorage
from ioc.storage.sqlite import SqliteStorage

T0 = 1_593_565_200 * NS_PER_S  # 2020-07-01T01:00:00Z, a whole hour
SPAN = TimeRange(T0, T0 + 3600 * NS_PER_S)
AGGREGATES = ("mean", "max", "min", "sum", "count", "last", "first", "median")


def open_backend(name, request, tmp_path):
    if name == "influxdb":
        influxdb = request.getfixturevalue("influxdb")
        return InfluxStorage(
            influxdb.url, token="test", org="ioc", bucket=request.getfixturevalue("influx_db")
        )
    return SqliteStorage(tmp_path / f"{name}.sqlite3")


BACKENDS = [pytest.param("influxdb", marks=pytest.mark.services), "sqlite"]


@pytest.fixture(params=BACKENDS)
def storage(request, tmp_path):
    storage = open_backend(request.param, request, tmp_path)
    yield storage
    storage.close()


def air(source, district, t_s, pm25, **more):
    return Reading(
        "sensor",
        T0 + int(t_s * NS_PER_S),
        {"district": district, "source": source, "kind": "air"},
        {"pm25": pm25, **more},
    )


def camera(source, t_s, **fields):
    return Reading(
        "camera", T0 + t_s * NS_PER_S, {"district": "quang-hoa", "source": source}, fields
    )


def ticket(ticket_id, time_ns, event="received", **more):
    tags = {"district": "hoa-an", "source": "ubnd-hoa-an", "event": event, "channel": "online_l4"}
    return Reading("servicedesk", time_ns, tags, {"ticket_id": ticket_id, **more})


# -- history --------------------------------------------------------------------------------


def test_write_then_history_bucketed_by_district(storage):
    readings = [air("a1", "hoa-an", t, 10.0 + t) for t in range(0, 120, 10)]
    readings += [air("b1", "bao-lac", t, 100.0) for t in range(0, 120, 10)]
    storage.write(readings)
    history = storage.history(
        "sensor", "pm25", TimeRange(T0, T0 + 120 * NS_PER_S), group_by=["district"], max_buckets=2
    )
    assert list(history.columns) == ["time", "value", "district"]
    assert list(history["district"]) == ["bao-lac", "bao-lac", "hoa-an", "hoa-an"]
    hoa_an = history[history["district"] == "hoa-an"]
    assert list(hoa_an["value"]) == [35.0, 95.0]  # means of 10..60 and 70..120 step 10
    assert str(history["time"].dtype) == "datetime64[ns, UTC]"
    assert (history[history["district"] == "bao-lac"]["value"] == 100.0).all()


def test_history_buckets_are_epoch_aligned_and_labelled_by_their_start(storage):
    storage.write([air("a1", "hoa-an", t, float(t)) for t in (7, 12, 19, 25)])
    # 60 s span / 6 buckets -> 10 s buckets; the range starts mid-bucket at T0 + 5 s.
    history = storage.history(
        "sensor",
        "pm25",
        TimeRange(T0 + 5 * NS_PER_S, T0 + 65 * NS_PER_S),
        max_buckets=6,
        aggregate="count",
    )
    expected = [pd.Timestamp(T0 + s * NS_PER_S, unit="ns", tz="UTC") for s in (0, 10, 20)]
    assert list(history["time"]) == expected  # empty buckets are left out (fill(none))
    assert list(history["value"]) == [1, 2, 1]


def test_history_groups_by_several_tags_and_missing_tags_group_as_empty(storage):
    storage.write([ticket("T1", T0), ticket("T2", T0 + 1, event="resolved")])
    storage.write(
        [Reading("servicedesk", T0 + 2, {"district": "hoa-an", "source": "x"}, {"ticket_id": "T3"})]
    )  # no event, no channel
    history = storage.history(
        "servicedesk",
        "ticket_id",
        TimeRange(T0, T0 + NS_PER_S),
        group_by=["event", "channel"],
        aggregate="count",
    )
    assert list(history.columns) == ["time", "value", "channel", "event"]
    rows = list(zip(history["channel"], history["event"], history["value"], strict=True))
    assert rows == [("", "", 1), ("online_l4", "received", 1), ("online_l4", "resolved", 1)]


@pytest.mark.parametrize(
    ("aggregate", "expected"),
    [
        ("mean", [2.5, 10.0]),
        ("max", [4.0, 10.0]),
        ("min", [1.0, 10.0]),
        ("sum", [10.0, 10.0]),
        ("count", [4, 1]),
        ("first", [4.0, 10.0]),
        ("last", [3.0, 10.0]),
        ("median", [2.5, 10.0]),
    ],
)
def test_history_aggregates(storage, aggregate, expected):
    # Bucket 0 holds 4, 1, 2, 3 in time order (t = 1..4 s); bucket 1 holds one 10.
    storage.write([air("a1", "hoa-an", t, v) for t, v in [(1, 4.0), (2, 1.0), (3, 2.0), (4, 3.0)]])
    storage.write([air("a1", "hoa-an", 31, 10.0)])
    history = storage.history(
        "sensor", "pm25", TimeRange(T0, T0 + 60 * NS_PER_S), aggregate=aggregate, max_buckets=2
    )
    assert list(history["value"]) == expected


def test_history_with_a_tag_filter(storage):
    storage.write(
        [
            air(s, d, t, v)
            for s, d, v in [("a1", "hoa-an", 1.0), ("b1", "bao-lac", 5.0), ("c1", "ha-lang", 9.0)]
            for t in (0, 1)
        ]
    )
    history = storage.history(
        "sensor",
        "pm25",
        SPAN,
        where={"district": ["hoa-an", "ha-lang"]},
        aggregate="sum",
        max_buckets=1,
    )
    assert list(history["value"]) == [20.0]
    one = storage.history("sensor", "pm25", SPAN, where={"source": "b1"}, group_by=["source"])
    assert list(zip(one["source"], one["value"], strict=True)) == [("b1", 5.0)]


def test_history_of_numbers_only_aggregates_refuse_strings(storage):
    storage.write([ticket("T1", T0)])
    with pytest.raises(StorageRejected):
        storage.history("servicedesk", "ticket_id", SPAN, aggregate="mean")
    counted = storage.history("servicedesk", "ticket_id", SPAN, aggregate="count")
    assert list(counted["value"]) == [1]


def test_empty_reads_have_only_a_utc_time_column(storage):
    storage.write([air("a1", "hoa-an", 0, 1.0)])
    later = TimeRange(T0 + 7200 * NS_PER_S, T0 + 7300 * NS_PER_S)
    for frame in (
        storage.history("sensor", "pm25", later),
        storage.history("sensor", "no2", SPAN),
        storage.records("sensor", later),
        storage.latest("camera"),
        storage.latest("sensor", where={"district": "bao-lac"}),
    ):
        assert list(frame.columns) == ["time"] and frame.empty
        assert str(frame["time"].dtype) == "datetime64[ns, UTC]"


# -- identity and types ---------------------------------------------------------------------


def test_writes_are_idempotent_and_count(storage):
    readings = [air("a1", "hoa-an", t, 1.0) for t in range(50)]
    storage.write(readings)
    storage.write(readings)
    assert storage.count("sensor", "pm25", SPAN) == 50
    assert storage.count("sensor", "pm25", SPAN, where={"district": "bao-lac"}) == 0
    assert storage.count("sensor", "pm10", SPAN) == 0


def test_same_identity_overwrites_field_wise(storage):
    storage.write([camera("cam1", 0, car=1, bus=2)])
    storage.write([camera("cam1", 0, car=5, queue_m=1.5)])
    (row,) = storage.records("camera", SPAN).to_dict("records")
    assert (row["bus"], row["car"], row["queue_m"]) == (2, 5, 1.5)


def test_same_millisecond_tickets_with_different_nanoseconds_both_kept(storage):
    ms = T0 + 123 * NS_PER_MS
    storage.write([ticket("CB-1", ms + 17), ticket("CB-2", ms + 999_001)])
    records = storage.records("servicedesk", SPAN)
    assert sorted(records["ticket_id"]) == ["CB-1", "CB-2"]
    assert storage.count("servicedesk", "ticket_id", SPAN) == 2


def test_field_type_conflict_is_rejected_not_retried(storage):
    storage.write([air("a1", "hoa-an", 0, 1.0)])
    bad = Reading("sensor", T0 + NS_PER_S, {"district": "hoa-an", "source": "a1"}, {"pm25": "x"})
    with pytest.raises(StorageRejected):
        storage.write([bad])
    with pytest.raises(StorageRejected):  # an int is not a float either
        storage.write([air("a1", "hoa-an", 2, 3)])
    assert storage.count("sensor", "pm25", SPAN) == 1


def test_field_types_are_kept(storage):
    storage.write([camera("cam1", 0, car=12, avg_speed_kmh=23.5, ok=True, note="x")])
    (row,) = storage.latest("camera").to_dict("records")
    assert [type(row[k]) for k in ("car", "avg_speed_kmh", "ok", "note")] == [int, float, bool, str]


# -- latest and records ---------------------------------------------------------------------


def test_latest_per_source_and_records(storage):
    storage.write([air("a1", "hoa-an", t, float(t)) for t in range(5)])
    storage.write([air("b1", "bao-lac", t, 100.0 + t) for t in range(3)])
    latest = storage.latest("sensor").set_index("source")
    assert latest.loc["a1", "pm25"] == 4.0
    assert latest.loc["b1", "pm25"] == 102.0
    assert latest.loc["b1", "time"] == pd.Timestamp(T0 + 2 * NS_PER_S, unit="ns", tz="UTC")
    records = storage.records("sensor", TimeRange(T0, T0 + 60 * NS_PER_S), limit=3)
    assert list(records["pm25"])[:2] == [4.0, 3.0]  # newest first
    assert list(records["time"]) == sorted(records["time"], reverse=True)
    assert len(records) == 3


def test_latest_with_several_sources_and_a_filter(storage):
    # Written out of order: the newest point of each source wins, not the last written.
    storage.write([air("c1", "ha-lang", 9, 9.0), air("a1", "hoa-an", 5, 5.0)])
    storage.write([air("c1", "ha-lang", 1, 1.0), air("b1", "bao-lac", 7, 7.0)])
    storage.write([air("a1", "hoa-an", 2, 2.0)])
    latest = storage.latest("sensor")
    assert list(latest.columns) == ["time", "district", "kind", "pm25", "source"]
    assert list(latest["source"]) == ["c1", "b1", "a1"]  # InfluxDB's order: sources descending
    assert list(latest["pm25"]) == [9.0, 7.0, 5.0]
    only = storage.latest("sensor", where={"district": ["hoa-an", "bao-lac"]})
    assert sorted(only["source"]) == ["a1", "b1"]


def test_records_newest_first_with_limit_and_all_columns(storage):
    storage.write([air("a1", "hoa-an", t, float(t)) for t in range(10)])
    storage.write(
        [
            Reading(
                "sensor",
                T0 + 20 * NS_PER_S,
                {"district": "bao-lac", "source": "w1", "kind": "water"},
                {"level_cm": 80.5},
            )
        ]
    )
    records = storage.records("sensor", SPAN, limit=4)
    assert list(records.columns) == ["time", "district", "kind", "level_cm", "pm25", "source"]
    assert list(records["source"]) == ["w1", "a1", "a1", "a1"]
    assert list(records["pm25"][1:]) == [9.0, 8.0, 7.0]
    assert pd.isna(records["pm25"][0]) and pd.isna(records["level_cm"][1])
    assert len(storage.records("sensor", SPAN, limit=0)) == 11  # 0 = no limit, as in InfluxQL
    window = storage.records("sensor", TimeRange(T0 + 3 * NS_PER_S, T0 + 5 * NS_PER_S))
    assert list(window["pm25"]) == [4.0, 3.0]  # the range is half-open


def test_records_page_with_offset(storage):
    storage.write([air("a1", "hoa-an", t, float(t)) for t in range(10)])
    pages = [storage.records("sensor", SPAN, limit=4, offset=o) for o in (0, 4, 8, 12)]
    assert [list(p["pm25"]) for p in pages[:3]] == [
        [9.0, 8.0, 7.0, 6.0],
        [5.0, 4.0, 3.0, 2.0],
        [1.0, 0.0],
    ]
    assert pages[3].empty


def test_tag_filter_with_a_list_of_values(storage):
    storage.write([air(f"s{i}", d, i, 1.0) for i, d in enumerate(["hoa-an", "bao-lac", "ha-lang"])])
    assert storage.count("sensor", "pm25", SPAN, where={"district": ["hoa-an", "ha-lang"]}) == 2
    assert (
        storage.count("sensor", "pm25", SPAN, where={"district": ["hoa-an"], "source": "s0"}) == 1
    )
    assert storage.count("sensor", "pm25", SPAN, where={"district": []}) == 3  # no condition
    records = storage.records("sensor", SPAN, where={"district": ("bao-lac", "nowhere")})
    assert list(records["source"]) == ["s1"]


def test_tag_values_cannot_inject(storage):
    storage.write([air("a1", "hoa-an", 0, 1.0)])
    sneaky = [
        "x' OR district = 'hoa-an",
        "x') OR 1=1 --",
        'x" OR "1"="1',
        "' OR ''='",
        "$.district",
        "%",
        "\\",
    ]
    for value in sneaky:
        assert storage.count("sensor", "pm25", SPAN, where={"district": value}) == 0
        assert storage.records("sensor", SPAN, where={"district": [value, "nowhere"]}).empty
    assert storage.count("sensor", "pm25", SPAN, where={"district": "hoa-an"}) == 1
    with pytest.raises(ValueError):
        storage.count("sensor", "pm25", SPAN, where={"district = 'x' OR 1": "y"})
    with pytest.raises(ValueError):
        storage.history("sensor", "pm25) FROM x --", SPAN)
    with pytest.raises(ValueError):
        storage.records("sensor; DROP TABLE points", SPAN)


def test_unusual_tag_values_round_trip_and_filter(storage):
    odd = ["Bảo Lạc", "a,b=c d", "it's", 'say "hi"', "a\\b"]
    storage.write([air(f"s{i}", value, i, float(i)) for i, value in enumerate(odd)])
    assert list(storage.records("sensor", SPAN)["district"]) == odd[::-1]
    for value in odd:
        assert storage.count("sensor", "pm25", SPAN, where={"district": value}) == 1


# -- the same frames from both backends -----------------------------------------------------


def parity_points():
    points = [air("a1", "hoa-an", t, 10.0 + t / 4, pm10=20.5) for t in range(0, 90, 3)]
    points += [air("b1", "bao-lac", t, 100.0) for t in range(0, 90, 10)]
    points += [
        Reading(
            "sensor",
            T0 + t * NS_PER_S,
            {"district": "bao-lac", "source": "w1", "kind": "water"},
            {"level_cm": 50.0 + t},
        )
        for t in range(0, 90, 15)
    ]
    points += [camera("cam1", t, car=t, bus=1, queue_m=float(t), ok=t % 2 == 0) for t in range(9)]
    points += [
        ticket(f"T{i}", T0 + i * 997 * NS_PER_MS + i, satisfaction=i % 5 + 1) for i in range(20)
    ]
    points += [ticket(f"R{i}", T0 + i * NS_PER_S, event="resolved") for i in range(5)]
    return points


def reads(storage):
    span = TimeRange(T0, T0 + 90 * NS_PER_S)
    frames = {
        "latest sensor": storage.latest("sensor"),
        "latest sensor air": storage.latest("sensor", where={"kind": "air"}),
        "latest camera": storage.latest("camera"),
        "latest servicedesk": storage.latest("servicedesk"),
        "records sensor": storage.records("sensor", span, limit=50),
        "records bao-lac": storage.records("sensor", span, where={"district": "bao-lac"}),
        "records camera": storage.records("camera", span),
        "records servicedesk": storage.records("servicedesk", span, limit=0),
        "max ok": storage.history("camera", "ok", span, aggregate="max"),
        "last ok": storage.history("camera", "ok", span, aggregate="last"),
        "filtered": storage.history(
            "sensor", "pm25", span, where={"district": ["bao-lac"], "kind": "air"}, max_buckets=3
        ),
    }
    for aggregate in AGGREGATES:
        frames[f"{aggregate} pm25"] = storage.history(
            "sensor",
            "pm25",
            span,
            group_by=["district", "source"],
            aggregate=aggregate,
            max_buckets=5,
        )
        frames[f"{aggregate} car"] = storage.history("camera", "car", span, aggregate=aggregate)
    frames["count tickets"] = storage.history(
        "servicedesk", "ticket_id", span, group_by=["event"], aggregate="count", max_buckets=10
    )
    return frames


@pytest.mark.services
def test_frames_match_across_backends(request, tmp_path):
    influx = open_backend("influxdb", request, tmp_path)
    sqlite = open_backend("sqlite", request, tmp_path)
    try:
        for storage in (influx, sqlite):
            storage.write(parity_points())
        expected, got = reads(influx), reads(sqlite)
    finally:
        influx.close()
        sqlite.close()
    for name, frame in expected.items():
        assert not frame.empty, name
        pd.testing.assert_frame_equal(got[name], frame, check_exact=False, obj=name)
