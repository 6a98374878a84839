"""Scale-out as docker-compose.yml runs it: two collectors, each with its own persistent session
(client id), on one `$share` group, against the real Mosquitto, InfluxDB and Redis. The broker
splits the messages between them; nothing is lost or stored twice.

(MQTT 5 shared subscriptions never deliver retained messages: the simulator publishes only after
both collectors have subscribed, so every message counts.)
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import pytest

from collectors.collector import Collector
from ioc.devservices import wait_until
from ioc.kpis.runner import runner_from_settings
from ioc.live.redis import RedisLiveState
from ioc.model import Reading
from ioc.settings import Settings
from ioc.storage.influx import InfluxStorage
from simulators.publisher import SimConfig, SimResult, run_simulation
from tests.helpers import DATA_FEEDS, EVERYTHING, SIM_START, settings_from_env

pytestmark = pytest.mark.services

GROUP = "collectors"


class Replica:
    """One collector process's worth: its own settings, storage and live-state clients."""

    def __init__(self, settings: Settings) -> None:
        self.settings = s = settings
        self.storage = InfluxStorage(
            s.influx_url, s.influx_token.get_secret_value(), s.influx_org, s.influx_bucket
        )
        self.live = RedisLiveState(s.redis_url)
        self.kpis = runner_from_settings(s, self.live, self.storage) if s.kpi_engine else None
        self.kpi_readings = 0
        if self.kpis is not None:
            fold = self.kpis.add

            def counting_fold(readings: Iterable[Reading]) -> None:
                readings = list(readings)
                self.kpi_readings += len(readings)
                fold(readings)

            self.kpis.add = counting_fold  # type: ignore[method-assign]
        self.collector = Collector(s, self.storage, self.live, self.kpis)

    @classmethod
    def numbered(cls, env: dict[str, str], number: int, kpi_engine: bool) -> Replica:
        """Replica `number` of docker-compose.yml: client id ioc-collector-<number>."""
        return cls(
            settings_from_env(
                {
                    **env,
                    "IOC_MQTT_CLIENT_ID": f"ioc-collector-{number}",
                    "IOC_MQTT_SHARE_GROUP": GROUP,
                    "IOC_KPI_ENGINE": str(kpi_engine).lower(),
                }
            )
        )

    @property
    def received(self) -> int:
        return self.collector.pipeline.stats.received

    @property
    def stored_readings(self) -> int:
        return self.collector.pipeline.stats.stored_readings

    def close(self) -> None:
        self.collector.stop()
        self.storage.close()
        self.live.close()


@pytest.fixture
def replicas(mosquitto, influxdb, influx_db, redis_url) -> Iterator[list[Replica]]:
    env = {
        "IOC_MQTT_URL": mosquitto.url,
        "IOC_INFLUX_URL": influxdb.url,
        "IOC_INFLUX_TOKEN": "test",
        "IOC_INFLUX_BUCKET": influx_db,
        "IOC_REDIS_URL": redis_url,
    }
    started: list[Replica] = []
    try:
        for number, kpi_engine in ((1, True), (2, False)):
            replica = Replica.numbered(env, number, kpi_engine)
            started.append(replica)
            replica.collector.start()
            assert replica.collector.transport.wait_connected(10)
        yield started
    finally:
        for replica in started:
            replica.close()


def simulate(replicas: list[Replica], count: int) -> SimResult:
    config = SimConfig(
        mqtt_url=replicas[0].settings.mqtt_url, start=SIM_START, rate=50_000, seed=7, count=count
    )
    return run_simulation(config)


def points(storage: InfluxStorage, measurement: str) -> int:
    return len(storage.records(measurement, EVERYTHING, limit=10**7))


def wait_all_received(replicas: list[Replica], result: SimResult) -> None:
    published = sum(result.sent.values())  # data messages + device status messages
    wait_until(
        lambda: sum(r.received for r in replicas) >= published,
        timeout=120,
        interval=0.25,
        message=f"{[r.received for r in replicas]} received of {published}",
    )
    storage = replicas[0].storage
    for feed in DATA_FEEDS:
        wait_until(
            lambda f=feed: points(storage, f) >= result.sent[f],
            timeout=120,
            interval=0.25,
            message=f"{feed}: only {points(storage, feed)} of {result.sent[feed]} stored",
        )


def test_two_collectors_split_20000_messages_and_nothing_is_lost_or_doubled(replicas):
    result = simulate(replicas, 20_000)
    assert sum(result.sent[f] for f in DATA_FEEDS) == 20_000 and result.bad == 0
    wait_all_received(replicas, result)

    received = [r.received for r in replicas]
    assert sum(received) == 20_000 + result.sent["status"]  # each message to exactly one
    assert all(share > 0.2 * sum(received) for share in received), received

    storage = replicas[0].storage
    for feed in DATA_FEEDS:
        assert points(storage, feed) == result.sent[feed], feed  # one point per valid message
    tickets = storage.records("servicedesk", EVERYTHING, limit=10**6)
    assert len(tickets.drop_duplicates(["ticket_id", "event"])) == result.sent["servicedesk"]
    counters = replicas[0].live.counters()  # the live state both collectors update
    for feed in DATA_FEEDS:
        assert counters[f"stored:{feed}"] == result.sent[feed], feed
    assert not any(key.startswith("rejected:") for key in counters)
    assert [r.kpis is not None for r in replicas] == [True, False]


def test_a_stopped_replica_keeps_its_share_queued_in_the_broker_until_it_returns(replicas):
    """Mosquitto goes on giving a stopped replica's persistent session its turn: that share
    waits in the broker (not taken over by the running replica) and arrives on restart."""
    running, stopped = replicas
    stopped.collector.stop()
    result = simulate(replicas, 4000)  # returns once the broker has acknowledged everything
    published = sum(result.sent.values())
    back = Replica(stopped.settings)  # a new process with the same client id: the same session
    try:
        back.collector.start()
        assert back.collector.transport.wait_connected(10)
        wait_until(
            lambda: running.received + stopped.received + back.received >= published,
            timeout=60,
            interval=0.25,
            message="the stopped replica's share never arrived",
        )
        assert running.received + stopped.received + back.received == published
        assert back.received > 0.3 * published  # its share, queued while it was down
        storage = running.storage
        for feed in DATA_FEEDS:
            wait_until(lambda f=feed: points(storage, f) >= result.sent[f], timeout=60)
            assert points(storage, feed) == result.sent[feed], feed
    finally:
        back.close()


def test_the_one_kpi_engine_folds_the_readings_both_collectors_store(replicas):
    result = simulate(replicas, 3000)
    wait_all_received(replicas, result)
    engine, other = replicas
    assert other.stored_readings > 0
    wait_until(lambda: engine.kpi_readings >= engine.stored_readings, timeout=10)
    assert engine.kpi_readings == engine.stored_readings + other.stored_readings
