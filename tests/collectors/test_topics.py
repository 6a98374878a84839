"""Tests for collectors.topics: the declared topic layout, bad topics, feed_of."""

from __future__ import annotations

import dataclasses

import pytest

from collectors.topics import Topic, feed_of, parse_topic
from ioc.errors import PayloadRejected
from ioc.feeds import FEEDS
from ioc.places import DISTRICTS


def test_feed_topic_becomes_tags() -> None:
    topic = parse_topic("ioc/sensor/hoa-an/aq-hoa-an-01")
    assert topic == Topic(
        feed="sensor",
        district="hoa-an",
        source="aq-hoa-an-01",
        raw="ioc/sensor/hoa-an/aq-hoa-an-01",
    )


def test_status_topic_has_no_district() -> None:
    topic = parse_topic("ioc/status/CB_gauge_07")
    assert topic == Topic(
        feed="status", district=None, source="CB_gauge_07", raw="ioc/status/CB_gauge_07"
    )


@pytest.mark.parametrize("district", sorted(DISTRICTS))
def test_every_district_slug_is_accepted(district: str) -> None:
    assert parse_topic(f"ioc/camera/{district}/cam-1").district == district


@pytest.mark.parametrize("feed", ["sensor", "camera", "servicedesk"])
def test_every_district_feed_uses_four_segments(feed: str) -> None:
    assert parse_topic(f"ioc/{feed}/bao-lam/x").feed == feed
    with pytest.raises(PayloadRejected) as info:
        parse_topic(f"ioc/{feed}/x")
    assert info.value.reason == "bad_topic"
    assert "3 segments, expected 4" in info.value.detail


def test_topic_is_frozen() -> None:
    topic = parse_topic("ioc/status/dev-1")
    with pytest.raises(dataclasses.FrozenInstanceError):
        topic.source = "other"  # type: ignore[misc]


def test_layout_is_declared_for_both_topic_shapes() -> None:
    assert FEEDS["sensor"].topic == ("district", "source")
    assert FEEDS["status"].topic == ("source",)
    assert {spec.topic for spec in FEEDS.values()} == {("district", "source"), ("source",)}


@pytest.mark.parametrize(
    ("topic", "fragment"),
    [
        ("", "does not start with"),
        ("ioc", "does not start with"),
        ("city/sensor/hoa-an/x", "does not start with"),
        ("/ioc/sensor/hoa-an/x", "does not start with"),
        ("ioc/radar/hoa-an/x", "names feed 'radar'"),
        ("ioc/deadletter/sensor", "names feed 'deadletter'"),
        ("ioc/Sensor/hoa-an/x", "names feed 'Sensor'"),
        ("ioc/sensor/hoa-an", "3 segments, expected 4"),
        ("ioc/sensor/hoa-an/x/y", "5 segments, expected 4"),
        ("ioc/sensor/hoa-an/x/", "5 segments, expected 4"),
        ("ioc/status/hoa-an/x", "4 segments, expected 3"),
        ("ioc/status", "2 segments, expected 3"),
        ("ioc/sensor/ha-noi/x", "unknown district slug 'ha-noi'"),
        ("ioc/sensor/Hoa-An/x", "unknown district slug 'Hoa-An'"),
        ("ioc/sensor/hoa-an/", "source id ''"),
        ("ioc/sensor/hoa-an/aq.01", "source id 'aq.01'"),
        ("ioc/sensor/hoa-an/aq 01", "source id 'aq 01'"),
        ("ioc/sensor/hoa-an/trạm-1", "source id 'trạm-1'"),
        ("ioc/sensor/hoa-an/" + "a" * 65, "source id"),
        ("ioc/status/", "source id ''"),
        ("ioc/status/+", "source id '+'"),
    ],
)
def test_bad_topics_are_rejected(topic: str, fragment: str) -> None:
    with pytest.raises(PayloadRejected) as info:
        parse_topic(topic)
    assert info.value.reason == "bad_topic"
    assert fragment in info.value.detail
    assert repr(topic) in info.value.detail


def test_longest_source_id_is_accepted() -> None:
    assert parse_topic("ioc/status/" + "A" * 64).source == "A" * 64


@pytest.mark.parametrize(
    ("topic", "feed"),
    [
        ("ioc/sensor/hoa-an/x", "sensor"),
        ("ioc/sensor/ha-noi/x/y/z", "sensor"),
        ("ioc/status/", "status"),
        ("ioc/servicedesk", "servicedesk"),
        ("ioc/camera/x", "camera"),
        ("ioc/deadletter/sensor", "unknown"),
        ("ioc", "unknown"),
        ("", "unknown"),
        ("ioc/Sensor/hoa-an/x", "unknown"),
    ],
)
def test_feed_of_names_the_feed_even_of_bad_topics(topic: str, feed: str) -> None:
    assert feed_of(topic) == feed
