"""The pipeline with messages handed to it directly (no MQTT): its logic on the embedded backends
(no service); outages and a poisoned InfluxDB on the real services."""

import threading

import orjson
import pytest
import urllib3

from collectors.pipeline import Pipeline, Stopping
from ioc.devservices import wait_until
from ioc.errors import LiveStateError
from ioc.live.redis import RedisLiveState
from ioc.model import Message
from ioc.storage.base import TimeRange
from ioc.storage.influx import InfluxStorage

T0_MS = 1_593_565_200_000
DAY = TimeRange(T0_MS * 1_000_000 - 86_400 * 10**9, T0_MS * 1_000_000 + 86_400 * 10**9)


def sensor(i, source="air-01", pm25=12.5):
    payload = orjson.dumps({"ts": T0_MS + i * 1000, "kind": "air", "values": {"pm25": pm25}})
    return Message(f"ioc/sensor/hoa-an/{source}", payload, T0_MS * 1_000_000, mid=i, qos=1)


def camera(i):
    payload = orjson.dumps({"ts": T0_MS + i * 1000, "site": "ta-lung-border-gate", "queue_m": 5.0})
    return Message("ioc/camera/quang-hoa/cam-01", payload, T0_MS * 1_000_000, mid=100 + i, qos=1)


class Harness:
    def __init__(self, storage, live):
        self.storage = storage
        self.live = live
        self.published = []
        self.acked = []
        self.stop = threading.Event()
        self.pipeline = Pipeline(
            self.storage,
            self.live,
            publish=self.publish,
            ack=self.ack,
            stop_event=self.stop,
            max_backoff_s=0.2,
            probe_s=0.05,
            writer="collector:test",
        )
        live.stored_group_reset("engine")

    def appended(self):
        """The readings appended to the stored-batch stream since the harness started."""
        entries = self.live.read_stored("engine", "test", count=1000).entries
        assert all(e.writer == "collector:test" for e in entries)
        return [r for e in entries for r in e.readings]

    def ack(self, messages):
        self.acked.extend(m.mid for m in messages)
        return len(messages)

    def publish(self, letters):
        self.published += [(topic, orjson.loads(payload)) for topic, payload in letters]
        return len(letters)


@pytest.fixture
def harness(sqlite_storage, memory_live):
    return Harness(sqlite_storage, memory_live)


@pytest.fixture
def served(influxdb, influx_db, redis_url):
    """The same harness on real InfluxDB and Redis, for what only a service does: go away, or
    hold what another writer put there."""
    harness = Harness(InfluxStorage(influxdb.url, "t", "ioc", influx_db), RedisLiveState(redis_url))
    harness.influx_url, harness.bucket = influxdb.url, influx_db
    yield harness
    harness.storage.close()
    harness.live.close()


