"""BufferedClient: paho's private methods it overrides are still there, and through a real
Mosquitto every message arrives whole and in order (small, larger than a chunk, with and
without MQTT 5 properties, over both protocols), acknowledged only by `ack_many`; dead letters
published with `publish_many` arrive whole and in order, each PUBACK seen."""

import inspect
import queue
import threading
from importlib.metadata import version

import paho.mqtt.client as mqtt
import pytest
from packaging.specifiers import SpecifierSet
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from collectors.mqtt import MqttTransport
from collectors.pahobuffered import CHUNK, MESSAGE_SLOTS, PRIVATE, BufferedClient
from ioc.devservices import wait_until
from ioc.settings import parse_mqtt_url

# What BufferedClient was written and tested against: widen only after rerunning these tests.
SUPPORTED = SpecifierSet(">=2.2,<2.3")
SIGNATURES = {
    "_sock_recv": ["self", "bufsize"],
    "_sock_close": ["self"],
    "_handle_publish": ["self"],
    "_packet_queue": ["self", "command", "packet", "mid", "qos", "info"],
    "_handle_on_message": ["self", "message"],
    "loop_read": ["self", "max_packets"],
    "_handle_pubackcomp": ["self", "cmd"],
    "_do_on_publish": ["self", "mid", "reason_code", "properties"],
    "_mid_generate": ["self"],
}


def test_paho_is_a_version_the_subclass_was_checked_against():
    assert version("paho-mqtt") in SUPPORTED, (
        f"paho-mqtt {version('paho-mqtt')}: collectors/pahobuffered.py overrides private methods "
        f"checked only for {SUPPORTED}; re-check them and this test, then widen the range"
    )


@pytest.mark.parametrize("name", sorted(set(PRIVATE) | set(SIGNATURES)))
def test_the_private_methods_overridden_or_called_keep_their_signature(name):
    method = getattr(mqtt.Client, name, None)
    assert method is not None, f"paho's Client has no {name} any more"
    params = list(inspect.signature(method).parameters)
    assert params == SIGNATURES[name], f"paho changed {name}{params}"


def test_paho_still_keeps_the_packet_state_the_subclass_reads():
    client = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    assert {"command", "packet"} <= set(client._in_packet)
    assert isinstance(client._in_packet["packet"], bytearray)
    assert hasattr(client, "_manual_ack") and hasattr(client, "_protocol")
    assert callable(mqtt.time_func)
    # publish_many keeps its messages where paho's publish does, built slot by slot
    assert isinstance(client._out_messages, dict) and client._inflight_messages == 0
    assert hasattr(client._out_message_mutex, "acquire") and hasattr(client, "_sock")
    assert set(mqtt.MQTTMessage.__slots__) == MESSAGE_SLOTS
    assert mqtt.mqtt_ms_wait_for_puback and mqtt.mqtt_ms_publish


def _publisher(port: int) -> mqtt.Client:
    client = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    client.max_inflight_messages_set(1000)
    client.connect("127.0.0.1", port)
    client.loop_start()
    return client


def _messages() -> list[tuple[str, bytes, bool]]:
    """(topic, payload, with user properties): ≈ 1 MB in all, so packets straddle the read
    chunks; some near the broker's packet limit (a quarter of a chunk each)."""
    out = []
    for i in range(3000):
        size = CHUNK // 4 - 200 if i % 300 == 5 else 20 + i % 300
        out.append((f"ioc/sensor/hoa-an/s{i % 17}", (b"%d:" % i).ljust(size, b"x"), i % 3 == 0))
    return out


