"""The simulated province: enough devices of every kind, all addressable by the wire contract."""

from __future__ import annotations

import re
from collections import Counter

import pytest

from ioc.feeds import SOURCE_ID_RE
from ioc.feeds.sensor import SENSOR_KINDS
from ioc.feeds.servicedesk import SERVICEDESK_CHANNELS
from ioc.places import DISTRICTS, PLACES
from simulators import city
from simulators.feeds import GENERATORS

SERVICE_SLUG_RE = re.compile(r"[a-z0-9-]{1,80}")


def test_enough_devices_of_every_kind() -> None:
    assert len(city.SENSORS) >= 40
    assert len(city.CAMERAS) >= 15
    assert len(city.DESKS) == 10
    kinds = Counter(s.kind for s in city.SENSORS)
    assert set(kinds) == set(SENSOR_KINDS)
    declared = [d for m in GENERATORS.values() for d in getattr(m, "DEVICES", ())]
    assert len(city.all_devices()) == (
        len(city.SENSORS) + len(city.CAMERAS) + len(city.DESKS) + len(declared)
    )
    assert {d.feed for d in city.all_devices()} == set(GENERATORS)


def test_every_device_is_addressable() -> None:
    devices = city.all_devices()
    assert len({d.source_id for d in devices}) == len(devices)
    for d in devices:
        assert SOURCE_ID_RE.fullmatch(d.source_id), d.source_id
        assert d.district in DISTRICTS
        assert d.topic == f"ioc/{d.feed}/{d.district}/{d.source_id}"
        assert d.status_topic == f"ioc/status/{d.source_id}"
        assert 22.3 < d.lat < 23.2 and 105.2 < d.lon < 106.9, d.source_id  # inside the province
        assert d.interval_s >= 1


def test_every_district_has_sensors_and_a_desk() -> None:
    assert {s.district for s in city.SENSORS} == set(DISTRICTS)
    assert sorted(d.district for d in city.DESKS) == sorted(DISTRICTS)
    for desk in city.DESKS:
        assert desk.source_id == f"mot-cua-{desk.district}"


def test_sensor_value_names_belong_to_their_kind() -> None:
    for s in city.SENSORS:
        assert s.value_names
        assert set(s.value_names) <= set(SENSOR_KINDS[s.kind])
    assert any(s.senml for s in city.SENSORS if s.kind == "air")
    assert any(not s.senml for s in city.SENSORS if s.kind == "air")


def test_water_gauges_have_ordered_alarm_levels_above_their_usual_level() -> None:
    gauges = [s for s in city.SENSORS if s.kind == "water"]
    for g in gauges:
        assert g.alarm is not None and g.river
        # the usual level doubles at most in the wet season, still below BĐ1
        assert 0 < 2 * g.base_cm < g.alarm.bd1 < g.alarm.bd2 < g.alarm.bd3
    rivers = {(g.district, g.river) for g in gauges}
    assert (city.CITY, "Bằng Giang") in rivers
    assert ("trung-khanh", "Quây Sơn") in rivers
    assert ("bao-lac", "Sông Gâm") in rivers and ("bao-lam", "Sông Gâm") in rivers


@pytest.mark.parametrize(
    "site",
    ["ta-lung-border-gate", "ban-gioc-waterfall", "cao-bang-city-centre", "pac-bo-relic-site"],
)
def test_cameras_watch_the_named_places(site: str) -> None:
    cam = city.device_by_source(site)
    assert isinstance(cam, city.Camera)
    assert cam.site == site
    assert cam.district == PLACES[site].district


def test_desks_offer_realistic_services_through_known_channels() -> None:
    for desk in city.DESKS:
        slugs = {s.slug for s in desk.services}
        assert {
            "cap-giay-phep-xay-dung",
            "dang-ky-khai-sinh",
            "cap-doi-giay-phep-lai-xe",
            "dang-ky-kinh-doanh",
        } <= slugs
        for service in desk.services:
            assert SERVICE_SLUG_RE.fullmatch(service.slug)
            assert set(service.channels) <= set(SERVICEDESK_CHANNELS)
            assert 1 <= service.working_days <= 15
        channels = {c for s in desk.services for c in s.channels}
        assert channels == set(SERVICEDESK_CHANNELS)


def test_device_by_source() -> None:
    assert city.device_by_source("mot-cua-hoa-an").district == "hoa-an"
    with pytest.raises(KeyError):
        city.device_by_source("nope")
