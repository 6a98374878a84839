"""The feed catalogue: one schema module per feed, found by the package itself, read by all."""

from __future__ import annotations

import pytest

from collectors import feeds as parsers
from ioc.feeds import FEEDS, SCHEMAS, FeedSpec, FieldSpec, Schema
from ioc.model import Reading
from simulators.feeds import GENERATORS


def test_every_module_declares_its_feed_and_the_order_is_declared():
    assert list(FEEDS)[:3] == ["sensor", "camera", "servicedesk"]
    assert [f.order for f in FEEDS.values()] == sorted(f.order for f in FEEDS.values())
    for name, spec in FEEDS.items():
        assert spec.name == name and spec.measurement in SCHEMAS
        assert spec.name_vi and spec.name_en
        assert spec.count_fields, name  # the devices page can count its readings
    assert "alert" in SCHEMAS and "alert" not in FEEDS


def test_every_feed_has_its_parser_and_every_device_feed_its_generator():
    assert set(parsers.FEEDS) == set(FEEDS)
    assert all(parsers.FEEDS[n].spec is FEEDS[n] for n in FEEDS)
    assert set(GENERATORS) == set(FEEDS) - {"status"}  # status: the devices' own clients


def test_topic_layouts_and_tags():
    assert FEEDS["sensor"].topic_pattern == "ioc/sensor/<district>/<source>"
    assert FEEDS["status"].topic_pattern == "ioc/status/<source>"
    assert SCHEMAS["servicedesk"].tag_keys == {"district", "source", "event", "channel", "service"}
    assert SCHEMAS["servicedesk"].field_types["ticket_id"] == "str"  # never a tag


def test_a_reading_is_checked_against_its_schema():
    schema = SCHEMAS["camera"]
    good = Reading("camera", 1, {"district": "", "source": "c", "site": "x"}, {"people": 3})
    assert schema.violations(good) == []
    bad = Reading("camera", 1, {"source": "c", "plate": "11A"}, {"people": 3.0, "colour": "red"})
    assert schema.violations(bad) == [
        "undeclared tag 'plate'",
        "tag 'district' missing",
        "field 'people' is float, declared int",
        "undeclared field 'colour'",
    ]


def test_a_schema_is_consistent():
    with pytest.raises(ValueError, match="twice"):
        Schema("x", (), (FieldSpec("a", "int"), FieldSpec("a", "float")))
    with pytest.raises(ValueError, match="count_fields"):
        FeedSpec(
            "x", Schema("x", (), (FieldSpec("a", "int"),)), "x", "x", 60, 0, count_fields=("b",)
        )
    with pytest.raises(ValueError, match="source"):
        FeedSpec("x", Schema("x", (), ()), "x", "x", 60, 0, topic=("district",))