@pytest.mark.services
@pytest.mark.parametrize("protocol", ["5", "3.1.1"])
def test_every_message_arrives_whole_in_order_and_only_ack_many_acknowledges(mosquitto, protocol):
    address = parse_mqtt_url(mosquitto.url)
    inbox: queue.SimpleQueue = queue.SimpleQueue()
    transport = MqttTransport(
        address, f"buffered-{protocol}", ["ioc/sensor/#"], inbox.put, protocol=protocol
    )
    assert isinstance(transport.client, BufferedClient)
    transport.start()
    assert transport.wait_connected(10)
    sent = _messages()
    publisher = _publisher(mosquitto.port)
    try:
        infos = []
        for topic, payload, with_props in sent:
            props = None
            if with_props:
                props = Properties(PacketTypes.PUBLISH)  # type: ignore[no-untyped-call]
                props.UserProperty = ("k", "v")
            infos.append(publisher.publish(topic, payload, qos=1, properties=props))
        for info in infos:
            info.wait_for_publish(30)
        # Acknowledged in batches of 250 as they come (3.1.1: the broker sends at most
        # max_inflight_messages, 1000, unacknowledged), all but the last 500.
        half = len(sent) - 500
        got: list = []
        while len(got) < len(sent):
            got.append(inbox.get(timeout=30))
            if len(got) % 250 == 0 and len(got) <= half:
                assert transport.ack(got[-250:]) == 250
        assert [(m.topic, m.payload) for m in got] == [(t, p) for t, p, _ in sent]
        assert all(m.qos == 1 for m in got)
        transport.stop()

        # A new connection of the same session: the broker redelivers exactly the last 500.
        again: queue.SimpleQueue = queue.SimpleQueue()
        transport = MqttTransport(
            address, f"buffered-{protocol}", ["ioc/sensor/#"], again.put, protocol=protocol
        )
        transport.start()
        assert transport.wait_connected(10)
        redelivered = [again.get(timeout=30) for _ in sent[half:]]
        assert [m.payload for m in redelivered] == [p for _, p, _ in sent[half:]]
        assert transport.ack(redelivered) == len(redelivered)
        transport.stop()

        # Everything acknowledged: a third connection gets nothing.
        third: queue.SimpleQueue = queue.SimpleQueue()
        transport = MqttTransport(
            address, f"buffered-{protocol}", ["ioc/sensor/#"], third.put, protocol=protocol
        )
        transport.start()
        assert transport.wait_connected(10)
        publisher.publish("ioc/sensor/hoa-an/last", b"last", qos=1).wait_for_publish(10)
        assert third.get(timeout=10).payload == b"last"  # the only one
        assert third.empty()
    finally:
        transport.stop()
        publisher.loop_stop()
        publisher.disconnect()


@pytest.mark.services
@pytest.mark.parametrize("protocol", ["5", "3.1.1"])
def test_publish_many_delivers_every_letter_whole_in_order_and_sees_every_puback(
    mosquitto, protocol
):
    address = parse_mqtt_url(mosquitto.url)
    received: queue.SimpleQueue = queue.SimpleQueue()
    watcher = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    watcher.on_message = lambda c, u, m: received.put((m.topic, m.payload, m.qos))
    subscribed = threading.Event()
    watcher.on_subscribe = lambda *args: subscribed.set()
    watcher.connect("127.0.0.1", mosquitto.port)
    watcher.loop_start()
    watcher.subscribe("ioc/deadletter/#", qos=1)
    assert subscribed.wait(10)
    transport = MqttTransport(
        address, f"many-{protocol}", ["ioc/sensor/#"], lambda m: None, protocol=protocol
    )
    # Sizes across the remaining-length encoding's 1-, 2- and 3-byte forms.
    letters = [
        (f"ioc/deadletter/{'x' * (i % 200)}", (b"%d:" % i).ljust([5, 130, 17_000][i % 3], b"y"))
        for i in range(3000)
    ]
    try:
        early = letters[:10]
        assert transport.publish_many(early) == 10  # not connected yet: kept, sent on connect
        transport.start()
        assert transport.wait_connected(10)
        assert transport.publish_many(letters[10:]) == len(letters) - 10
        got = [received.get(timeout=30) for _ in letters]
        assert got == [(t, p, 1) for t, p in letters]
        wait_until(lambda: transport.unacked_publishes == 0, timeout=10, message="PUBACKs")
        assert not transport.client._out_messages  # every one acknowledged and forgotten
        assert received.empty()
    finally:
        transport.stop()
        watcher.loop_stop()
