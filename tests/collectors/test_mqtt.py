"""MqttTransport against a real Mosquitto: credentials, re-subscription, acknowledgement."""

import queue
import subprocess

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from collectors.mqtt import MqttTransport
from ioc.devservices import Mosquitto, wait_until
from ioc.devservices.mosquitto import REPO_CONF
from ioc.errors import BrokerAuthError
from ioc.settings import parse_mqtt_url

pytestmark = pytest.mark.services


def publish(port, topic, payload, **auth):
    client = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    if auth:
        client.username_pw_set(auth["user"], auth["password"])
    client.connect("127.0.0.1", port)
    client.loop_start()
    client.publish(topic, payload, qos=1).wait_for_publish(10)
    client.loop_stop()
    client.disconnect()


@pytest.fixture
def secured_broker(tmp_path):
    passwords = tmp_path / "passwd"
    subprocess.run(
        ["mosquitto_passwd", "-b", "-c", str(passwords), "collector", "right"], check=True
    )
    conf = tmp_path / "secured.conf"
    conf.write_text(
        REPO_CONF.read_text().replace("allow_anonymous true", "allow_anonymous false")
        + f"\npassword_file {passwords}\n"
    )
    broker = Mosquitto(tmp_path / "broker", conf=conf)
    broker.start()
    yield broker
    broker.close()


def test_bad_credentials_stop_instead_of_retrying(secured_broker):
    address = parse_mqtt_url(f"mqtt://collector:wrong@127.0.0.1:{secured_broker.port}")
    transport = MqttTransport(address, "c1", ["ioc/sensor/#"], lambda m: None)
    transport.start()
    try:
        with pytest.raises(BrokerAuthError, match=r"Bad user name or password|Not authorized"):
            transport.wait_connected(10)
    finally:
        transport.stop()


def test_good_credentials_receive(secured_broker):
    inbox = queue.SimpleQueue()
    address = parse_mqtt_url(f"mqtt://collector:right@127.0.0.1:{secured_broker.port}")
    transport = MqttTransport(address, "c1", ["ioc/sensor/#"], inbox.put)
    transport.start()
    try:
        assert transport.wait_connected(10)
        publish(
            secured_broker.port, "ioc/sensor/hoa-an/x", b"1", user="collector", password="right"
        )
        assert inbox.get(timeout=10).payload == b"1"
    finally:
        transport.stop()


def test_resubscribes_after_the_broker_lost_its_sessions(mosquitto):
    inbox = queue.SimpleQueue()
    transport = MqttTransport(parse_mqtt_url(mosquitto.url), "c1", ["ioc/sensor/#"], inbox.put)
    transport.start()
    try:
        assert transport.wait_connected(10)
        publish(mosquitto.port, "ioc/sensor/hoa-an/x", b"before")
        first = inbox.get(timeout=10)
        transport.ack([first])
        mosquitto.kill()  # SIGKILL: nothing persisted, every session and subscription gone
        (mosquitto.datadir / "mosquitto.db").unlink(missing_ok=True)
        mosquitto.start()
        wait_until(lambda: transport.connected, timeout=40, message="no reconnect")
        publish(mosquitto.port, "ioc/sensor/hoa-an/x", b"after")
        assert inbox.get(timeout=10).payload == b"after"
    finally:
        transport.stop()


def test_unacknowledged_messages_are_redelivered_to_the_next_session(mosquitto):
    address = parse_mqtt_url(mosquitto.url)
    inbox = queue.SimpleQueue()
    transport = MqttTransport(address, "c1", ["ioc/sensor/#"], inbox.put)
    transport.start()
    assert transport.wait_connected(10)
    for i in range(3):
        publish(mosquitto.port, "ioc/sensor/hoa-an/x", str(i).encode())
    received = [inbox.get(timeout=10) for _ in range(3)]
    assert transport.ack(received[:1]) == 1  # only the first is acknowledged
    transport.stop()

    again = queue.SimpleQueue()
    transport = MqttTransport(address, "c1", ["ioc/sensor/#"], again.put)
    transport.start()
    try:
        assert transport.wait_connected(10)
        redelivered = [again.get(timeout=10).payload for _ in range(2)]
        assert redelivered == [b"1", b"2"]
        assert again.empty()
    finally:
        transport.stop()


def test_acks_from_an_earlier_connection_are_void(mosquitto):
    inbox = queue.SimpleQueue()
    transport = MqttTransport(parse_mqtt_url(mosquitto.url), "c1", ["ioc/sensor/#"], inbox.put)
    transport.start()
    try:
        assert transport.wait_connected(10)
        publish(mosquitto.port, "ioc/sensor/hoa-an/x", b"x")
        message = inbox.get(timeout=10)
        assert message.epoch == transport.epoch == 1
        transport.client.reconnect()
        wait_until(
            lambda: transport.epoch == 2 and transport.connected, timeout=20, message="no reconnect"
        )
        assert transport.ack([message]) == 0  # its packet id may now mean another message
        assert inbox.get(timeout=10).payload == b"x"  # the broker redelivers it instead
    finally:
        transport.stop()


def test_dead_letter_publishing_is_bounded_and_sheds_only_what_it_reports(mosquitto):
    """Defect 3: `publish` ignored paho's outcome, and past 65,535 outstanding messages paho's
    16-bit ids wrapped — rejections counted, never published. Now at most `publish_window` wait
    for the broker's acknowledgement; with the broker frozen the rest are refused (False, for
    the pipeline to count as `deadletter_dropped`), and publishing resumes once it acks."""
    import os
    import signal

    received = []
    watcher = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    watcher.on_message = lambda c, u, m: received.append(m.payload)
    watcher.connect("127.0.0.1", mosquitto.port)
    watcher.subscribe("ioc/deadletter/#", qos=1)
    watcher.loop_start()
    address = parse_mqtt_url(mosquitto.url)
    transport = MqttTransport(
        address, "dl", ["ioc/sensor/#"], lambda m: None, publish_window=50, publish_wait_s=0.3
    )
    transport.start()
    try:
        assert transport.wait_connected(10)
        assert transport.publish("ioc/deadletter/sensor", b"first")
        wait_until(lambda: received == [b"first"], message="watcher subscribed")
        os.kill(mosquitto.pid, signal.SIGSTOP)
        try:
            outcomes = [transport.publish("ioc/deadletter/sensor", b"%d" % i) for i in range(200)]
        finally:
            os.kill(mosquitto.pid, signal.SIGCONT)
        assert outcomes.count(True) == 50 and outcomes.count(False) == 150
        assert outcomes[:50] == [True] * 50  # the first ones went, the rest were refused
        wait_until(lambda: transport.unacked_publishes == 0, timeout=10, message="acked")
        assert all(transport.publish("ioc/deadletter/sensor", b"after") for _ in range(10))
        wait_until(lambda: len(received) == 61, timeout=10, message="all published arrived")
        assert received[1:51] == [b"%d" % i for i in range(50)]
    finally:
        transport.stop()
        watcher.loop_stop()
        watcher.disconnect()
