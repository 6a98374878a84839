"""Camera payloads: exactly the contract's keys, and the rhythms of roads, gates and sights."""

from __future__ import annotations

import random
import statistics
from datetime import datetime
from typing import Any

from ioc.feeds import SEVERITIES
from ioc.feeds.camera import CAMERA_EVENT_TYPES, CAMERA_VEHICLES
from ioc.localtime import LOCAL_TZ
from simulators import city, rhythm
from simulators.city import Camera
from simulators.feeds import camera
from simulators.scenarios import Scenario, get_scenario

NORMAL = get_scenario("normal")
KEYS = [
    "ts",
    "site",
    "interval_s",
    "vehicles",
    "avg_speed_kmh",
    "occupancy_pct",
    "queue_m",
    "people",
    "events",
]


def at(y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> int:
    return rhythm.epoch(datetime(y, mo, d, h, mi, tzinfo=LOCAL_TZ))


def cam(site: str) -> Camera:
    device = city.device_by_source(site)
    assert isinstance(device, Camera)
    return device


def samples(
    c: Camera, times: list[int], scenario: Scenario = NORMAL, progress: float = 0.0
) -> list[dict[str, Any]]:
    rng = random.Random(7)
    return [camera.payload(c, t, rng, scenario, progress) for t in times]


def test_payload_has_exactly_the_contract_fields_with_their_types() -> None:
    for c in city.CAMERAS:
        for p in samples(c, [at(2026, 7, 1, h) for h in range(0, 24, 2)]):
            assert list(p) == KEYS
            assert type(p["ts"]) is int and p["ts"] % 1000 == 0
            assert p["site"] == c.site
            assert type(p["interval_s"]) is int
            assert list(p["vehicles"]) == ["car", "motorbike", "truck", "bus"]
            assert set(p["vehicles"]) == set(CAMERA_VEHICLES)
            assert all(type(n) is int and n >= 0 for n in p["vehicles"].values())
            for name in ("avg_speed_kmh", "occupancy_pct", "queue_m"):
                assert type(p[name]) is float and p[name] >= 0 and p[name] == round(p[name], 1)
            assert p["occupancy_pct"] <= 100
            assert type(p["people"]) is int and p["people"] >= 0
            for event in p["events"]:
                assert list(event) == ["type", "severity"]
                assert event["type"] in CAMERA_EVENT_TYPES
                assert event["severity"] in SEVERITIES


def test_ta_lung_queue_longer_by_day_than_at_night() -> None:
    gate = cam("ta-lung-border-gate")
    days = range(6, 11)
    day = statistics.fmean(p["queue_m"] for p in samples(gate, [at(2026, 7, d, 10) for d in days]))
    night = statistics.fmean(p["queue_m"] for p in samples(gate, [at(2026, 7, d, 3) for d in days]))
    assert day > 3 * night


def test_ta_lung_sees_600_to_700_travellers_a_day() -> None:
    gate = cam("ta-lung-border-gate")
    t0 = at(2026, 7, 8)  # a Wednesday
    total = sum(p["people"] for p in samples(gate, [t0 + 60 * i for i in range(1440)]))
    assert 560 <= total <= 740


def test_city_centre_rush_hours() -> None:
    centre = cam("cao-bang-city-centre")

    def occupancy(h: int, mi: int = 0) -> float:
        times = [at(2026, 7, d, h, mi) for d in range(6, 11)]
        return statistics.fmean(p["occupancy_pct"] for p in samples(centre, times))

    assert occupancy(7, 15) > occupancy(10) > occupancy(3)
    assert occupancy(17, 30) > occupancy(14)


def test_ban_gioc_busier_at_weekends() -> None:
    falls = cam("ban-gioc-waterfall")

    def people(day: int) -> float:
        return statistics.fmean(
            p["people"] for p in samples(falls, [at(2026, 7, day, 10, 30)] * 10)
        )

    assert people(4) > 1.5 * people(1)  # Saturday vs Wednesday
    assert samples(falls, [at(2026, 7, 4, 2)])[0]["people"] == 0  # nobody at 2 a.m.


def test_border_queue_scenario_jams_ta_lung() -> None:
    queue = get_scenario("border-queue")
    gate = cam("ta-lung-border-gate")
    for h in (3, 10):
        p = samples(gate, [at(2026, 7, 1, h)], queue, 0.5)[0]
        assert 300 <= p["queue_m"] <= 1000
        assert {"type": "congestion", "severity": "critical"} in p["events"]
    calm = samples(gate, [at(2026, 7, 1, 10)], queue, 1.0)[0]
    assert calm["queue_m"] < 250


def test_festival_crowds_ban_gioc() -> None:
    festival = get_scenario("festival")
    falls = cam("ban-gioc-waterfall")
    times = [at(2026, 7, 1, 10, 30)] * 10
    usual = statistics.fmean(p["people"] for p in samples(falls, times))
    crowded = samples(falls, times, festival, 0.5)
    assert statistics.fmean(p["people"] for p in crowded) > 4 * usual
    assert all(any(e["type"] == "crowding" for e in p["events"]) for p in crowded)
