"""run_simulation against a real Mosquitto: acknowledged counts, statuses, stopping cleanly."""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import orjson
import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.subscribeoptions import SubscribeOptions

from ioc.devservices import Mosquitto, free_port, wait_until
from ioc.errors import BrokerError
from simulators import city
from simulators.publisher import SimConfig, SimProgress, run_simulation
from tests.helpers import DATA_FEEDS

START = datetime(2026, 7, 6, 1, 0, tzinfo=UTC)  # Monday 08:00 local: desks are busy
N_DEVICES = len(city.all_devices())


class Recorder:
    """A QoS 1 subscriber that keeps every message it receives."""

    def __init__(self, url: str, topics: tuple[str, ...]) -> None:
        host, port = url.removeprefix("mqtt://").split(":")
        self.messages: list[mqtt.MQTTMessage] = []
        self._lock = threading.Lock()
        self._subscribed = threading.Event()
        self.client = mqtt.Client(
            mqtt.CallbackAPIVersion.VERSION2,
            client_id=f"test-rec-{uuid.uuid4().hex[:8]}",
            protocol=mqtt.MQTTv5,
        )
        self.client.on_message = self._on_message
        self.client.on_subscribe = lambda *args: self._subscribed.set()
        self.client.connect(host, int(port))
        self.client.loop_start()
        options = SubscribeOptions(qos=1, retainAsPublished=True)
        self.client.subscribe([(t, options) for t in topics])
        assert self._subscribed.wait(10), "no SUBACK"

    def _on_message(self, client: mqtt.Client, userdata: Any, msg: mqtt.MQTTMessage) -> None:
        with self._lock:
            self.messages.append(msg)

    def snapshot(self) -> list[mqtt.MQTTMessage]:
        with self._lock:
            return list(self.messages)

    def count_by_feed(self) -> Counter[str]:
        return Counter(m.topic.split("/")[1] for m in self.snapshot())

    def statuses(self) -> dict[str, list[tuple[bytes, bool]]]:
        out: dict[str, list[tuple[bytes, bool]]] = {}
        for m in self.snapshot():
            if m.topic.startswith("ioc/status/"):
                out.setdefault(m.topic.split("/")[2], []).append((m.payload, m.retain))
        return out

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


@pytest.fixture
def recorder(mosquitto: Mosquitto) -> Iterator[Recorder]:
    rec = Recorder(mosquitto.url, tuple(f"ioc/{f}/#" for f in (*DATA_FEEDS, "status")))
    yield rec
    rec.close()


def test_subscriber_receives_exactly_what_was_acknowledged(
    mosquitto: Mosquitto, recorder: Recorder
) -> None:
    seen: list[SimProgress] = []
    result = run_simulation(
        SimConfig(mqtt_url=mosquitto.url, seed=1, start=START, count=500, rate=20_000),
        progress=seen.append,
    )
    assert result.published == 500 and result.unacked == 0 and not result.interrupted
    assert sum(result.sent[f] for f in DATA_FEEDS) == 500
    assert result.bad == 0
    assert all(result.sent[f] > 0 for f in DATA_FEEDS)
    assert result.sent["status"] == 2 * N_DEVICES  # online + offline for every device
    assert seen and seen[-1].published == 500

    expected = {f: result.sent[f] for f in DATA_FEEDS} | {"status": result.sent["status"]}
    wait_until(lambda: recorder.count_by_feed() == expected, timeout=20, message="all messages")

    statuses = recorder.statuses()
    assert set(statuses) == {d.source_id for d in city.all_devices()}
    for history in statuses.values():
        assert history == [(b"online", True), (b"offline", True)]

    # last_by_source is the last valid payload each source published
    last: dict[str, Any] = {}
    for m in recorder.snapshot():
        if not m.topic.startswith("ioc/status/"):
            last[m.topic.split("/")[3]] = orjson.loads(m.payload)
    assert set(result.last_by_source) == set(last)
    senml = {s.source_id for s in city.SENSORS if s.senml}
    for source, body in last.items():
        if source in senml:
            assert result.last_by_source[source]["values"] == {r["n"]: r["v"] for r in body}
        else:
            assert result.last_by_source[source] == body


def retained_statuses(url: str) -> dict[str, bytes]:
    rec = Recorder(url, ("ioc/status/#",))
    try:
        wait_until(
            lambda: len(rec.statuses()) == N_DEVICES, timeout=10, message="retained statuses"
        )
        return {src: history[-1][0] for src, history in rec.statuses().items()}
    finally:
        rec.close()


