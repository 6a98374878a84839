"""Water vs alarm levels, congestion, border queue and visitors, worked by hand."""

import pytest

from ioc.kpis.city import (
    GaugeAlarmLevels,
    border_queue_kpi,
    congestion_index,
    traffic_kpis,
    visitor_kpis,
    water_alarm,
    water_kpis,
)
from ioc.kpis.state import KpiState
from ioc.kpis.tally import LatestValues
from tests.ioc.kpis.data import camera, ms, sensor

NOW = ms(8, 12)
FRESH = NOW - 60_000  # a minute ago
STALE = NOW - 181_000  # more than 3 x 60 s ago
LEVELS = GaugeAlarmLevels(bd1=300, bd2=400, bd3=500)
BAN_GIOC, TA_LUNG, CENTRE = "ban-gioc-waterfall", "ta-lung-border-gate", "cao-bang-city-centre"


@pytest.mark.parametrize(
    ("level", "alarm", "index"),
    [
        (0, 0, 0.0),
        (150, 0, 0.5),  # 150 / 300
        (300, 1, 1.0),  # at BĐ1
        (350, 1, 1.5),  # 1 + 50 / (400 - 300)
        (400, 2, 2.0),  # at BĐ2
        (450, 2, 2.5),
        (500, 3, 3.0),  # at BĐ3
        (550, 3, 3.5),  # 3 + 50 / (500 - 400): beyond BĐ3 at the BĐ2-BĐ3 slope
    ],
)
def test_water_alarm(level, alarm, index):
    result = water_alarm(level, LEVELS)
    assert (result.alarm_level, result.index) == (alarm, pytest.approx(index))
    assert result.ratio_bd3 == pytest.approx(level / 500)


def test_alarm_levels_must_rise():
    with pytest.raises(ValueError):
        GaugeAlarmLevels(300, 300, 500)


def test_water_kpis_per_configured_gauge():
    latest = LatestValues()
    latest.add(sensor("g1", "hoa-an", "water", FRESH, level_cm=450))
    latest.add(sensor("g2", "bao-lac", "water", STALE, level_cm=600))
    latest.add(sensor("g3", "bao-lac", "water", FRESH, level_cm=600))  # no alarm levels known
    values = {v.scope: v for v in water_kpis(latest, {"g1": LEVELS, "g2": LEVELS}, NOW)}
    assert set(values) == {"source:g1", "source:g2"}
    g1 = values["source:g1"]
    assert (g1.value, g1.status, g1.extra["alarm_level"], g1.extra["label"]) == (
        2.5,
        "unrated",  # judged by the alert rules in the engine, not here
        2,
        "BĐ2",
    )
    assert (g1.extra["level_cm"], g1.extra["ratio_bd3"], g1.extra["bd3"]) == (450.0, 0.9, 500)
    assert values["source:g2"].value is None  # stale: no current level


def test_congestion_index():
    # occupancy 60 % -> 0.6; speed 20 km/h -> 1 - 20/50 = 0.6; queue 100 m -> 100/200 = 0.5
    # 100 * (0.4*0.6 + 0.4*0.6 + 0.2*0.5) / 1.0 = 58
    assert congestion_index(60, 20, 100) == pytest.approx(58.0)
    assert congestion_index(50, None, None) == pytest.approx(50.0)  # only occupancy present
    # speed 80 clips to 0, queue 1000 clips to 1: 100 * (0.4*0.1 + 0 + 0.2*1) = 24
    assert congestion_index(10, 80, 1000) == pytest.approx(24.0)
    # an empty road reports speed 0: with no vehicle the speed term is skipped
    assert congestion_index(0, 0, 0, vehicles_total=0) == 0.0
    assert congestion_index(None, None, None) is None


def test_traffic_per_site_is_its_most_congested_camera():
    latest = LatestValues()
    latest.add(
        camera(
            "cam1",
            "thanh-pho-cao-bang",
            CENTRE,
            FRESH,
            occupancy_pct=60.0,
            avg_speed_kmh=20.0,
            queue_m=100.0,
            vehicles_total=30,
        )
    )
    # 100 * (0.4*0.2 + 0.4*(1 - 45/50) + 0.2*0) = 8 + 4 = 12
    latest.add(
        camera(
            "cam2",
            "thanh-pho-cao-bang",
            CENTRE,
            FRESH,
            occupancy_pct=20.0,
            avg_speed_kmh=45.0,
            queue_m=0.0,
            vehicles_total=10,
        )
    )
    latest.add(camera("cam3", "hoa-an", "other-site", STALE, occupancy_pct=99.0))
    (value,) = traffic_kpis(latest, NOW)
    assert (value.scope, value.extra["camera"]) == ("site:" + CENTRE, "cam1")
    assert value.value == pytest.approx(58.0)


def test_border_queue_longest_fresh_camera():
    latest = LatestValues()
    latest.add(camera("tl1", "quang-hoa", TA_LUNG, FRESH, queue_m=520.0))
    latest.add(camera("tl2", "quang-hoa", TA_LUNG, FRESH, queue_m=300.0))
    latest.add(camera("tl3", "quang-hoa", TA_LUNG, STALE, queue_m=900.0))
    value = border_queue_kpi(latest, NOW)
    assert (value.scope, value.value, value.extra["camera"]) == ("site:" + TA_LUNG, 520.0, "tl1")
    assert border_queue_kpi(LatestValues(), NOW).value is None


def test_visitors_today_and_seven_days():
    state = KpiState()
    state.add(
        [
            camera("bg1", "trung-khanh", BAN_GIOC, ms(8, 9, 10), people=35),
            camera("bg2", "trung-khanh", BAN_GIOC, ms(8, 11), people=20),
            camera("bg1", "trung-khanh", BAN_GIOC, ms(7, 15), people=50),
            # at 12:30, 7d starts 07-01 12:30 and its first hour is 12:00-13:00: 12:10 counts
            camera("bg1", "trung-khanh", BAN_GIOC, ms(1, 12, 10), people=100),
            camera("bg1", "trung-khanh", BAN_GIOC, ms(1, 11, 30), people=7),
            camera("tl1", "quang-hoa", TA_LUNG, ms(8, 9), people=500),  # another site
        ]
    )
    values = {v.window: v for v in visitor_kpis(state.visitors, ms(8, 12, 30))}
    assert values["today"].value == 55  # 35 + 20
    assert values["7d"].value == 205  # 55 + 50 + 100
    assert values["today"].status == "unrated" and values["today"].scope == "site:" + BAN_GIOC
