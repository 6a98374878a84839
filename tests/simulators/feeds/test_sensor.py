"""Sensor payloads: wire form, SenML form, and the rhythms of air, rain and rivers."""

from __future__ import annotations

import random
import statistics
from datetime import datetime

from ioc.feeds.sensor import SENSOR_KINDS, SENSOR_UNITS
from ioc.localtime import LOCAL_TZ
from simulators import city, rhythm
from simulators.city import Sensor
from simulators.feeds import sensor
from simulators.scenarios import get_scenario

NORMAL = get_scenario("normal")
FLOOD = get_scenario("flood")


def at(y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> int:
    return rhythm.epoch(datetime(y, mo, d, h, mi, tzinfo=LOCAL_TZ))


def dev(source_id: str) -> Sensor:
    device = city.device_by_source(source_id)
    assert isinstance(device, Sensor)
    return device


def test_json_form() -> None:
    rng = random.Random(1)
    for s in city.SENSORS:
        rec = sensor.record(s, at(2026, 7, 1, 8), rng, NORMAL, 0.0)
        assert rec["ts"] == "2026-07-01T08:00:00+07:00"
        assert rec["kind"] == s.kind
        assert tuple(rec["values"]) == s.value_names
        for value in rec["values"].values():
            assert type(value) is float
            assert value == round(value, 1)
            assert value >= 0 or s.kind == "weather"
        if not s.senml:
            assert sensor.payload(s, at(2026, 7, 1, 8), random.Random(1), NORMAL, 0.0) == (
                sensor.record(s, at(2026, 7, 1, 8), random.Random(1), NORMAL, 0.0)
            )


def test_senml_form() -> None:
    s = next(s for s in city.SENSORS if s.senml)
    t = at(2026, 7, 1, 8)
    pack = sensor.payload(s, t, random.Random(1), NORMAL, 0.0)
    assert isinstance(pack, list)
    assert pack[0]["bn"] == f"urn:dev:{s.source_id}:"
    assert pack[0]["bt"] == t
    assert all("bn" not in r and "bt" not in r for r in pack[1:])
    assert [r["n"] for r in pack] == list(s.value_names)
    for r in pack:
        assert r["n"] in SENSOR_KINDS["air"]
        assert r["u"] == SENSOR_UNITS[r["n"]]
        assert type(r["v"]) is float


def mean_value(s: Sensor, name: str, times: list[int]) -> float:
    rng = random.Random(3)
    return statistics.fmean(sensor.record(s, t, rng, NORMAL, 0.0)["values"][name] for t in times)


def test_pm25_worse_at_rush_hour_and_in_the_dry_season() -> None:
    centre = dev("air-cao-bang-centre")
    days = range(5, 25)
    rush = mean_value(centre, "pm25", [at(2026, 1, d, 7, 15) for d in days])
    night = mean_value(centre, "pm25", [at(2026, 1, d, 3) for d in days])
    midday = mean_value(centre, "pm25", [at(2026, 1, d, 11) for d in days])
    assert rush > night and rush > midday
    dry = mean_value(centre, "pm25", [at(2026, 1, d, h) for d in days for h in range(0, 24, 3)])
    wet = mean_value(centre, "pm25", [at(2026, 7, d, h) for d in days for h in range(0, 24, 3)])
    assert dry > 1.5 * wet
    rural = mean_value(dev("air-pac-miau"), "pm25", [at(2026, 1, d, 7, 15) for d in days])
    assert rural < rush


def test_rain_falls_in_the_wet_season_in_tipping_bucket_steps() -> None:
    station = dev("weather-cao-bang")
    rng = random.Random(4)

    def month_mm(month: int) -> float:
        t0 = at(2026, month, 1)
        values = [
            sensor.record(station, t0 + 60 * i, rng, NORMAL, 0.0)["values"]["rain_mm"]
            for i in range(0, 30 * 1440, 5)
        ]
        assert all(round(v / 0.2, 6) == round(v / 0.2) for v in values)
        return sum(values) * 5

    july, january = month_mm(7), month_mm(1)
    assert 150 < july < 700  # Cao Bằng: ≈ 250–350 mm in July
    assert january < july / 5


def test_phia_oac_is_colder_than_the_city() -> None:
    times = [at(2026, 1, d, 14) for d in range(1, 20)]
    assert mean_value(dev("weather-phia-oac"), "temp_c", times) < (
        mean_value(dev("weather-cao-bang"), "temp_c", times) - 8
    )


def test_rivers_stay_below_bd1_without_a_flood() -> None:
    rng = random.Random(5)
    for g in (s for s in city.SENSORS if s.kind == "water"):
        assert g.alarm is not None
        levels = [
            sensor.record(g, at(2026, 8, 1) + 3600 * i, rng, NORMAL, 0.0)["values"]["level_cm"]
            for i in range(0, 24 * 31, 2)
        ]
        assert g.base_cm <= statistics.fmean(levels) < g.alarm.bd1
        assert max(levels) < g.alarm.bd1


def test_flood_crosses_bd3_then_falls_below_bd1_in_its_district_only() -> None:
    gauge = dev("water-bang-giang-cao-bang")
    assert gauge.alarm is not None
    rng = random.Random(6)
    t = at(2026, 7, 1, 8)
    levels = [
        sensor.record(gauge, t + 60 * i, rng, FLOOD, i / 200)["values"]["level_cm"]
        for i in range(201)
    ]
    assert levels[0] < gauge.alarm.bd1
    assert max(levels) > gauge.alarm.bd3
    assert levels[-1] < gauge.alarm.bd1
    first = {lvl: next(i for i, v in enumerate(levels) if v >= lvl) for lvl in (600, 750, 900)}
    assert first[600] < first[750] < first[900]
    rain = [sensor.record(gauge, t, rng, FLOOD, 0.2)["values"]["rain_mm"] for _ in range(20)]
    assert statistics.fmean(rain) > 0.5  # ≈ 70 mm/h, a downpour
    other = dev("water-gam-bao-lac")
    assert other.alarm is not None
    assert sensor.record(other, t, rng, FLOOD, 0.45)["values"]["level_cm"] < other.alarm.bd1
