"""RedisLiveState against a real Redis."""

import pytest

from ioc.devservices import Redis
from ioc.errors import LiveStateError
from ioc.live.base import LiveUpdate
from ioc.live.redis import RedisLiveState
from ioc.model import Reading, Rejection

pytestmark = pytest.mark.services


def reading(source, time_ms, value, district="hoa-an"):
    return Reading(
        "sensor",
        time_ms * 1_000_000,
        {"source": source, "district": district, "kind": "air"},
        {"pm25": value},
    )


@pytest.fixture
def live(redis_url):
    live = RedisLiveState(redis_url, window_len=4, deadletter_maxlen=50)
    yield live
    live.close()


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


def test_deadletter_stream_is_bounded(live):
    rejections = [Rejection("sensor", "t", "bad_json", "x", b"{", i) for i in range(500)]
    apply(live, deadletters=rejections)
    assert 50 <= len(live.deadletters(count=1000)) < 500


def test_unreachable_raises_live_state_error(tmp_path):
    server = Redis(tmp_path)
    server.start()
    live = RedisLiveState(server.url)
    live.ping()
    server.stop()
    with pytest.raises(LiveStateError):
        apply(live, [reading("a", 1, 1.0)])
    server.start()
    apply(live, [reading("a", 1, 1.0)])  # reconnects by itself
    assert live.latest("sensor")["a"].fields["pm25"] == 1.0
    live.close()
    server.close()


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
