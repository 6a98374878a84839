"""Scenario arcs: the whole story fits in the run, whatever its length."""

from __future__ import annotations

import itertools

import pytest

from simulators.scenarios import SCENARIOS, get_scenario


def test_known_scenarios() -> None:
    assert set(SCENARIOS) == {
        "normal",
        "flood",
        "border-queue",
        "festival",
        "malware-outbreak",
        "portal-outage",
    }
    with pytest.raises(ValueError, match="unknown scenario"):
        get_scenario("earthquake")


def test_flood_rises_past_bd3_then_falls_below_bd1() -> None:
    flood = get_scenario("flood")
    assert flood.flood_district == "thanh-pho-cao-bang"
    stages = [flood.flood_stage(i / 100) for i in range(101)]
    assert stages[0] == 0.0
    peak = stages.index(max(stages))
    assert max(stages) > 3.0
    assert all(a <= b for a, b in itertools.pairwise(stages[: peak + 1]))
    assert all(a >= b for a, b in itertools.pairwise(stages[peak:]))
    assert stages[-1] < 1.0
    assert flood.flood_rain_mm_h("thanh-pho-cao-bang", 0.2) > 30.0
    assert get_scenario("normal").flood_stage(0.4) == 0.0


def test_flood_district_can_move() -> None:
    assert get_scenario("flood", flood_district="bao-lac").floods("bao-lac")
    with pytest.raises(ValueError):
        get_scenario("flood", flood_district="atlantis")
    with pytest.raises(ValueError):
        get_scenario("normal", flood_district="bao-lac")


def test_queue_and_festival_arcs() -> None:
    queue = get_scenario("border-queue")
    assert queue.queue("ta-lung-border-gate", 0.5) == 1.0
    assert queue.queue("ta-lung-border-gate", 0.0) == 0.0
    assert queue.queue("ban-gioc-waterfall", 0.5) == 0.0
    festival = get_scenario("festival")
    assert festival.crowd_factor("ban-gioc-waterfall", 0.5) == 5.0
    assert festival.crowd_factor("ban-gioc-waterfall", 1.0) == 1.0
    assert festival.crowd_factor("ta-lung-border-gate", 0.5) == 1.0