def test_batch_stored_rejected_dead_lettered_and_acked_in_order(harness):
    bad = Message("ioc/sensor/hoa-an/air-02", b"{not json", T0_MS * 1_000_000, mid=50, qos=1)
    batch = [sensor(1), bad, sensor(2), camera(1)]
    harness.pipeline.process(batch)

    assert harness.acked == [1, 50, 2, 101]
    assert harness.storage.count("sensor", "pm25", DAY) == 2
    assert harness.storage.count("camera", "queue_m", DAY) == 1
    ((topic, letter),) = harness.published
    assert topic == "ioc/deadletter/sensor"
    assert letter["reason"] == "bad_json" and letter["payload"] == "{not json"
    counters = harness.live.counters()
    assert counters["received:sensor"] == 3
    assert counters["stored:sensor"] == 2
    assert counters["rejected:sensor:bad_json"] == 1
    assert harness.live.deadletters()[0]["reason"] == "bad_json"
    # what was stored, in order, for the KPI engine (which publishes the latest values)
    appended = harness.appended()
    assert [(r.measurement, r.time_ns // 1_000_000) for r in appended] == [
        ("sensor", T0_MS + 1000),
        ("sensor", T0_MS + 2000),
        ("camera", T0_MS + 1000),
    ]
    assert [ms for ms, _ in harness.live.window("air-01", "pm25")] == [T0_MS + 1000, T0_MS + 2000]


def test_status_gets_the_district_of_its_source(harness):
    harness.pipeline.process([sensor(1, source="air-09")])
    status = Message("ioc/status/air-09", b"offline", T0_MS * 1_000_000 + 5, mid=7, qos=1)
    unknown = Message("ioc/status/never-seen", b"online", T0_MS * 1_000_000 + 5, mid=8, qos=1)
    harness.pipeline.process([status, unknown])
    latest = {r.source: r for r in harness.appended() if r.measurement == "status"}
    assert latest["air-09"].tags["district"] == "hoa-an"
    assert latest["air-09"].fields["online"] == 0
    assert latest["never-seen"].tags["district"] == "unknown"
    assert harness.storage.count("status", "online", DAY, where={"district": "hoa-an"}) == 1


def test_storage_refusal_is_bisected_to_the_bad_readings(served):
    harness = served
    # pm25 stored once as a string by another writer (ours refuses it: the schema says float):
    # InfluxDB now refuses every float pm25 in that shard.
    line = f'sensor,district=hoa-an,source=x pm25="oops" {(T0_MS - 1) * 1_000_000}'
    response = urllib3.PoolManager().request(
        "POST",
        f"{harness.influx_url}/api/v2/write?bucket={harness.bucket}&org=ioc&precision=ns",
        body=line.encode(),
        headers={"Authorization": "Token t"},
    )
    assert response.status == 204, response.data
    batch = [sensor(1), camera(1), sensor(2), camera(2), camera(3)]
    harness.pipeline.process(batch)
    assert harness.acked == [1, 101, 2, 102, 103]
    assert harness.storage.count("camera", "queue_m", DAY) == 3
    reasons = sorted(letter["reason"] for _, letter in harness.published)
    assert reasons == ["storage_rejected", "storage_rejected"]
    assert harness.live.counters()["rejected:sensor:storage_rejected"] == 2


def test_live_state_outage_does_not_stop_storage_or_acks(served, redis_server):
    harness = served
    redis_server.stop()
    harness.pipeline.process([sensor(1), sensor(2)])
    assert harness.acked == [1, 2]
    assert harness.storage.count("sensor", "pm25", DAY) == 2
    assert harness.pipeline.stats.live_failures == 1
    redis_server.start()

    def reset() -> bool:  # as the engine does once Redis answers again (the live state's
        try:  # breaker refuses calls for a moment after a failure: it is polled, not hammered)
            harness.live.stored_group_reset("engine")
        except LiveStateError:
            return False
        return True

    wait_until(reset, timeout=15, interval=0.25, message="the live state back after Redis")
    harness.pipeline.process([sensor(3)])  # applies the backlog with the new batch
    assert harness.live.counters()["stored:sensor"] == 3
    appended = [r.time_ns // 1_000_000 for r in harness.appended()]
    assert appended == [T0_MS + 1000, T0_MS + 2000, T0_MS + 3000]  # the backlog kept them
    assert [ms for ms, _ in harness.live.window("air-01", "pm25")] == [
        T0_MS + 1000,
        T0_MS + 2000,
        T0_MS + 3000,
    ]


def test_storage_outage_keeps_retrying_and_never_acks(served, influxdb):
    harness = served
    influxdb.stop()
    errors = []

    def run():
        try:
            harness.pipeline.process([sensor(1)])
        except Stopping as exc:
            errors.append(exc)

    worker = threading.Thread(target=run)
    worker.start()
    wait_until(
        lambda: harness.pipeline.stats.storage_probes >= 3,
        timeout=10,
        message="pipeline did not probe storage",
    )
    assert harness.pipeline.stats.storage_retries >= 1
    harness.stop.set()
    worker.join(10)
    assert errors and isinstance(errors[0], Stopping)
    assert harness.acked == []
    influxdb.start()


def test_after_an_outage_the_write_is_retried_as_soon_as_storage_answers(served, influxdb):
    harness = served
    """Defect 8: retries backed off to 30 s, so a 60 s outage took 45 s to catch up. Now a cheap
    probe runs every `probe_s` (0.05 s here) and the write follows as soon as it answers."""
    influxdb.stop()
    done = threading.Event()
    worker = threading.Thread(target=lambda: (harness.pipeline.process([sensor(1)]), done.set()))
    worker.start()
    # Long enough for the old doubling backoff (0.2 s → 30 s cap) to reach 6.4 s between tries.
    wait_until(lambda: harness.pipeline.stats.storage_probes >= 40, timeout=30, message="probes")
    probes = harness.pipeline.stats.storage_probes
    influxdb.start()
    assert done.wait(30), "not stored after storage came back"
    # Stored right after the first probes that found it answering — not after a long backoff.
    assert harness.pipeline.stats.storage_probes - probes <= 5
    assert harness.acked == [1]
    worker.join(10)


def test_dead_letters_the_transport_sheds_are_counted(harness):
    offered = []

    def publish(letters):  # the transport took the first one and shed the rest
        offered.extend(letters)
        return 1

    harness.pipeline._publish = publish
    bad = [
        Message("ioc/sensor/hoa-an/air-02", b"{", T0_MS * 1_000_000, mid=i, qos=1) for i in range(4)
    ]
    harness.pipeline.process([*bad, sensor(1)])
    assert len(offered) == 4  # one call for the batch
    assert harness.pipeline.stats.deadletter_dropped == 3
    counters = harness.live.counters()
    assert counters["deadletter_dropped"] == 3
    assert counters["rejected:sensor:bad_json"] == 4
    assert harness.acked == [0, 1, 2, 3, 1]
