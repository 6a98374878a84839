"""What only MemoryLiveState does; the shared behaviour is in test_contract.py (run on both)."""

import threading

from ioc.live.base import LiveUpdate
from ioc.live.memory import MemoryLiveState
from ioc.model import Reading, Rejection


def update_with(source, time_ms, counters=None, deadletters=()):
    update = LiveUpdate(window_len=8)
    tags = {"source": source, "district": "hoa-an"}
    update.add_readings([Reading("sensor", time_ms * 1_000_000, tags, {"pm25": float(time_ms)})])
    update.count(counters or {})
    update.add_deadletters(deadletters)
    return update


def test_deadletters_are_bounded_exactly():
    live = MemoryLiveState(deadletter_maxlen=10)
    letters = [Rejection("sensor", "t", "bad_json", "x", b"{", i * 10**6) for i in range(25)]
    update = LiveUpdate()
    update.add_deadletters(letters)
    live.apply(update)
    assert [letter["received_ms"] for letter in live.deadletters(count=100)] == list(
        range(24, 14, -1)
    )


def test_instances_share_nothing():
    one, two = MemoryLiveState(), MemoryLiveState()
    one.apply(update_with("a", 1, {"stored:sensor": 1}))
    one.request_ack("x", "Lan", "", 1)
    assert two.is_empty() and two.counters() == {} and two.take_ack_requests() == []


def test_threads_apply_and_read_without_losing_anything():
    live = MemoryLiveState(window_len=8)
    errors = []

    def writer(n):
        for t in range(500):
            live.apply(update_with(f"s{n}", t, {"stored:sensor": 1}))

    def reader():
        try:
            for _ in range(300):
                live.latest("sensor")
                live.window("s0", "pm25")
                live.counters()
                live.deadletters()
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(6)]
    threads += [threading.Thread(target=reader) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert live.counters() == {"stored:sensor": 3000}
    assert live.last_seen() == {f"s{n}": 499 for n in range(6)}
    assert live.window("s3", "pm25") == [(t, float(t)) for t in range(492, 500)]


def test_close_keeps_the_state_readable():
    live = MemoryLiveState()
    live.apply(update_with("a", 1))
    live.close()
    live.ping()
    assert live.last_seen() == {"a": 1}
