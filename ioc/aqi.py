"""VN_AQI, Vietnam's air quality index, per Decision 1459/QĐ-TCMT (12 November 2019).

The decision of the Vietnam Environment Administration (Tổng cục Môi trường), "Hướng dẫn kỹ thuật
tính toán và công bố chỉ số chất lượng không khí Việt Nam (VN_AQI)", replaced Decision
878/QĐ-TCMT (2011). What this module takes from it, section by section:

- Table 1 (Bảng 1, section 1.4): the six bands, their names and RGB colours -> `BANDS`, `band()`.
- Section 2.1.b: the hourly AQI is computed per station from 1-hour means of SO2, CO, NO2, O3,
  PM10 and PM2.5; it is the largest sub-index; at least one of PM10 and PM2.5 is required.
- Section 2.2.1.a: the NowCast of PM2.5 and PM10 over the last 12 hourly means -> `nowcast()`.
- Section 2.2.1.b, formulas 1 and 2: AQI_x = (I_i+1 - I_i) / (BP_i+1 - BP_i) * (C_x - BP_i) + I_i,
  with C_x the 1-hour mean (SO2, CO, NO2, O3) or the NowCast (PM10, PM2.5) -> `sub_index()`.
- Table 2 (Bảng 2): the breakpoints BP_i (µg/m³, CO included) for I_i = 0, 50, 100, 150, 200,
  300, 400, 500 -> `LEVELS`, `BREAKPOINTS`. Hourly O3 uses the O3 (1h) column; the O3 (8h) column
  is only for the daily AQI (kept here for completeness; not defined above 400 µg/m³).
- Section 2.2.1.c: AQI^h = max(AQI_x), rounded to an integer -> `hourly_aqi()`.

Choices where the decision leaves room (each tested in tests/ioc/test_aqi.py):

- Rounding is half-up ("làm tròn thành số nguyên"). The decision's worked example (section 2.3)
  agrees for five of its six sub-indices; it prints NO2 = 60 for (50/100) * (118.7 - 100) + 50 =
  59.35, which no rounding rule reconciles with its daily NO2 example (65.4 -> 65).
- Table 2's last row reads "≥ 1200, ≥ 150000, …, ≥ 500": a concentration at or above it has the
  sub-index 500; the index is never extrapolated beyond 500.
- The NowCast is the weighted mean sum(w^(i-1) c_i) / sum(w^(i-1)) over the hours present, for
  w > 1/2 as the decision writes and also for w = 1/2, where the decision writes the unnormalised
  sum((1/2)^i c_i). With all 12 hours present the two differ by the factor 1 / (1 - 2^-12), i.e.
  0.02 %; with hours missing the normalised form does not drift towards 0.

How the numbers were checked: Table 2 and the worked examples were compared against a transcription
of the decision's PDF (as published by the Administration) and against several independent public
implementations, which all carry the same table. No number here is unverified.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

# Table 2, column I_i: the AQI value at each level i = 1..8.
LEVELS: tuple[int, ...] = (0, 50, 100, 150, 200, 300, 400, 500)

# Table 2, the BP_i columns (µg/m³) for i = 1..8. The O3 (8h) column ends at level 6 ("-" below).
BREAKPOINTS: dict[str, tuple[float, ...]] = {
    "o3_1h": (0, 160, 200, 300, 400, 800, 1000, 1200),
    "o3_8h": (0, 100, 120, 170, 210, 400),
    "co": (0, 10_000, 30_000, 45_000, 60_000, 90_000, 120_000, 150_000),
    "so2": (0, 125, 350, 550, 800, 1600, 2100, 2630),
    "no2": (0, 100, 200, 700, 1200, 2350, 3100, 3850),
    "pm10": (0, 50, 150, 250, 350, 420, 500, 600),
    "pm25": (0, 25, 50, 80, 150, 250, 350, 500),
}
# The sensor feed's value names; hourly O3 uses the O3 (1h) column (note under Table 2).
POLLUTANTS: tuple[str, ...] = ("pm25", "pm10", "o3", "no2", "so2", "co")
PM_POLLUTANTS: tuple[str, ...] = ("pm25", "pm10")
TABLE_COLUMN: dict[str, str] = {p: p for p in POLLUTANTS} | {"o3": "o3_1h"}

NOWCAST_HOURS = 12  # section 2.2.1.a: c1 (the current hour) … c12
NOWCAST_MIN_W = 0.5  # w = w* when w* > 1/2, else 1/2
MAX_AQI = LEVELS[-1]


@dataclass(frozen=True, slots=True)
class Band:
    """One row of Table 1: an AQI range with its name and colour."""

    level: int  # 1 (Tốt) … 6 (Nguy hại)
    low: int
    high: int
    name_vi: str
    name_en: str
    rgb: tuple[int, int, int]

    @property
    def hex(self) -> str:
        return "#{:02x}{:02x}{:02x}".format(*self.rgb)


# Table 1 (Bảng 1): "Khoảng giá trị AQI và đánh giá chất lượng không khí".
BANDS: tuple[Band, ...] = (
    Band(1, 0, 50, "Tốt", "Good", (0, 228, 0)),
    Band(2, 51, 100, "Trung bình", "Moderate", (255, 255, 0)),
    Band(3, 101, 150, "Kém", "Poor", (255, 126, 0)),
    Band(4, 151, 200, "Xấu", "Bad", (255, 0, 0)),
    Band(5, 201, 300, "Rất xấu", "Very bad", (143, 63, 151)),
    Band(6, 301, 500, "Nguy hại", "Hazardous", (126, 0, 35)),
)


def round_half_up(x: float) -> int:
    """Round to the nearest integer, halves up (109.5 -> 110), ignoring float noise below 1e-9."""
    return math.floor(round(x, 9) + 0.5)


def band(aqi: float) -> Band:
    """The Table 1 band of an AQI; a fractional AQI is rounded half-up first (50.4 -> Tốt)."""
    if not math.isfinite(aqi) or aqi < 0:
        raise ValueError(f"an AQI is a finite number >= 0, got {aqi!r}")
    value = round_half_up(aqi)
    for b in BANDS:
        if value <= b.high:
            return b
    return BANDS[-1]


def sub_index(pollutant: str, concentration: float) -> float | None:
    """AQI_x (not rounded) by formula 1/2 over Table 2, for a concentration in µg/m³.

    `pollutant` is a Table 2 column (`o3_1h`, `o3_8h`, `co`, `so2`, `no2`, `pm10`, `pm25`) or a
    sensor value name (`o3` means `o3_1h`). For PM pass the NowCast. At or above the last
    breakpoint the sub-index is 500. None only for `o3_8h` above 400 µg/m³, where the decision
    defines no 8-hour index (section 2.2.2.b).
    """
    column = TABLE_COLUMN.get(pollutant, pollutant)
    bps = BREAKPOINTS.get(column)
    if bps is None:
        raise ValueError(f"unknown pollutant {pollutant!r}; expected one of {sorted(BREAKPOINTS)}")
    if not math.isfinite(concentration) or concentration < 0:
        raise ValueError(
            f"{pollutant} concentration must be finite and >= 0, got {concentration!r}"
        )
    for i in range(len(bps) - 1):
        lo, hi = bps[i], bps[i + 1]
        if concentration < hi:
            return (LEVELS[i + 1] - LEVELS[i]) / (hi - lo) * (concentration - lo) + LEVELS[i]
    if len(bps) < len(LEVELS):  # O3 (8h): nothing defined beyond its last breakpoint
        return float(LEVELS[len(bps) - 1]) if concentration == bps[-1] else None
    return float(MAX_AQI)


def _present(value: float | None) -> bool:
    return value is not None and not math.isnan(value)


def nowcast(hourly_means: Sequence[float | None]) -> float | None:
    """The NowCast of section 2.2.1.a from 1-hour means, newest first (c1 = the current hour).

    Only the first 12 values are used; None (or NaN) marks a missing hour, whose weight is 0.
    None unless at least 2 of c1, c2, c3 are present. w* = Cmin / Cmax over the hours present;
    w = w* if w* > 1/2 else 1/2; NowCast = sum(w^(i-1) c_i) / sum(w^(i-1)) over present hours.
    """
    values = list(hourly_means[:NOWCAST_HOURS])
    if sum(1 for c in values[:3] if _present(c)) < 2:
        return None
    present = [(i, float(c)) for i, c in enumerate(values) if c is not None and not math.isnan(c)]
    c_max = max(c for _, c in present)
    if c_max <= 0:
        return 0.0
    w_star = min(c for _, c in present) / c_max
    w = w_star if w_star > NOWCAST_MIN_W else NOWCAST_MIN_W
    weights = [(w**i, c) for i, c in present]
    return sum(wt * c for wt, c in weights) / sum(wt for wt, _ in weights)


@dataclass(frozen=True, slots=True)
class AqiResult:
    """An hourly VN_AQI: the index, its band, the pollutant that set it, and the parts."""

    aqi: int | None
    band: Band | None
    dominant: str | None
    sub_indices: Mapping[str, int] = field(default_factory=dict)
    inputs: Mapping[str, float] = field(default_factory=dict)  # C_x or NowCast used, µg/m³


def hourly_aqi(hourly: Mapping[str, Sequence[float | None]]) -> AqiResult:
    """AQI^h of one station (section 2.2.1) from 1-hour means per pollutant, newest first.

    Keys are sensor value names (`pm25`, `pm10`, `o3`, `no2`, `so2`, `co`); a missing key or an
    empty sequence means no data. PM uses the NowCast of up to 12 hours; O3, NO2, SO2 and CO use
    the current hour c1 (O3 against the O3 (1h) column). AQI^h is the largest rounded sub-index;
    it is None when neither PM2.5 nor PM10 has a value (section 2.1.b). On a tie the dominant
    pollutant is the first in `POLLUTANTS` order.
    """
    unknown = set(hourly) - set(POLLUTANTS)
    if unknown:
        raise ValueError(f"unknown pollutants {sorted(unknown)}; expected {POLLUTANTS}")
    inputs: dict[str, float] = {}
    subs: dict[str, int] = {}
    for pollutant in POLLUTANTS:
        series = hourly.get(pollutant) or ()
        if pollutant in PM_POLLUTANTS:
            value = nowcast(series)
        else:
            first = series[0] if series else None
            value = float(first) if first is not None and _present(first) else None
        if value is None:
            continue
        sub = sub_index(pollutant, value)
        if sub is not None:
            inputs[pollutant] = value
            subs[pollutant] = round_half_up(sub)
    if not any(p in subs for p in PM_POLLUTANTS):
        return AqiResult(None, None, None, subs, inputs)
    dominant = max(subs, key=lambda p: (subs[p], -POLLUTANTS.index(p)))
    aqi = subs[dominant]
    return AqiResult(aqi, band(aqi), dominant, subs, inputs)
