"""The live-state contract: one suite, run against a real Redis and the in-process state."""

import threading
import time

import pytest

from ioc.errors import LiveStateError
from ioc.live.base import LiveUpdate
from ioc.live.memory import MemoryLiveState
from ioc.live.redis import RedisLiveState
from ioc.model import Reading, Rejection


@pytest.fixture(params=[pytest.param("redis", marks=pytest.mark.services), "memory"])
def live(request):
    if request.param == "redis":
        live = RedisLiveState(
            request.getfixturevalue("redis_url"),
            window_len=4,
            deadletter_maxlen=50,
            stored_maxlen=10,
        )
    else:
        live = MemoryLiveState(window_len=4, deadletter_maxlen=50, stored_maxlen=10)
    yield live
    live.close()


def reading(source, time_ms, value, district="hoa-an", measurement="sensor", **fields):
    tags = (
        {"source": source, "district": district, "kind": "air"} if district else {"source": source}
    )
    return Reading(measurement, time_ms * 1_000_000, tags, {"pm25": value, **fields})


def rejection(i, payload=b"{"):
    return Rejection(
        "sensor", f"ioc/sensor/hoa-an/s{i}", "bad_json", "not JSON", payload, i * 10**6
    )


def apply(live, readings=(), counters=None, deadletters=()):
    update = LiveUpdate(window_len=live.window_len)
    update.add_readings(readings)
    update.count(counters or {})
    update.add_deadletters(deadletters)
    live.apply(update)


def test_latest_newer_wins_across_batches(live):
    assert live.is_empty()
    apply(live, [reading("a", 2000, 2.0)])
    apply(live, [reading("a", 1000, 1.0)])  # a late redelivery must not go back in time
    assert live.latest("sensor")["a"].fields["pm25"] == 2.0
    assert live.last_seen() == {"a": 2000}
    assert live.districts() == {"a": "hoa-an"}
    assert not live.is_empty()


def test_latest_ties_in_the_same_millisecond_go_to_the_later_apply(live):
    apply(live, [reading("a", 5, 1.0)])
    late = Reading(
        "sensor", 5 * 1_000_000 + 999, {"source": "a", "district": "hoa-an"}, {"pm25": 2.0}
    )
    apply(live, [late])
    assert live.latest("sensor")["a"].fields["pm25"] == 2.0
    apply(live, [reading("a", 5, 3.0)])  # same ms again: later apply wins (ms, not ns, compared)
    assert live.latest("sensor")["a"].fields["pm25"] == 3.0


def test_latest_is_per_measurement_and_keeps_the_whole_reading(live):
    sensor = reading("a", 10, 1.5, count=3, label="x", ok=True)
    camera = Reading("camera", 20 * 10**6, {"source": "a", "district": "bao-lac"}, {"car": 4})
    apply(live, [sensor, camera, reading("b", 5, 9.0)])
    assert live.latest("sensor") == {"a": sensor, "b": reading("b", 5, 9.0)}
    assert live.latest("camera") == {"a": camera}
    assert live.latest("servicedesk") == {}
    assert live.last_seen() == {"a": 20, "b": 5}  # newest of any measurement
    apply(live, [reading("a", 15, 2.0)])  # newer sensor, older than the camera reading
    assert live.last_seen()["a"] == 20
    assert live.latest("sensor")["a"].fields["pm25"] == 2.0


def test_districts_follow_the_last_nonempty_one(live):
    apply(live, [reading("a", 1, 1.0, district="hoa-an"), reading("s", 1, 1.0, district="")])
    apply(live, [reading("a", 2, 1.0, district="bao-lac")])
    apply(live, [reading("a", 3, 1.0, district="")])
    assert live.districts() == {"a": "bao-lac"}
    assert set(live.last_seen()) == {"a", "s"}


def test_windows_are_bounded_ordered_and_per_field(live):
    apply(live, [reading("a", t, float(t), pm10=t * 2.0) for t in range(1, 4)])
    assert live.window("a", "pm25") == [(1, 1.0), (2, 2.0), (3, 3.0)]
    apply(live, [reading("a", t, float(t), pm10=t * 2.0) for t in range(4, 7)])
    assert live.window("a", "pm25") == [(3, 3.0), (4, 4.0), (5, 5.0), (6, 6.0)]
    assert live.window("a", "pm10") == [(3, 6.0), (4, 8.0), (5, 10.0), (6, 12.0)]
    assert live.window("a", "nothing") == []
    assert live.window("nobody", "pm25") == []
    apply(live, [reading("b", 9, 7)])  # ints are kept as floats
    assert live.window("b", "pm25") == [(9, 7.0)]
    assert all(type(v) is float for _, v in live.window("b", "pm25"))


