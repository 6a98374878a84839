"""Clocks and rhythms of Cao Bằng: local time, rush hours, seasons, office hours, smooth noise.

Simulated time is whole epoch seconds (UTC). Everything a person would recognise — rush hours,
office hours, the dry and the wet season — is computed in local time, Indochina Time (UTC+7,
no daylight saving). All functions are pure; randomness comes from the `random.Random` passed in.

    local(t)                  epoch seconds → aware datetime in UTC+7
    rfc3339(t)                epoch seconds → "2026-07-01T08:00:00+07:00"
    traffic(h)                0–1 traffic level at local hour h (peaks 6:30–8:00, 16:30–18:30)
    wetness(month)            0–1 rainfall season (wet Jun–Sep), dryness(month) ≥ 0.6 (dry Nov–Apr)
    in_office_hours(dt)       Mon–Fri 7:30–11:30 and 13:30–17:00
    office_moment(rng, a, b)  a random office-hours instant in [a, b]
    due_after(t, n)           17:00 of the n-th working day after t
    wave(t, key, periods)     deterministic smooth noise in [-1, 1]
    poisson(rng, lam)         a Poisson count
"""

from __future__ import annotations

import math
import random
import zlib
from datetime import UTC, date, datetime, time, timedelta

from ioc.localtime import LOCAL_TZ, local_datetime

DAY_S = 86_400
OFFICE_SPANS: tuple[tuple[time, time], ...] = (
    (time(7, 30), time(11, 30)),
    (time(13, 30), time(17, 0)),
)
CLOSE_OF_BUSINESS = time(17, 0)

# Monthly climate of Cao Bằng city (Jan … Dec): mean air temperature (°C), share of the year's
# rain season (wet June–September), and a dry-season factor for particulate matter (Nov–Apr).
MONTHLY_TEMP_C = (14.0, 15.5, 19.0, 23.0, 26.0, 27.5, 27.5, 27.0, 25.5, 22.5, 18.5, 15.0)
MONTHLY_WETNESS = (0.1, 0.1, 0.15, 0.3, 0.55, 0.85, 1.0, 1.0, 0.8, 0.4, 0.2, 0.1)
MONTHLY_DRYNESS = (1.5, 1.45, 1.35, 1.2, 0.9, 0.7, 0.65, 0.65, 0.75, 0.95, 1.3, 1.5)


def local(t: int) -> datetime:
    """Epoch seconds → aware local datetime (UTC+7)."""
    return local_datetime(t)


def rfc3339(t: int) -> str:
    """Epoch seconds → RFC 3339 with the local +07:00 offset."""
    return local(t).isoformat()


def epoch(dt: datetime) -> int:
    """Aware datetime → whole epoch seconds (a naive one is taken as UTC)."""
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return math.floor(dt.timestamp())


def hour(dt: datetime) -> float:
    """Local hour of day as a float, 7.5 for 07:30."""
    return dt.hour + dt.minute / 60 + dt.second / 3600


def bump(x: float, centre: float, width: float) -> float:
    """A Gaussian bump of height 1."""
    return math.exp(-0.5 * ((x - centre) / width) ** 2)


def _rise(x: float) -> float:
    return 1 / (1 + math.exp(-x))


def daytime(h: float) -> float:
    """≈0 at night, ≈1 from 6:00 to 21:00 (smooth edges)."""
    return _rise((h - 5.8) / 0.4) * _rise((21.5 - h) / 0.7)


def traffic(h: float) -> float:
    """Road traffic level 0–1: night ≈ 0.08, day ≈ 0.6, rush hours 6:30–8:00 and 16:30–18:30 ≈ 1."""
    level = 0.08 + 0.52 * daytime(h) + 0.45 * bump(h, 7.25, 0.5) + 0.45 * bump(h, 17.5, 0.7)
    level -= 0.12 * bump(h, 12.6, 0.6)  # lunch break
    return min(1.0, max(0.0, level))


def wetness(month: int) -> float:
    """Rain season 0–1 (1 in July–August)."""
    return MONTHLY_WETNESS[month - 1]


def dryness(month: int) -> float:
    """Particulate-matter season factor: ≈1.5 in the dry winter, ≈0.65 in the wet summer."""
    return MONTHLY_DRYNESS[month - 1]


def monthly_temp(month: int) -> float:
    return MONTHLY_TEMP_C[month - 1]


def is_weekend(dt: datetime) -> bool:
    return dt.weekday() >= 5


def in_office_hours(dt: datetime) -> bool:
    """Mon–Fri 7:30–11:30 and 13:30–17:00 local (public holidays are not modelled)."""
    dt = dt.astimezone(LOCAL_TZ)
    if is_weekend(dt):
        return False
    now = dt.time()
    return any(start <= now < end for start, end in OFFICE_SPANS)


def _office_spans_between(a: int, b: int) -> list[tuple[int, int]]:
    """Office-hour intervals (epoch s) intersecting [a, b]."""
    spans: list[tuple[int, int]] = []
    day: date = local(a).date()
    while True:
        start_of_day = datetime.combine(day, time(0), LOCAL_TZ)
        if epoch(start_of_day) > b:
            return spans
        if day.weekday() < 5:
            for start, end in OFFICE_SPANS:
                s = max(a, epoch(datetime.combine(day, start, LOCAL_TZ)))
                e = min(b, epoch(datetime.combine(day, end, LOCAL_TZ)))
                if s < e:
                    spans.append((s, e))
        day += timedelta(days=1)


def office_moment(rng: random.Random, a: int, b: int) -> int:
    """A uniformly random office-hours instant in [a, b]; the next office instant if none."""
    spans = _office_spans_between(a, b)
    total = sum(e - s for s, e in spans)
    if total <= 0:
        return next_office_time(max(a, b))
    pick = rng.randrange(total)
    for s, e in spans:
        if pick < e - s:
            return s + pick
        pick -= e - s
    return spans[-1][1]  # unreachable


def next_office_time(t: int) -> int:
    """`t` itself if it is in office hours, else the start of the next office span."""
    spans = _office_spans_between(t, t + 8 * DAY_S)
    return spans[0][0] if spans else t


def due_after(t: int, working_days: int) -> int:
    """17:00 local of the `working_days`-th working day after the day of `t` (≥ 1)."""
    day = local(t).date()
    left = max(1, working_days)
    while left:
        day += timedelta(days=1)
        if day.weekday() < 5:
            left -= 1
    return epoch(datetime.combine(day, CLOSE_OF_BUSINESS, LOCAL_TZ))


def wave(t: float, key: str, periods: tuple[float, ...] = (7_200.0, 19_000.0, 61_000.0)) -> float:
    """Deterministic smooth noise in [-1, 1]: a sum of sines with phases derived from `key`."""
    phase = zlib.crc32(key.encode())
    total = 0.0
    for i, period in enumerate(periods):
        offset = ((phase >> (i * 5)) & 0xFFFF) / 0xFFFF * 2 * math.pi
        total += math.sin(2 * math.pi * t / period + offset)
    return total / len(periods)


def poisson(rng: random.Random, lam: float) -> int:
    """A Poisson-distributed count (normal approximation above λ = 30)."""
    if lam <= 0:
        return 0
    if lam > 30:
        return max(0, round(rng.gauss(lam, math.sqrt(lam))))
    limit = math.exp(-lam)
    k, p = 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k
