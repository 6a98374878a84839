"""The collector's guard: `future_time` and `source_mismatch` (pure, no services)."""

from __future__ import annotations

import pytest

from collectors.decode import decode
from collectors.guard import Guard
from ioc.errors import PayloadRejected
from ioc.model import NS_PER_S
from ioc.sources import load_sources

NOW_NS = 1_767_225_600 * NS_PER_S  # 2026-01-01T00:00:00Z
NOW_MS = NOW_NS // 1_000_000
GUARD = Guard(load_sources(), max_future_s=300)


def check(topic: str, payload: bytes) -> None:
    GUARD.check(decode(topic, payload, NOW_NS), NOW_NS)


def reason(topic: str, payload: bytes) -> str:
    with pytest.raises(PayloadRejected) as info:
        check(topic, payload)
    return info.value.reason


def air(ts_ms: int) -> bytes:
    return b'{"ts": %d, "kind": "air", "values": {"pm25": 12.0}}' % ts_ms


def test_readings_up_to_max_future_s_ahead_pass_and_later_ones_are_future_time():
    check("ioc/sensor/hoa-an/air-nuoc-hai", air(NOW_MS + 300_000))
    assert reason("ioc/sensor/hoa-an/air-nuoc-hai", air(NOW_MS + 300_001)) == "future_time"
    # also for sources outside the catalogue
    assert reason("ioc/sensor/hoa-an/uncatalogued-9", air(NOW_MS + 3_600_000)) == "future_time"
    Guard({}, max_future_s=3600).check(
        decode("ioc/sensor/hoa-an/x", air(NOW_MS + 3_600_000), NOW_NS), NOW_NS
    )


def test_a_catalogued_source_publishing_another_feed_district_or_site_is_source_mismatch():
    people = b'{"ts": %d, "site": "ban-gioc-waterfall", "people": 50000}' % NOW_MS
    # The attack: an air sensor posting camera counts for the waterfall.
    assert reason("ioc/camera/ha-lang/air-nuoc-hai", people) == "source_mismatch"
    # Its own feed, another district.
    assert reason("ioc/sensor/bao-lac/air-nuoc-hai", air(NOW_MS)) == "source_mismatch"
    # A camera of the catalogue claiming another site.
    assert reason("ioc/camera/thanh-pho-cao-bang/bang-giang-bridge", people) == "source_mismatch"
    own_site = b'{"ts": %d, "site": "bang-giang-bridge", "people": 5}' % NOW_MS
    check("ioc/camera/thanh-pho-cao-bang/bang-giang-bridge", own_site)
    # A desk posting as another district's desk.
    ticket = (
        b'{"ts": %d, "ticket_id": "CB-1", "event": "received", "service": "x", '
        b'"channel": "counter", "due": "2026-01-08T17:00:00+07:00"}' % NOW_MS
    )
    check("ioc/servicedesk/bao-lac/mot-cua-bao-lac", ticket)
    assert reason("ioc/servicedesk/ha-lang/mot-cua-bao-lac", ticket) == "source_mismatch"


def test_status_from_any_catalogued_source_and_anything_from_unknown_sources_passes():
    check("ioc/status/air-nuoc-hai", b"online")
    check("ioc/status/bang-giang-bridge", b"offline")
    check("ioc/camera/ha-lang/not-in-catalogue", b'{"ts": %d, "site": "x", "people": 3}' % NOW_MS)


def test_the_detail_names_the_source_and_what_disagrees():
    with pytest.raises(PayloadRejected) as info:
        check("ioc/sensor/bao-lac/air-nuoc-hai", air(NOW_MS))
    assert "air-nuoc-hai" in info.value.detail and "hoa-an" in info.value.detail
