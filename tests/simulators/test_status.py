"""Device status connections: retained online, offline at the end, offline as the Last Will."""

from __future__ import annotations

import socket
import threading
import uuid
from typing import Any

import paho.mqtt.client as mqtt

from ioc.devservices import Mosquitto, wait_until
from ioc.settings import parse_mqtt_url
from simulators import city
from simulators.status import DeviceStatus


def watch(url: str) -> tuple[mqtt.Client, list[tuple[str, bytes]]]:
    address = parse_mqtt_url(url)
    seen: list[tuple[str, bytes]] = []
    lock = threading.Lock()
    subscribed = threading.Event()

    def on_message(c: mqtt.Client, userdata: Any, msg: mqtt.MQTTMessage) -> None:
        with lock:
            seen.append((msg.topic, msg.payload))

    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"w-{uuid.uuid4().hex[:6]}")
    client.on_message = on_message
    client.on_subscribe = lambda *args: subscribed.set()
    client.connect(address.host, address.port)
    client.loop_start()
    client.subscribe("ioc/status/#", qos=1)
    assert subscribed.wait(10)
    return client, seen


def test_will_says_offline_when_the_connection_is_lost(mosquitto: Mosquitto) -> None:
    devices = city.CAMERAS[:2]
    watcher, seen = watch(mosquitto.url)
    status = DeviceStatus(parse_mqtt_url(mosquitto.url), devices, client_prefix="t-will")
    status.start(10)
    try:
        topic = devices[0].status_topic
        wait_until(lambda: (topic, b"online") in seen, message="online")
        # Cut the first device's TCP connection without a DISCONNECT packet: the broker
        # must publish its will.
        sock = status._devices[0].client.socket()
        assert isinstance(sock, socket.socket)
        sock.shutdown(socket.SHUT_RDWR)
        wait_until(lambda: (topic, b"offline") in seen, message="the will")
        assert (devices[1].status_topic, b"offline") not in seen
    finally:
        status.stop(10)
        watcher.disconnect()
        watcher.loop_stop()
    assert status.sent >= 4  # online ×2 (more if the cut device reconnected), offline ×2
