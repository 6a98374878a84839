"""Local time, rush hours, office hours and due dates."""

from __future__ import annotations

import itertools
import random
import statistics
from datetime import datetime

from ioc.localtime import LOCAL_TZ
from simulators import rhythm


def at(y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> int:
    return rhythm.epoch(datetime(y, mo, d, h, mi, tzinfo=LOCAL_TZ))


def test_local_time_is_utc_plus_7() -> None:
    t = rhythm.epoch(datetime.fromisoformat("2026-07-01T01:00:00+00:00"))
    assert rhythm.rfc3339(t) == "2026-07-01T08:00:00+07:00"
    assert rhythm.epoch(datetime(2026, 7, 1, 1, 0)) == t  # naive = UTC


def test_traffic_peaks_at_rush_hours() -> None:
    assert rhythm.traffic(7.25) > rhythm.traffic(10.0) > rhythm.traffic(3.0)
    assert rhythm.traffic(17.5) > rhythm.traffic(14.5)
    assert rhythm.traffic(3.0) < 0.15
    assert all(0.0 <= rhythm.traffic(h / 4) <= 1.0 for h in range(96))


def test_seasons() -> None:
    assert rhythm.wetness(7) > rhythm.wetness(1)
    assert rhythm.dryness(1) > 1.0 > rhythm.dryness(7)


def test_office_hours() -> None:
    monday = datetime(2026, 7, 6, tzinfo=LOCAL_TZ)
    assert rhythm.in_office_hours(monday.replace(hour=8))
    assert not rhythm.in_office_hours(monday.replace(hour=7, minute=29))
    assert not rhythm.in_office_hours(monday.replace(hour=12))
    assert rhythm.in_office_hours(monday.replace(hour=16, minute=59))
    assert not rhythm.in_office_hours(monday.replace(hour=17))
    assert not rhythm.in_office_hours(monday.replace(day=11, hour=9))  # Saturday


def test_due_dates_skip_weekends() -> None:
    friday = at(2026, 7, 3, 10)
    assert rhythm.rfc3339(rhythm.due_after(friday, 1)) == "2026-07-06T17:00:00+07:00"
    assert rhythm.rfc3339(rhythm.due_after(friday, 5)) == "2026-07-10T17:00:00+07:00"


def test_office_moments_fall_in_office_hours() -> None:
    rng = random.Random(1)
    a, b = at(2026, 7, 3, 16), at(2026, 7, 8, 9)
    for _ in range(200):
        t = rhythm.office_moment(rng, a, b)
        assert a <= t <= b
        assert rhythm.in_office_hours(rhythm.local(t))
    # no office time in [a, b] → the next office instant
    saturday = at(2026, 7, 4, 10)
    assert rhythm.office_moment(rng, saturday, saturday + 3600) == at(2026, 7, 6, 7, 30)
    assert rhythm.next_office_time(saturday) == at(2026, 7, 6, 7, 30)


def test_wave_is_smooth_deterministic_and_bounded() -> None:
    values = [rhythm.wave(t * 60, "k") for t in range(2000)]
    assert values == [rhythm.wave(t * 60, "k") for t in range(2000)]
    assert all(-1.0 <= v <= 1.0 for v in values)
    assert max(abs(x - y) for x, y in itertools.pairwise(values)) < 0.1


def test_poisson_mean() -> None:
    rng = random.Random(2)
    for lam in (0.5, 4.0, 80.0):
        mean = statistics.fmean(rhythm.poisson(rng, lam) for _ in range(4000))
        assert abs(mean - lam) < 0.1 * lam + 0.05
    assert rhythm.poisson(rng, 0.0) == 0
