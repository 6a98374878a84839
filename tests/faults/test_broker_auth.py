"""Faults at the broker's door, on the real production broker config (deploy/mosquitto):
a device trying to take over a collector's session, devices forging other devices' topics."""

from __future__ import annotations

import orjson
import pytest

from ioc.devservices import wait_until
from tests.broker import COLLECTOR_PASSWORD, DEVICE_A, DEVICE_B, Client, deploy_broker

N = 1000


@pytest.fixture
def deploy(tmp_path):  # type: ignore[no-untyped-def]
    with deploy_broker(tmp_path, simulator=False) as broker:
        yield broker


def test_a_device_using_the_collectors_client_id_does_not_take_over_its_session(deploy):
    """Defect 1: a device connecting with the collector's client id used to kick the collector
    off and receive its queued messages (999 of 1,000 lost). Now the broker replaces the id with
    the device's user name: the collector stays connected and receives every message."""
    collector = Client(
        deploy.port, "collector-1", COLLECTOR_PASSWORD, client_id="collector-1", clean_start=False
    )
    attacker = deploy.device(DEVICE_A[0], client_id="collector-1", clean_start=False)
    sender = deploy.device(DEVICE_B[0])
    try:
        assert collector.connack == "Success"
        assert collector.subscribe("$share/collectors/ioc/#") == ["Granted QoS 1"]
        assert attacker.connack == "Success"  # it connects, but as itself
        name, feed, district = DEVICE_B
        for i in range(N):
            sender.client.publish(f"ioc/{feed}/{district}/{name}", orjson.dumps({"i": i}), qos=1)
        wait_until(lambda: len(collector.received) >= N, timeout=30, message="collector got all")
        assert sorted(orjson.loads(p)["i"] for _, p in collector.received) == list(range(N))
        assert collector.disconnects == []
        assert attacker.received == []
    finally:
        for client in (collector, attacker, sender):
            client.close()


def test_a_device_joining_the_collectors_share_group_takes_nothing(deploy):
    """Mosquitto 2.0's acl_file grants every SUBSCRIBE and checks reads on delivery: a device
    that joined `$share/collectors/…` took its turn and the broker dropped those messages (50 of
    100 lost, measured). The dynamic-security plugin refuses the SUBSCRIBE: the collectors get
    all 100, the device none."""
    collector = Client(deploy.port, "collector-1", COLLECTOR_PASSWORD, clean_start=False)
    attacker = deploy.device(DEVICE_A[0])
    sender = deploy.device(DEVICE_B[0])
    try:
        assert collector.subscribe("$share/collectors/ioc/#") == ["Granted QoS 1"]
        assert attacker.subscribe("$share/collectors/ioc/#") == ["Not authorized"]
        assert attacker.subscribe("ioc/#", "$share/other/ioc/#", "#") == ["Not authorized"] * 3
        name, feed, district = DEVICE_B
        for i in range(100):
            sender.client.publish(f"ioc/{feed}/{district}/{name}", orjson.dumps({"i": i}), qos=1)
        wait_until(lambda: len(sender.acks) >= 100, message="all published")
        wait_until(lambda: len(collector.received) >= 100, timeout=10, message="collector got all")
        assert sorted(orjson.loads(p)["i"] for _, p in collector.received) == list(range(100))
        assert attacker.received == []
    finally:
        for client in (collector, attacker, sender):
            client.close()


def test_a_second_replica_user_cannot_take_over_the_first_replicas_session(deploy):
    """Each collector replica is its own broker user: collector-2 asking for collector-1's id
    gets its own session."""
    first = Client(deploy.port, "collector-1", COLLECTOR_PASSWORD, client_id="x", clean_start=False)
    second = Client(
        deploy.port, "collector-2", COLLECTOR_PASSWORD, client_id="collector-1", clean_start=False
    )
    try:
        assert first.connack == second.connack == "Success"
        assert first.subscribe("ioc/sensor/#") == ["Granted QoS 1"]
        name, feed, district = DEVICE_A
        device = deploy.device(name)
        try:
            assert device.publish(f"ioc/{feed}/{district}/{name}", b"{}") == "Success"
        finally:
            device.close()
        wait_until(lambda: first.received, message="first replica still subscribed")
        assert first.disconnects == []
    finally:
        first.close()
        second.close()


def test_a_device_cannot_forge_another_feed_district_or_device(deploy):
    """Defect 2 at the broker: `cb-air-001` could publish `ioc/camera/ha-lang/cb-air-001` with a
    fake site and 50,000 people. The generated ACL lets each device publish only its own feed and
    district from the catalogue, and its own status."""
    watcher = Client(deploy.port, "collector-1", COLLECTOR_PASSWORD)
    name, feed, district = DEVICE_A
    other = DEVICE_B[0]
    device = deploy.device(name)
    try:
        watcher.subscribe("ioc/#")
        forged = [
            f"ioc/camera/ha-lang/{name}",
            f"ioc/{feed}/ha-lang/{name}",
            f"ioc/servicedesk/{district}/{name}",
            f"ioc/{DEVICE_B[1]}/{DEVICE_B[2]}/{other}",
            f"ioc/status/{other}",
        ]
        payload = orjson.dumps({"site": "ban-gioc-waterfall", "people": 50000})
        for topic in forged:
            assert device.publish(topic, payload) == "Not authorized", topic
        assert device.publish(f"ioc/status/{name}", b"online") == "Success"
        wait_until(lambda: watcher.received, message="own status")
        assert watcher.topics() == [f"ioc/status/{name}"]
    finally:
        for client in (watcher, device):
            client.close()
