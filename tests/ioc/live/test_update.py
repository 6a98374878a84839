from ioc.live.base import LiveUpdate
from ioc.model import Reading, Rejection


def reading(source, time_ms, value, measurement="sensor"):
    return Reading(
        measurement, time_ms * 1_000_000, {"source": source, "district": "hoa-an"}, {"pm25": value}
    )


def test_newest_reading_wins_even_out_of_order():
    update = LiveUpdate()
    update.add_readings([reading("a", 2, 2.0), reading("a", 1, 1.0), reading("b", 1, 9.0)])
    assert update.latest[("sensor", "a")].fields["pm25"] == 2.0
    assert update.latest[("sensor", "b")].fields["pm25"] == 9.0


def test_windows_are_bounded():
    update = LiveUpdate(window_len=3)
    update.add_readings([reading("a", t, float(t)) for t in range(10)])
    assert list(update.windows[("a", "pm25")]) == [(7, 7.0), (8, 8.0), (9, 9.0)]


def test_merge_keeps_newest_and_adds_counters():
    old = LiveUpdate(window_len=3)
    old.add_readings([reading("a", 5, 5.0)])
    old.count({"stored:sensor": 1})
    new = LiveUpdate(window_len=3)
    new.add_readings([reading("a", 4, 4.0), reading("a", 6, 6.0)])
    new.count({"stored:sensor": 2, "received:sensor": 2})
    new.add_deadletters([Rejection("sensor", "t", "bad_json", "x", b"{", 1)])
    old.merge(new)
    assert old.latest[("sensor", "a")].time_ns == 6_000_000
    assert old.counters == {"stored:sensor": 3, "received:sensor": 2}
    assert [p[0] for p in old.windows[("a", "pm25")]] == [5, 4, 6]
    assert len(old.deadletters) == 1
    assert bool(LiveUpdate()) is False
