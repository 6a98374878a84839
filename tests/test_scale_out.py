"""Scale-out as docker-compose.yml runs it: two collectors, each with its own persistent session
(client id), on one `$share` group, and the one KPI engine, against the real Mosquitto, InfluxDB
and Redis. The broker splits the messages between the collectors; nothing is lost or stored
twice, and the engine folds every stored reading exactly once.

(MQTT 5 shared subscriptions never deliver retained messages: the simulator publishes only after
both collectors have subscribed, so every message counts.)
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from collectors.collector import Collector
from ioc.devservices import wait_until
from ioc.engine import Engine
from ioc.engine.rebuild import rebuild_from_storage
from ioc.feeds import FEEDS
from ioc.live.redis import RedisLiveState
from ioc.settings import Settings
from ioc.storage.influx import InfluxStorage
from simulators.publisher import SimConfig, SimResult, run_simulation
from tests.helpers import DATA_FEEDS, EVERYTHING, SIM_START, EngineThread, settings_from_env

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
        self.collector = Collector(s, self.storage, self.live)

    @classmethod
    def numbered(cls, env: dict[str, str], number: int) -> Replica:
        """Replica `number` of docker-compose.yml: client id ioc-collector-<number>."""
        return cls(
            settings_from_env(
                {
                    **env,
                    "IOC_MQTT_CLIENT_ID": f"ioc-collector-{number}",
                    "IOC_MQTT_SHARE_GROUP": GROUP,
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
def env(mosquitto, influxdb, influx_db, redis_url) -> dict[str, str]:
    return {
        "IOC_MQTT_URL": mosquitto.url,
        "IOC_INFLUX_URL": influxdb.url,
        "IOC_INFLUX_TOKEN": "test",
        "IOC_INFLUX_BUCKET": influx_db,
        "IOC_REDIS_URL": redis_url,
    }


@pytest.fixture
def engine(env) -> Iterator[Engine]:
    """The one KPI engine, with its own clients (as the compose service `engine`)."""
    settings = settings_from_env(env)
    replica = Replica(settings)  # only for its clients: its collector is never started
    with EngineThread(settings, replica.storage, replica.live) as engine:
        yield engine
    replica.storage.close()
    replica.live.close()


@pytest.fixture
def replicas(env) -> Iterator[list[Replica]]:
    started: list[Replica] = []
    try:
        for number in (1, 2):
            replica = Replica.numbered(env, number)
            started.append(replica)
            replica.collector.start()
            assert replica.collector.transport.wait_connected(10)
        yield started
    finally:
        for replica in started:
            replica.close()


def simulate(replicas: list[Replica], count: int, start: datetime = SIM_START) -> SimResult:
    config = SimConfig(
        mqtt_url=replicas[0].settings.mqtt_url, start=start, rate=50_000, seed=7, count=count
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


def test_the_one_kpi_engine_folds_every_reading_both_collectors_store_exactly_once(
    engine, replicas
):
    # 50 minutes back (3,000 messages span about 43): every reading is in the past (none
    # rejected as future_time) and inside every KPI's look-back, so the engine's state must be
    # the fold of exactly what storage holds — no reading missing, none twice.
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=50)
    result = simulate(replicas, 3000, start=start)
    wait_all_received(replicas, result)
    assert all(r.stored_readings > 0 for r in replicas)
    stored = sum(r.stored_readings for r in replicas)
    storage = replicas[0].storage
    in_storage = sum(points(storage, m) for m in (*DATA_FEEDS, "status"))
    assert stored == in_storage  # stored exactly once
    wait_until(
        lambda: engine.stats.folded >= stored,
        timeout=30,
        message=f"the engine folded {engine.stats.folded} of {stored}",
    )
    engine.stop()  # its state is read below: no more folding meanwhile
    assert engine.stats.folded == stored and engine.stats.repeated == 0
    assert engine.stats.rebuilds == 1  # the start only: the stream covered everything after it

    # KPI counts equal the stored counts: readings per source per minute, ticket events.
    state = engine.runner.state
    minutes = (0, 2**62)
    counted = sum(state.received.count(s, *minutes) for s in state.received.keys())  # noqa: SIM118
    # the received fold counts the periodic feeds (completeness): sensor, camera, portal
    periodic = [f.measurement for f in FEEDS.values() if f.periodic]
    assert counted == sum(points(storage, m) for m in periodic)
    assert len(state.servicedesk.events()) == points(storage, "servicedesk")
    # And the whole state is what a rebuild from storage gives at the same instant (sums of
    # floats compared to 12 digits: the two paths add them up in different orders).
    rebuilt = rebuild_from_storage(storage, engine.clock())
    assert rounded(state.to_dict()) == rounded(rebuilt.state.to_dict())


def rounded(data: object) -> object:
    if isinstance(data, float):
        return float(f"{data:.12g}")
    if isinstance(data, dict):
        return {k: rounded(v) for k, v in data.items()}
    if isinstance(data, list | tuple):
        return [rounded(v) for v in data]
    return data