def test_windows_counters_and_deadletters(live):
    apply(live, [reading("a", t, float(t)) for t in range(1, 7)], {"stored:sensor": 6})
    apply(
        live,
        [],
        {"stored:sensor": 1, "rejected:sensor:bad_json": 1},
        [Rejection("sensor", "ioc/sensor/x/y", "bad_json", "not JSON", b"{", 5_000_000)],
    )
    assert live.window("a", "pm25") == [(3, 3.0), (4, 4.0), (5, 5.0), (6, 6.0)]
    assert live.counters() == {"stored:sensor": 7, "rejected:sensor:bad_json": 1}
    (letter,) = live.deadletters()
    assert letter["reason"] == "bad_json" and letter["payload"] == "{"
    assert letter["received_ms"] == 5


def test_counters_add_up_and_counting_alone_is_still_empty(live):
    assert live.counters() == {}
    apply(live, counters={"received:sensor": 3, "stored:sensor": 0})
    apply(live, counters={"received:sensor": 4, "received:camera": 1})
    assert live.counters() == {"received:sensor": 7, "stored:sensor": 0, "received:camera": 1}
    assert live.is_empty()  # no reading held yet: rebuild from storage


def test_deadletters_newest_first_with_count(live):
    apply(live, deadletters=[rejection(i) for i in range(3)])
    apply(live, deadletters=[rejection(i) for i in range(3, 5)])
    letters = live.deadletters()
    assert [letter["topic"][-2:] for letter in letters] == ["s4", "s3", "s2", "s1", "s0"]
    assert [letter["received_ms"] for letter in live.deadletters(count=2)] == [4, 3]
    ids = [tuple(int(part) for part in letter["id"].split("-")) for letter in letters]
    assert ids == sorted(ids, reverse=True) and len(set(ids)) == 5
    assert set(letters[0]) == {"feed", "topic", "reason", "detail", "payload", "received_ms", "id"}


def test_deadletter_payloads_are_cut_and_decoded(live):
    apply(live, deadletters=[rejection(1, b"x" * 2047 + "ế".encode() + b"y" * 100)])
    (letter,) = live.deadletters()
    assert letter["payload"] == "x" * 2047 + "\ufffd"  # 2 KiB, a cut character replaced
    apply(live, deadletters=[rejection(2, b"\xff{")])
    assert live.deadletters(count=1)[0]["payload"] == "\ufffd{"


def test_deadletter_stream_is_bounded(live):
    apply(live, deadletters=[rejection(i) for i in range(500)])
    letters = live.deadletters(count=1000)
    assert 50 <= len(letters) < 500  # Redis trims approximately (MAXLEN ~)
    assert letters[0]["received_ms"] == 499


def test_kpis_alerts_and_ack_requests(live):
    assert live.kpis() == (0, [])
    assert live.alerts() == []
    live.set_kpis([{"id": "border.queue_m", "scope": "site:ta-lung-border-gate", "value": 1.5}], 7)
    assert live.kpis() == (
        7,
        [{"id": "border.queue_m", "scope": "site:ta-lung-border-gate", "value": 1.5}],
    )
    live.set_alerts([{"alert_id": "a", "state": "active"}])
    assert live.alerts() == [{"alert_id": "a", "state": "active"}]
    live.request_ack("a", "Lan", "đã báo đội", 9)
    live.request_ack("b", "Minh", "", 10)
    assert [r["alert_id"] for r in live.take_ack_requests()] == ["a", "b"]
    assert live.take_ack_requests() == []


def test_kpis_and_alerts_are_replaced_and_come_back_as_json_copies(live):
    values = [{"id": "air.aqi", "value": 42, "band": ("Tốt", 1)}]
    live.set_kpis(values, 1)
    values[0]["value"] = 99  # the caller's object is not shared
    live.set_kpis([{"id": "air.aqi", "value": 43, "band": ("Tốt", 1)}], 2)
    assert live.kpis() == (2, [{"id": "air.aqi", "value": 43, "band": ["Tốt", 1]}])
    live.kpis()[1][0]["value"] = 0
    assert live.kpis()[1][0]["value"] == 43
    live.set_alerts([{"alert_id": "a"}, {"alert_id": "b"}])
    live.set_alerts([])
    assert live.alerts() == []


def test_ack_requests_keep_every_field_in_order(live):
    for i in range(3):
        live.request_ack(f"alert-{i}", "Lan", f"ghi chú {i}", 100 + i)
    taken = live.take_ack_requests()
    assert taken == [
        {"alert_id": f"alert-{i}", "by": "Lan", "comment": f"ghi chú {i}", "at_ms": 100 + i}
        for i in range(3)
    ]


def test_ping_and_an_empty_update(live):
    live.ping()
    live.apply(LiveUpdate(window_len=live.window_len))
    assert live.is_empty() and live.counters() == {} and live.deadletters() == []


def test_heartbeats_replace_per_component_and_keep_their_info(live):
    assert live.heartbeats() == {}
    live.set_heartbeat("collector:c1", 1000, {"received": 5, "share_group": "g"})
    live.set_heartbeat("engine", 1500)
    live.set_heartbeat("collector:c1", 2000, {"received": 9, "ts": 1})  # "ts" is ours, not info's
    assert live.heartbeats() == {
        "collector:c1": {"ts": 2000, "received": 9},
        "engine": {"ts": 1500},
    }
    assert live.is_empty()  # heartbeats are not readings: a rebuild is still due


