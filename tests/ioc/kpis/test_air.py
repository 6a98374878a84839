"""air.vn_aqi per station and the province's worst, from sensor readings worked by hand."""

import json

import pytest

from ioc.kpis.air import AirTally
from tests.ioc.kpis.data import ms, sensor

NOW = ms(8, 10, 20)  # c1 = 10:00-10:20 (in progress), c2 = 09:00-10:00, c3 = 08:00-09:00

READINGS = [
    # a1: PM2.5 c1 = (30 + 50) / 2 = 40, c2 = 20, c3 = 10; NO2 c1 = 150
    sensor("a1", "hoa-an", "air", ms(8, 10, 5), pm25=30, no2=150),
    sensor("a1", "hoa-an", "air", ms(8, 10, 15), pm25=50),
    sensor("a1", "hoa-an", "air", ms(8, 9, 10), pm25=20),
    sensor("a1", "hoa-an", "air", ms(8, 9, 40), pm25=20),
    sensor("a1", "hoa-an", "air", ms(8, 8, 30), pm25=10),
    # a1: 07-07 21:30 is c13, outside the 12 hours: ignored however high
    sensor("a1", "hoa-an", "air", ms(7, 21, 30), pm25=1000),
    # b2: PM10 400 in c1 and c2
    sensor("b2", "bao-lac", "air", ms(8, 10, 10), pm10=400),
    sensor("b2", "bao-lac", "air", ms(8, 9, 10), pm10=400),
    # c3: PM2.5 in c1 only: no NowCast (needs 2 of c1..c3)
    sensor("c3", "thach-an", "air", ms(8, 10, 10), pm25=80),
    # a water gauge: not an air station
    sensor("g1", "hoa-an", "water", ms(8, 10, 10), level_cm=300),
]


@pytest.fixture
def tally():
    t = AirTally()
    for r in READINGS:
        t.add(r)
    return t


def by_scope(tally):
    return {v.scope: v for v in tally.kpis(NOW)}


def test_hourly_means_newest_first(tally):
    assert tally.hourly_means("a1", "pm25", NOW)[:4] == [40.0, 20.0, 10.0, None]
    assert tally.stations() == ["a1", "b2", "c3"]


def test_station_aqi_worked_by_hand(tally):
    v = by_scope(tally)["source:a1"]
    # PM2.5 NowCast of 40, 20, 10: w* = 0.25 -> w = 0.5; (40 + 10 + 2.5) / 1.75 = 30 µg/m³;
    # AQI = (100-50)/(50-25) * (30-25) + 50 = 60. NO2 150: (100-50)/(200-100) * 50 + 50 = 75.
    assert v.extra["sub_indices"] == {"pm25": 60, "no2": 75}
    assert v.value == 75 and v.extra["dominant"] == "no2"
    assert (v.extra["band_vi"], v.extra["color"]) == ("Trung bình", "#ffff00")
    assert v.status == "unrated" and v.window == "nowcast" and v.extra["district"] == "hoa-an"


def test_province_is_the_worst_station(tally):
    v = by_scope(tally)
    # b2: PM10 NowCast 400: (300-200)/(420-350) * (400-350) + 200 = 271.4 -> 271, Rất xấu
    assert v["source:b2"].value == 271 and v["source:b2"].status == "unrated"
    assert v["province"].value == 271
    assert (v["province"].extra["station"], v["province"].extra["band_vi"]) == ("b2", "Rất xấu")


def test_station_without_nowcast_has_no_value(tally):
    v = by_scope(tally)["source:c3"]
    assert v.value is None and v.status == "no_data"
    assert "source:g1" not in by_scope(tally)


def test_no_station_at_all():
    (province,) = AirTally().kpis(NOW)
    assert province.scope == "province" and province.value is None


def test_round_trip_and_prune(tally):
    copy = AirTally.from_dict(json.loads(json.dumps(tally.to_dict())))
    assert copy == tally
    tally.prune(NOW)  # drops the 07-07 21:00 hour, which no value used
    assert tally.hourly_means("a1", "pm25", NOW) == copy.hourly_means("a1", "pm25", NOW)
    assert tally.to_dict() != copy.to_dict()
    assert [v.to_dict() for v in tally.kpis(NOW)] == [v.to_dict() for v in copy.kpis(NOW)]
