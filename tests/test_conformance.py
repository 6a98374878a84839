"""Simulators and collectors cannot drift apart: everything the simulators emit, for every
registered feed and scenario, parses cleanly — and every malformed message they make on purpose
is rejected with the reason they expect."""

from collections import Counter
from datetime import UTC, datetime

import pytest

from collectors.decode import decode
from collectors.feeds import FEEDS
from ioc.errors import PayloadRejected
from ioc.sources import load_sources
from simulators.city import all_devices
from simulators.schedule import iter_messages

RECEIVED_AT = datetime(2026, 7, 15, 12, 0, tzinfo=UTC)  # wet season: floods, rain, tourists


@pytest.mark.parametrize("scenario", ["normal", "flood", "border-queue", "festival"])
@pytest.mark.parametrize("start", [datetime(2026, 1, 12, 0, 0, tzinfo=UTC), RECEIVED_AT])
def test_every_simulated_message_parses_as_the_simulator_intends(scenario, start):
    received_ns = int(start.timestamp() * 1e9) + 10**9 * 3600 * 12
    per_feed = Counter()
    for message in iter_messages(
        seed=7, scenario=scenario, start=start, count=6000, bad_ratio=0.05
    ):
        if message.valid:
            readings = decode(message.topic, message.payload, received_ns)
            assert readings, message.topic
            assert all(r.measurement == message.feed for r in readings)
            schema = FEEDS[message.feed].spec.schema
            assert [schema.violations(r) for r in readings] == [[]] * len(readings)
            per_feed[message.feed] += 1
        else:
            with pytest.raises(PayloadRejected) as info:
                decode(message.topic, message.payload, received_ns)
            assert info.value.reason == message.reason, (message.topic, message.payload[:200])
            per_feed["bad"] += 1
    # every registered feed with a simulator (status is published by the publisher) is exercised
    assert set(per_feed) >= set(FEEDS) - {"status"} | {"bad"}


def test_the_source_catalogue_describes_every_simulated_device():
    """Names, districts, feeds and gauge alarm levels in ioc/data/sources.toml are the
    simulator's: the wall screen names what the simulator plays, alerts use its BĐ levels."""
    sources = load_sources()
    for device in all_devices():
        source = sources[device.source_id]
        assert (source.feed, source.district, source.name_vi) == (
            device.feed,
            device.district,
            device.name_vi,
        )
        assert source.site == getattr(device, "site", None)
        alarm = getattr(device, "alarm", None)
        if alarm is None:
            assert source.alarm is None
        else:
            assert (source.alarm.bd1, source.alarm.bd2, source.alarm.bd3) == (
                alarm.bd1,
                alarm.bd2,
                alarm.bd3,
            )


def test_the_source_catalogue_names_every_simulated_public_service():
    from ioc.sources import load_services
    from simulators.city import SERVICES

    assert load_services() == {s.slug: s.name_vi for s in SERVICES.values()}