def stored(live, writer, readings, written_ms=1):
    update = LiveUpdate(window_len=live.window_len)
    update.add_stored(writer, written_ms, readings)
    live.apply(update)


def test_stored_batches_are_read_once_through_the_group_from_the_cut(live):
    stored(live, "collector:a", [reading("x", 1, 1.0)])  # before the cut: not handed out
    cut = live.stored_group_reset("engine")
    assert cut != "0-0"
    assert live.read_stored("engine", "e1").entries == []
    stored(live, "collector:a", [reading("x", 2, 2.0), reading("y", 2, 3.0)], written_ms=50)
    stored(live, "collector:b", [reading("z", 3, 4.0)])
    read = live.read_stored("engine", "e1", count=10)
    assert not read.lost
    assert [(e.writer, len(e.readings)) for e in read.entries] == [
        ("collector:a", 2),
        ("collector:b", 1),
    ]
    first = read.entries[0]
    assert first.written_ms == 50 and first.gap == 0
    assert first.readings[1] == reading("y", 2, 3.0)  # the whole reading, as stored
    live.ack_stored("engine", [e.id for e in read.entries])
    again = live.read_stored("engine", "e1", count=10)
    assert again.entries == [] and not again.lost


def test_a_big_batch_is_split_into_entries_in_order(live):
    live.stored_group_reset("engine")
    stored(live, "collector:a", [reading("x", t, float(t)) for t in range(2500)])
    read = live.read_stored("engine", "e1", count=10)
    assert [len(e.readings) for e in read.entries] == [1000, 1000, 500]
    assert [r.time_ns for e in read.entries for r in e.readings] == [
        t * 1_000_000 for t in range(2500)
    ]


def test_entries_trimmed_unread_are_reported_lost(live):
    live.stored_group_reset("engine")
    for t in range(300):  # far beyond stored_maxlen 10 (Redis trims approximately)
        stored(live, "collector:a", [reading("x", t, 1.0)])
    read = live.read_stored("engine", "e1", count=1000)
    assert read.lost and "trimmed" in read.why
    assert 10 <= len(read.entries) < 300
    # Once reset at the new end, nothing is lost any more.
    live.stored_group_reset("engine")
    stored(live, "collector:a", [reading("x", 400, 1.0)])
    read = live.read_stored("engine", "e1", count=1000)
    assert not read.lost and len(read.entries) == 1


def test_reading_without_a_group_is_lost(live):
    read = live.read_stored("nobody", "e1")
    assert read.lost and read.entries == []


def test_a_blocking_read_wakes_for_a_new_entry(live):
    import threading

    live.stored_group_reset("engine")
    timer = threading.Timer(0.2, stored, (live, "collector:a", [reading("x", 1, 1.0)]))
    timer.start()
    try:
        read = live.read_stored("engine", "e1", block_ms=2500)
    finally:
        timer.join()
    assert len(read.entries) == 1


def test_sources_and_sentinel(live):
    assert live.sources() == [] and live.sentinel() is None
    live.set_sources([{"source": "a", "online": True}])
    live.set_sentinel("engine-1")
    assert live.sources() == [{"source": "a", "online": True}]
    assert live.sentinel() == "engine-1"


def test_changes_wake_a_watcher_on_what_a_wall_shows_and_not_otherwise(live):
    changes = live.changes()
    try:
        assert changes.wait(0.2) is False  # subscribed; nothing happened
        apply(live, counters={"received:sensor": 1})  # counters only: no wall change
        assert changes.wait(0.2) is False
        apply(live, [reading("s1", 1000, 1.0)])
        assert changes.wait(5) is True
        assert changes.wait(0.1) is False  # one change, told once
        live.set_kpis([], 2000)
        live.set_alerts([])
        live.set_sources([])
        assert changes.wait(5) is True
        live.set_heartbeat("engine", 3000)  # heartbeats move with the clock: the tick shows them
        assert changes.wait(0.2) is False
    finally:
        changes.close()


def test_a_watch_closed_under_it_raises_the_live_state_error(live):
    """The app closes its clients while the wall's push thread waits on the changes: that
    thread gets the one error it handles (Redis: hiredis raised TypeError on the gone socket,
    killing the thread), not whatever the client library raised."""
    changes = live.changes()
    assert changes.wait(0.1) is False  # subscribed
    outcome: list[BaseException | bool] = []
    waiting = threading.Event()

    def watch() -> None:
        try:
            deadline = time.monotonic() + 3
            while time.monotonic() < deadline:
                waiting.set()
                changes.wait(0.05)
            outcome.append(False)
        except BaseException as exc:  # the test looks at which
            outcome.append(exc)

    thread = threading.Thread(target=watch)
    thread.start()
    assert waiting.wait(5)
    changes.close()
    thread.join(15)
    assert outcome and (outcome[0] is False or isinstance(outcome[0], LiveStateError)), outcome
