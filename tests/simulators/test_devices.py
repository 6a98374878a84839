"""Device types: frozen, with their wire-contract topics."""

from __future__ import annotations

import dataclasses

import pytest

from ioc.feeds.sensor import SENSOR_KINDS
from simulators.devices import AlarmLevels, Camera, Sensor


def test_topics_and_defaults() -> None:
    gauge = Sensor("hoa-an", "g-1", "water", "Gauge", 22.7, 106.2, alarm=AlarmLevels(1, 2, 3))
    assert gauge.feed == "sensor"
    assert gauge.topic == "ioc/sensor/hoa-an/g-1"
    assert gauge.status_topic == "ioc/status/g-1"
    assert gauge.value_names == SENSOR_KINDS["water"]
    cam = Camera("hoa-an", "c-1", "site-1", "Cam", 22.7, 106.2, "road")
    assert (cam.feed, cam.topic, cam.interval_s) == ("camera", "ioc/camera/hoa-an/c-1", 60)


def test_devices_are_frozen() -> None:
    cam = Camera("hoa-an", "c-1", "site-1", "Cam", 22.7, 106.2, "road")
    with pytest.raises(dataclasses.FrozenInstanceError):
        cam.interval_s = 1  # type: ignore[misc]
