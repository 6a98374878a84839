"""Sensor payloads: air quality, water level and rain, weather, noise.

Wire form (DESIGN.md, "Wire contract"): `{"ts": "<RFC 3339, +07:00>", "kind": ..., "values":
{...}}`, or for sensors with `senml=True` a SenML pack (RFC 8428) with the base name
`urn:dev:<source_id>:`, the base time in epoch seconds and units from `ioc.feeds.sensor`.
Values are floats rounded to 0.1; rain is counted by a 0.2 mm tipping bucket over the interval.

Rhythms: PM2.5, NO2 and CO follow road traffic (peaks 6:30–8:00 and 16:30–18:30) scaled by how
urban the site is, PM is ≈ 2× worse in the dry season (Nov–Apr) and washed out by rain; ozone
follows the sun; rain comes in smooth district-wide spells, frequent in the wet season
(Jun–Sep), and rivers rise a few hours after it. The flood scenario overrides rain and levels.
"""

from __future__ import annotations

import math
import random
from typing import Any

from ioc.feeds.sensor import SENSOR_UNITS
from simulators import rhythm
from simulators.devices import Sensor
from simulators.feeds.base import bad_ts
from simulators.scenarios import Scenario

TIP_MM = 0.2  # tipping-bucket resolution of the rain gauges
HOUR_S = 3600


def natural_rain_mm_h(district: str, t: int, wet: float) -> float:
    """Rain intensity of the district's weather (no scenario): smooth spells, 0 most dry days."""
    s = rhythm.wave(t, "rain:" + district, (5_400.0, 16_200.0, 47_000.0, 260_000.0))
    threshold = 0.7 - 0.45 * wet
    x = max(0.0, s - threshold) / (1.0 - threshold)
    return x * x * (4.0 + 13.0 * wet)


def rain_mm_h(district: str, t: int, scenario: Scenario, progress: float) -> float:
    """Rain intensity with the scenario's downpour added."""
    wet = rhythm.wetness(rhythm.local(t).month)
    return natural_rain_mm_h(district, t, wet) + scenario.flood_rain_mm_h(district, progress)


def _rain_mm(rng: random.Random, rate_mm_h: float, interval_s: int) -> float:
    tips = rhythm.poisson(rng, rate_mm_h * interval_s / HOUR_S / TIP_MM)
    return round(tips * TIP_MM, 1)


def _noise(rng: random.Random, spread: float) -> float:
    """A multiplicative log-normal factor around 1."""
    return math.exp(rng.gauss(0.0, spread))


def usual_level_cm(sensor: Sensor, t: int) -> float:
    """The gauge's usual level for the season (no recent rain): doubles in the wet season."""
    return sensor.base_cm * (1.0 + rhythm.wetness(rhythm.local(t).month))


def flood_level_cm(sensor: Sensor, usual: float, stage: float) -> float:
    """A level in alarm stages (0 usual, 1 BĐ1, 2 BĐ2, 3 BĐ3, beyond) → cm on the gauge."""
    alarm = sensor.alarm
    if alarm is None:
        return usual
    if stage <= 1:
        return usual + stage * (alarm.bd1 - usual)
    if stage <= 2:
        return alarm.bd1 + (stage - 1) * (alarm.bd2 - alarm.bd1)
    return alarm.bd2 + (stage - 2) * (alarm.bd3 - alarm.bd2)


def _water(s: Sensor, t: int, rng: random.Random, scn: Scenario, p: float) -> dict[str, float]:
    wet = rhythm.wetness(rhythm.local(t).month)
    usual = usual_level_cm(s, t)
    recent = 0.5 * (
        natural_rain_mm_h(s.district, t - 3 * HOUR_S, wet)
        + natural_rain_mm_h(s.district, t - 7 * HOUR_S, wet)
    )
    ceiling = s.alarm.bd1 if s.alarm is not None else usual * 2
    level = usual + 0.7 * (ceiling - usual) * (1.0 - math.exp(-recent / 20.0))
    level += rng.gauss(0.0, 0.8)
    if scn.floods(s.district):
        level = max(level, flood_level_cm(s, usual, scn.flood_stage(p)))
    return {
        "level_cm": round(max(0.0, level), 1),
        "rain_mm": _rain_mm(rng, rain_mm_h(s.district, t, scn, p), s.interval_s),
    }


def _air(s: Sensor, t: int, rng: random.Random, scn: Scenario, p: float) -> dict[str, float]:
    dt = rhythm.local(t)
    h = rhythm.hour(dt)
    traffic = rhythm.traffic(h)
    dry = rhythm.dryness(dt.month)
    # Night-time inversions trap smoke in the dry season (mornings and evenings).
    inversion = max(0.0, dry - 0.8) * (rhythm.bump(h, 6.5, 1.5) + rhythm.bump(h, 20.0, 2.0))
    washout = 1.0 - 0.5 * min(1.0, rain_mm_h(s.district, t, scn, p) / 10.0)
    drift = 1.0 + 0.25 * rhythm.wave(t, s.source_id)
    pm25 = (10.0 + 13.0 * s.urban) * dry * (1.0 + 0.8 * traffic * s.urban + 0.5 * inversion)
    pm25 *= washout * drift * _noise(rng, 0.08)
    sun = max(0.0, math.sin(math.pi * (h - 6.5) / 13.0))
    values = {
        "pm25": pm25,
        "pm10": pm25 * (1.55 + 0.25 * s.urban) * _noise(rng, 0.05),
        "no2": (5.0 + 35.0 * s.urban * traffic) * _noise(rng, 0.1),
        "so2": (3.0 + 5.0 * s.urban) * dry * _noise(rng, 0.12),
        "co": (350.0 + 950.0 * s.urban * traffic) * washout * _noise(rng, 0.1),
        "o3": (12.0 + 75.0 * sun * (1.0 - 0.3 * rhythm.wetness(dt.month))) * _noise(rng, 0.1),
    }
    return {name: round(value, 1) for name, value in values.items()}