def test_devices_are_online_during_the_run_and_offline_after(mosquitto: Mosquitto) -> None:
    during: dict[str, bytes] = {}

    def look(progress: SimProgress) -> None:
        if not during:
            during.update(retained_statuses(mosquitto.url))

    result = run_simulation(
        SimConfig(mqtt_url=mosquitto.url, start=START, duration=1.5, rate=300), progress=look
    )
    assert set(during.values()) == {b"online"}
    assert set(retained_statuses(mosquitto.url).values()) == {b"offline"}
    assert result.sent["status"] == 2 * N_DEVICES
    assert 250 <= result.published <= 460  # ≈ rate × duration (less while devices connect)


def test_bad_messages_are_counted_apart(mosquitto: Mosquitto, recorder: Recorder) -> None:
    result = run_simulation(
        SimConfig(
            mqtt_url=mosquitto.url,
            start=START,
            count=1000,
            rate=20_000,
            bad_ratio=0.2,
            protocol="mqttv311",
            device_status=False,
        )
    )
    assert 120 < result.bad < 280
    assert sum(result.sent[f] for f in DATA_FEEDS) + result.bad == 1000
    assert result.sent["status"] == 0
    wait_until(lambda: sum(recorder.count_by_feed().values()) == 1000, timeout=20, message="all")
    line = orjson.loads(result.to_json_line())
    assert line == {
        "sent": {f: result.sent[f] for f in (*DATA_FEEDS, "status")},
        "bad": result.bad,
    }
    assert list(line["sent"]) == [*DATA_FEEDS, "status"]


def test_rate_is_respected(mosquitto: Mosquitto) -> None:
    began = time.monotonic()
    result = run_simulation(
        SimConfig(mqtt_url=mosquitto.url, count=200, rate=400, device_status=False)
    )
    assert 0.4 <= time.monotonic() - began < 5
    assert sum(result.sent[f] for f in DATA_FEEDS) == 200


def test_stop_event_and_ctrl_c_end_the_run_cleanly(mosquitto: Mosquitto) -> None:
    stop = threading.Event()

    def stop_once_publishing(progress: SimProgress) -> None:
        if progress.published > 0:  # the device connections are up and data flows
            stop.set()

    began = time.monotonic()
    result = run_simulation(
        SimConfig(mqtt_url=mosquitto.url, rate=500), stop=stop, progress=stop_once_publishing
    )
    assert time.monotonic() - began < 30
    assert not result.interrupted and result.published > 0
    assert result.unacked == 0 and result.sent["status"] == 2 * N_DEVICES

    calls: list[SimProgress] = []

    def interrupt(progress: SimProgress) -> None:
        calls.append(progress)
        if len(calls) == 1:  # one Ctrl-C
            raise KeyboardInterrupt

    result = run_simulation(SimConfig(mqtt_url=mosquitto.url, rate=500), progress=interrupt)
    assert result.interrupted and result.published > 0 and len(calls) == 2
    assert sum(result.sent[f] for f in DATA_FEEDS) + result.bad == result.published
    assert set(retained_statuses(mosquitto.url).values()) == {b"offline"}


def test_speed_paces_by_simulated_time(mosquitto: Mosquitto) -> None:
    result = run_simulation(
        SimConfig(
            mqtt_url=mosquitto.url,
            start=START,
            speed=600,
            duration=1.0,
            rate=10_000,
            device_status=False,
        )
    )
    assert result.sim_start is not None and result.sim_end is not None
    assert (result.sim_end - result.sim_start).total_seconds() <= 600 + 60


def test_unreachable_broker_is_a_broker_error() -> None:
    with pytest.raises(BrokerError, match="cannot reach"):
        run_simulation(SimConfig(mqtt_url=f"mqtt://127.0.0.1:{free_port()}", count=1))


def test_config_is_checked() -> None:
    with pytest.raises(ValueError):
        SimConfig(rate=0)
    with pytest.raises(ValueError):
        SimConfig(protocol="mqttv4")
    with pytest.raises(ValueError):
        SimConfig(scenario="earthquake")
    with pytest.raises(ValueError):
        SimConfig(mqtt_url="http://localhost")


def test_max_ahead_keeps_simulated_time_near_the_clock(mosquitto: Mosquitto) -> None:
    result = run_simulation(
        SimConfig(
            mqtt_url=mosquitto.url,
            rate=10_000,
            duration=1.0,
            max_ahead_s=120,
            device_status=False,
        )
    )
    assert result.sim_end is not None
    assert result.sim_end.timestamp() <= time.time() + 120 + 60  # one interval of slack
    assert 0 < result.published < 1000  # ≈ 73 devices × 3 minutes of simulated time
