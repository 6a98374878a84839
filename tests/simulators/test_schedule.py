"""The schedule: reproducible, every device at its interval, timestamps strictly increasing."""

from __future__ import annotations

import itertools
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest

from ioc.feeds import MAX_PAYLOAD_BYTES, SOURCE_ID_RE
from ioc.places import DISTRICTS
from simulators import city
from simulators.schedule import SimMessage, Simulation, iter_messages

START = datetime(2026, 7, 6, 1, 0, tzinfo=UTC)  # Monday 08:00 local


def message_time_s(msg: SimMessage) -> float:
    """The timestamp a collector would store, in epoch seconds, whatever the payload form."""
    body: Any = orjson.loads(msg.payload)
    if isinstance(body, list):
        return float(body[0]["bt"])
    if isinstance(body["ts"], int):
        return body["ts"] / 1000
    return datetime.fromisoformat(body["ts"]).timestamp()


def test_same_seed_same_messages() -> None:
    def run(seed: int) -> list[tuple[str, bytes]]:
        return [(m.topic, m.payload) for m in iter_messages(seed, "flood", START, 3000, 0.05)]

    assert run(7) == run(7)
    assert run(7) != run(8)


def test_valid_messages_do_not_depend_on_bad_ratio() -> None:
    clean = [m for m in iter_messages(3, "normal", START, 2000) if m.valid]
    mixed = [m for m in iter_messages(3, "normal", START, 2500, 0.2) if m.valid]
    n = min(len(clean), len(mixed))
    assert [m.payload for m in clean[: n - 1]] == [m.payload for m in mixed[: n - 1]]


@pytest.mark.parametrize("scenario", ["normal", "flood", "border-queue", "festival"])
def test_every_message_is_well_formed(scenario: str) -> None:
    per_source: dict[str, list[float]] = defaultdict(list)
    for msg in iter_messages(1, scenario, START, 6000):
        assert msg.valid and not msg.reason
        assert len(msg.payload) <= MAX_PAYLOAD_BYTES
        root, feed, district, source = msg.topic.split("/")
        assert (root, feed, district, source) == ("ioc", msg.feed, district, msg.source)
        assert district in DISTRICTS and SOURCE_ID_RE.fullmatch(source)
        body = orjson.loads(msg.payload)
        assert msg.data == body or isinstance(body, list)  # SenML carries its JSON-object form
        assert message_time_s(msg) == msg.time_s
        per_source[msg.source].append(message_time_s(msg))
    for times in per_source.values():
        assert all(a < b for a, b in itertools.pairwise(times))
    sensors_and_cameras = {d.source_id for d in city.SENSORS + city.CAMERAS}
    assert sensors_and_cameras <= set(per_source)
    assert any(s.startswith("mot-cua-") for s in per_source)


def test_devices_speak_at_their_interval_in_simulated_time() -> None:
    times: dict[str, list[int]] = defaultdict(list)
    for msg in iter_messages(2, "normal", START, 8000):
        times[msg.source].append(msg.time_s)
    for d in city.SENSORS + city.CAMERAS:
        gaps = {b - a for a, b in itertools.pairwise(times[d.source_id])}
        assert gaps == {d.interval_s}
        assert START.timestamp() <= times[d.source_id][0] < START.timestamp() + d.interval_s
    for d in city.DESKS:  # desks speak only when something happened, on their turns
        assert all((b - a) % d.interval_s == 0 for a, b in itertools.pairwise(times[d.source_id]))


def test_start_defaults_to_now_and_naive_means_utc() -> None:
    now = datetime.now(UTC).timestamp()
    assert abs(Simulation().start_s - now) < 5
    naive = Simulation(start=datetime(2026, 7, 6, 1, 0))
    assert naive.start_s == int(START.timestamp())
    assert naive.sim_time == START


def test_progress_follows_the_horizon_or_the_period() -> None:
    sim = Simulation(1, "flood", START, horizon=100)
    for _ in range(50):
        next(sim)
    assert sim.progress() == 0.5
    endless = Simulation(1, "flood", START)
    for _ in range(500):
        next(endless)
    elapsed = endless.now_s - endless.start_s
    assert endless.progress() == pytest.approx(elapsed / endless.scenario.period_s)
    assert endless.sim_time <= START + timedelta(seconds=elapsed)


def test_flood_run_raises_and_clears_the_city_gauge() -> None:
    gauge = city.device_by_source("water-bang-giang-cao-bang")
    assert isinstance(gauge, city.Sensor) and gauge.alarm is not None
    levels = [
        m.data["values"]["level_cm"]
        for m in iter_messages(5, "flood", START, 3000)
        if m.source == gauge.source_id
    ]
    assert len(levels) > 30
    assert levels[0] < gauge.alarm.bd1
    assert max(levels) > gauge.alarm.bd3
    assert levels[-1] < gauge.alarm.bd1


def test_bad_arguments() -> None:
    with pytest.raises(ValueError):
        Simulation(bad_ratio=1.0)
    with pytest.raises(ValueError):
        Simulation(horizon=0)
    with pytest.raises(ValueError):
        Simulation(scenario="earthquake")
    with pytest.raises(ValueError):
        Simulation(devices=[city.SENSORS[0], city.SENSORS[0]])