def _weather(s: Sensor, t: int, rng: random.Random, scn: Scenario, p: float) -> dict[str, float]:
    dt = rhythm.local(t)
    h = rhythm.hour(dt)
    rain = rain_mm_h(s.district, t, scn, p)
    day_cycle = math.cos(2 * math.pi * (h - 14.5) / 24.0)  # warmest mid-afternoon
    temp = rhythm.monthly_temp(dt.month) + 4.5 * day_cycle
    temp -= (s.elevation_m - 240.0) * 0.0065  # lapse rate: Phia Oắc is ≈ 11 °C colder
    temp += 1.5 * rhythm.wave(t, "temp:" + s.source_id) - 2.0 * min(1.0, rain / 10.0)
    humidity = (
        80.0 - 14.0 * day_cycle + 12.0 * min(1.0, rain / 5.0) + 5.0 * rhythm.wetness(dt.month)
    )
    humidity += rng.gauss(0.0, 1.5)
    wind = 1.3 + 1.2 * max(0.0, day_cycle) + 1.0 * rhythm.wave(t, "wind:" + s.district)
    wind += 2.0 * min(1.0, rain / 30.0) + (2.5 if s.elevation_m > 1000 else 0.0)
    return {
        "temp_c": round(temp + rng.gauss(0.0, 0.2), 1),
        "humidity_pct": round(min(100.0, max(20.0, humidity)), 1),
        "rain_mm": _rain_mm(rng, rain, s.interval_s),
        "wind_ms": round(max(0.0, wind * _noise(rng, 0.15)), 1),
    }


def _noise_level(
    s: Sensor, t: int, rng: random.Random, scn: Scenario, p: float
) -> dict[str, float]:
    h = rhythm.hour(rhythm.local(t))
    traffic = rhythm.traffic(h)
    laeq = 40.0 + 8.0 * rhythm.daytime(h) + 26.0 * s.urban * traffic + rng.gauss(0.0, 1.5)
    return {"laeq_db": round(max(25.0, laeq), 1)}


_KINDS = {"air": _air, "water": _water, "weather": _weather, "noise": _noise_level}


def record(
    sensor: Sensor, t: int, rng: random.Random, scenario: Scenario, progress: float
) -> dict[str, Any]:
    """The reading as a JSON-object payload (whatever form the sensor sends on the wire)."""
    values = _KINDS[sensor.kind](sensor, t, rng, scenario, progress)
    return {
        "ts": rhythm.rfc3339(t),
        "kind": sensor.kind,
        "values": {name: values[name] for name in sensor.value_names},
    }


def to_senml(sensor: Sensor, t: int, values: dict[str, float]) -> list[dict[str, Any]]:
    """The values as a SenML pack: base name and base time (epoch s) on the first record."""
    pack: list[dict[str, Any]] = []
    for name, value in values.items():
        rec: dict[str, Any] = {"n": name, "u": SENSOR_UNITS[name], "v": value}
        if not pack:
            rec = {"bn": f"urn:dev:{sensor.source_id}:", "bt": t, **rec}
        pack.append(rec)
    return pack


def payload(
    sensor: Sensor, t: int, rng: random.Random, scenario: Scenario, progress: float
) -> dict[str, Any] | list[dict[str, Any]]:
    """The wire payload: the JSON object, or its SenML form for SenML sensors."""
    rec = record(sensor, t, rng, scenario, progress)
    return to_senml(sensor, t, rec["values"]) if sensor.senml else rec


# --- the generator interface (simulators.feeds.base) ---------------------------------------------

FEED = "sensor"
BAD_KINDS = {"bad_time": "bad_time", "unknown_kind": "bad_value"}
UNKNOWN_VALUE = {"air": "pm1", "water": "flow_m3s", "weather": "pressure_hpa", "noise": "lmax_db"}
FAR_FUTURE_S = 9_999_999_999  # year 2286


class Generator:
    def valid(
        self, device: Sensor, t: int, rng: random.Random, scenario: Scenario, progress: float
    ) -> tuple[Any, Any]:
        rec = record(device, t, rng, scenario, progress)
        return (to_senml(device, t, rec["values"]) if device.senml else rec), rec

    def template(
        self, device: Sensor, t: int, rng: random.Random, scenario: Scenario, progress: float
    ) -> Any:
        return payload(device, t, rng, scenario, progress)


def generator(devices: Any) -> Generator:
    return Generator()


def refuses(kind: str, body: Any) -> str | None:
    if kind == "unknown_kind" and isinstance(body, list):
        return "a SenML pack has no kind to get wrong"
    return None


def mutate(kind: str, body: Any, t: int, rng: random.Random) -> Any:
    senml = isinstance(body, list)
    if kind == "wrong_type":
        if senml:  # the value as a string
            body[0]["v"] = str(body[0]["v"])
        else:
            name = next(iter(body["values"]))
            body["values"][name] = rng.choice([str(body["values"][name]), "n/a"])
    elif kind == "unknown_name":
        if senml:
            body.append({"n": "radon", "u": "Bq/m3", "v": 40.0})
        else:
            body["values"][UNKNOWN_VALUE[body["kind"]]] = 12.0
    elif kind == "bad_time":
        if senml:
            body[0]["bt"] = FAR_FUTURE_S
        else:
            body = bad_ts(body, t, rng)
    elif kind == "unknown_kind":
        body["kind"] = "radiation"
    return body
