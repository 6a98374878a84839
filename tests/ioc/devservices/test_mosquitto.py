"""The project's mosquitto.conf on a real broker: QoS 1, persistent sessions, raised queue limit."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest

from ioc.devservices import DevServiceError, Mosquitto, wait_until
from ioc.devservices.mosquitto import REPO_CONF, render_config

pytestmark = pytest.mark.services

TOPIC = "ioc/sensor/hoa-an/aq-01"


class Inbox:
    """Messages received by a client, thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.payloads: list[bytes] = []

    def add(self, payload: bytes) -> None:
        with self._lock:
            self.payloads.append(payload)

    def __len__(self) -> int:
        with self._lock:
            return len(self.payloads)


@contextmanager
def connected(
    broker: Mosquitto, client_id: str, *, clean: bool = True, inbox: Inbox | None = None
) -> Iterator[mqtt.Client]:
    """A paho 2 client (VERSION2 callbacks), connected, subscribed to TOPIC at QoS 1 if inbox."""
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id, clean_session=clean)
    client.max_inflight_messages_set(1000)
    client.max_queued_messages_set(0)
    ready = threading.Event()

    def on_connect(
        c: mqtt.Client, userdata: object, flags: object, rc: object, props: object
    ) -> None:
        if inbox is not None:
            c.subscribe(TOPIC, qos=1)
        else:
            ready.set()

    def on_subscribe(
        c: mqtt.Client, userdata: object, mid: int, rcs: object, props: object
    ) -> None:
        ready.set()

    def on_message(c: mqtt.Client, userdata: object, message: mqtt.MQTTMessage) -> None:
        assert inbox is not None
        inbox.add(message.payload)

    client.on_connect = on_connect
    client.on_subscribe = on_subscribe
    client.on_message = on_message
    client.connect("127.0.0.1", broker.port)
    client.loop_start()
    try:
        wait_until(ready.is_set, timeout=10, message=f"{client_id} connected")
        yield client
    finally:
        client.disconnect()
        client.loop_stop()


def publish_all(broker: Mosquitto, count: int) -> None:
    with connected(broker, "publisher") as publisher:
        infos = [publisher.publish(TOPIC, str(i).encode(), qos=1) for i in range(count)]
        assert all(info.rc == mqtt.MQTT_ERR_SUCCESS for info in infos)
        wait_until(
            lambda: all(info.is_published() for info in infos),
            timeout=30,
            message=f"broker acknowledged {count} QoS 1 publishes",
        )


def queue_while_offline(broker: Mosquitto, count: int) -> Inbox:
    """Subscribe with a persistent session, go offline, publish `count`, come back; the inbox."""
    with connected(broker, "collector", clean=False, inbox=Inbox()):
        pass
    publish_all(broker, count)
    inbox = Inbox()
    with connected(broker, "collector", clean=False, inbox=inbox):
        wait_until(lambda: len(inbox) >= count, timeout=30, message=f"{count} messages")
        # anything beyond `count` (duplicates) would arrive right behind: look once more
        with connected(broker, "probe"):
            pass
    return inbox


def test_qos1_publish_is_acknowledged(mosquitto: Mosquitto) -> None:
    with connected(mosquitto, "device") as device:
        info = device.publish(TOPIC, b'{"kind": "air", "values": {"pm25": 1.0}}', qos=1)
        info.wait_for_publish(timeout=10)
        assert info.is_published()


def test_persistent_session_gets_messages_queued_while_offline(mosquitto: Mosquitto) -> None:
    inbox = queue_while_offline(mosquitto, 10)
    assert inbox.payloads == [str(i).encode() for i in range(10)]


def test_more_than_default_1000_queued_messages_are_kept(mosquitto: Mosquitto) -> None:
    inbox = queue_while_offline(mosquitto, 5000)
    assert inbox.payloads == [str(i).encode() for i in range(5000)]


def test_queue_survives_a_broker_restart(mosquitto: Mosquitto) -> None:
    with connected(mosquitto, "collector", clean=False, inbox=Inbox()):
        pass
    publish_all(mosquitto, 50)
    port = mosquitto.port
    mosquitto.restart()
    assert mosquitto.port == port
    inbox = Inbox()
    with connected(mosquitto, "collector", clean=False, inbox=inbox):
        wait_until(lambda: len(inbox) >= 50, timeout=10, message="50 messages after restart")
    assert inbox.payloads == [str(i).encode() for i in range(50)]


def test_1000_messages_may_be_in_flight_unacknowledged(mosquitto: Mosquitto) -> None:
    """A manual-ack collector gets a whole batch before acking (the default window is 20)."""
    received = Inbox()
    subscribed = threading.Event()
    collector = mqtt.Client(
        mqtt.CallbackAPIVersion.VERSION2,
        client_id="collector",
        clean_session=False,
        manual_ack=True,
    )
    collector.on_subscribe = lambda *args: subscribed.set()
    collector.on_message = lambda client, userdata, message: received.add(message.payload)
    collector.connect("127.0.0.1", mosquitto.port)
    collector.loop_start()
    try:
        collector.subscribe(TOPIC, qos=1)
        wait_until(subscribed.is_set, timeout=10, message="SUBACK")
        publish_all(mosquitto, 1500)
        wait_until(lambda: len(received) >= 1000, timeout=10, message="1000 in flight")
        with connected(mosquitto, "probe"):
            pass
        assert len(received) == 1000  # nothing acknowledged: the window is full
    finally:
        collector.disconnect()
        collector.loop_stop()


def test_broker_defaults_would_drop_messages(tmp_path: Path) -> None:
    """The control experiment: without the project's conf the 5,000-message test fails."""
    conf = tmp_path / "defaults.conf"
    conf.write_text("listener 1883\nallow_anonymous true\nlog_dest stdout\n")
    with Mosquitto(tmp_path / "broker", conf=conf) as broker:
        with connected(broker, "collector", clean=False, inbox=Inbox()):
            pass
        publish_all(broker, 5000)
        inbox = Inbox()
        with connected(broker, "collector", clean=False, inbox=inbox):
            wait_until(lambda: len(inbox) >= 1000, timeout=10, message="the default queue")
            with connected(broker, "probe"):
                pass
    assert len(inbox) == 1000  # measured with 2.0.11: the default max_queued_messages, exactly


def test_generated_config_changes_only_deployment_lines(tmp_path: Path) -> None:
    source = REPO_CONF.read_text(encoding="utf-8")
    text = render_config(source, port=4242, datadir=tmp_path, logfile=tmp_path / "m.log")
    lines = {line for line in text.splitlines() if line and not line.startswith("#")}
    assert "listener 4242 127.0.0.1" in lines
    assert f"persistence_location {tmp_path}/" in lines
    assert f"log_dest file {tmp_path / 'm.log'}" in lines
    for kept in (
        "persistence true",
        "max_queued_messages 1000000",
        "max_inflight_messages 1000",
        "allow_anonymous true",
    ):
        assert kept in lines
    assert "listener 1883" not in lines


def test_missing_project_config_is_a_clear_error(tmp_path: Path) -> None:
    broker = Mosquitto(tmp_path, conf=tmp_path / "nope.conf")
    with pytest.raises(DevServiceError, match=r"nope\.conf is missing"):
        broker.start()


def test_a_broker_that_dies_at_start_reports_its_log(tmp_path: Path) -> None:
    conf = tmp_path / "bad.conf"
    conf.write_text("listener 1883\nno_such_option 1\n")
    with pytest.raises(DevServiceError, match=r"(?s)exited with code.*no_such_option"):
        Mosquitto(tmp_path / "broker", conf=conf).start()
