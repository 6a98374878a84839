"""VN_AQI against Decision 1459/QĐ-TCMT: Table 1 bands, Table 2, NowCast, section 2.3 examples."""

import math

import pytest

from ioc.aqi import (
    BANDS,
    BREAKPOINTS,
    LEVELS,
    band,
    hourly_aqi,
    nowcast,
    round_half_up,
    sub_index,
)

# Table 2 as printed in the decision (rows i = 1..8; "-" for O3 8h at rows 7 and 8).
TABLE_2 = {
    "o3_1h": (0, 160, 200, 300, 400, 800, 1000, 1200),
    "o3_8h": (0, 100, 120, 170, 210, 400),
    "co": (0, 10000, 30000, 45000, 60000, 90000, 120000, 150000),
    "so2": (0, 125, 350, 550, 800, 1600, 2100, 2630),
    "no2": (0, 100, 200, 700, 1200, 2350, 3100, 3850),
    "pm10": (0, 50, 150, 250, 350, 420, 500, 600),
    "pm25": (0, 25, 50, 80, 150, 250, 350, 500),
}
# Section 2.3.a: PM2.5 hourly means 09:00 … 20:00; newest first for nowcast().
DECISION_PM25 = [26.9, 24.7, 20.5, 23.5, 19.5, 16.5, 19.0, 16.5, 20.3, 22.4, 19.6, 20.6][::-1]


def test_table_2_is_the_decisions():
    assert LEVELS == (0, 50, 100, 150, 200, 300, 400, 500)
    assert BREAKPOINTS == TABLE_2


@pytest.mark.parametrize(
    ("column", "i"), [(c, i) for c, bps in TABLE_2.items() for i in range(len(bps))]
)
def test_each_breakpoint_maps_to_its_level(column, i):
    assert sub_index(column, TABLE_2[column][i]) == pytest.approx(LEVELS[i])


@pytest.mark.parametrize(
    ("pollutant", "c", "expected"),
    [
        ("pm25", 37.5, 75.0),  # (100-50)/(50-25) * (37.5-25) + 50 = 2 * 12.5 + 50
        ("pm25", 12.5, 25.0),  # (50-0)/(25-0) * 12.5 = 25
        ("pm10", 385.0, 250.0),  # (300-200)/(420-350) * (385-350) + 200 = 100/70 * 35 + 200
        ("co", 20000.0, 75.0),  # (100-50)/(30000-10000) * 10000 + 50
        ("so2", 237.5, 75.0),  # (100-50)/(350-125) * 112.5 + 50 = 50/225 * 112.5 + 50
        ("o3", 180.0, 75.0),  # O3 hourly uses the O3 (1h) column: 50/40 * 20 + 50
        ("no2", 450.0, 125.0),  # (150-100)/(700-200) * 250 + 100
        ("pm25", 425.0, 450.0),  # row 7 to 8: (500-400)/(500-350) * 75 + 400
    ],
)
def test_formula_between_breakpoints(pollutant, c, expected):
    assert sub_index(pollutant, c) == pytest.approx(expected)


def test_at_or_above_the_last_row_is_500_never_more():
    assert sub_index("pm25", 500.0) == 500.0
    assert sub_index("pm25", 900.0) == 500.0  # Table 2 row 8 reads ">= 500"
    assert sub_index("co", 1e6) == 500.0


def test_o3_8h_is_undefined_above_400():
    assert sub_index("o3_8h", 400.0) == 300.0
    assert sub_index("o3_8h", 400.1) is None


def test_bad_inputs_raise():
    with pytest.raises(ValueError, match="unknown pollutant"):
        sub_index("pm1", 3.0)
    with pytest.raises(ValueError, match=">= 0"):
        sub_index("pm25", -1.0)
    with pytest.raises(ValueError, match="finite"):
        sub_index("pm25", math.nan)
    with pytest.raises(ValueError, match="unknown pollutants"):
        hourly_aqi({"pm1": [1.0]})


def test_nowcast_decision_example_section_2_3_a():
    # w* = Cmin / Cmax = 16.5 / 26.9 = 0.613 > 1/2, so w = w*; the decision prints 20.3 µg/m³.
    assert nowcast(DECISION_PM25) == pytest.approx(20.27, abs=0.005)


def test_nowcast_w_floor_at_one_half():
    # c = 40, 20, 10: w* = 10/40 = 0.25 <= 1/2 -> w = 1/2;
    # (1*40 + 0.5*20 + 0.25*10) / (1 + 0.5 + 0.25) = 52.5 / 1.75 = 30
    assert nowcast([40.0, 20.0, 10.0]) == pytest.approx(30.0)


def test_nowcast_w_above_one_half():
    # c = 30, 20, 30: w* = 20/30 = 2/3; (30 + 2/3*20 + 4/9*30) / (1 + 2/3 + 4/9)
    # = (170/3) / (19/9) = 510/19 = 26.842…
    assert nowcast([30.0, 20.0, 30.0]) == pytest.approx(510 / 19)


def test_nowcast_missing_hours_get_weight_zero():
    # c1 missing, c2 = 20, c3 = 10: 2 of 3 present. w* = 0.5 -> w = 0.5;
    # weights w^1, w^2 = 0.5, 0.25: (0.5*20 + 0.25*10) / 0.75 = 12.5 / 0.75 = 16.67
    assert nowcast([None, 20.0, 10.0]) == pytest.approx(50 / 3)
    assert nowcast([float("nan"), 20.0, 10.0]) == pytest.approx(50 / 3)


def test_nowcast_needs_two_of_the_last_three_hours():
    assert nowcast([None, None, 10.0, 10.0, 10.0]) is None
    assert nowcast([10.0, None, None, 10.0]) is None
    assert nowcast([10.0]) is None
    assert nowcast([]) is None
    assert nowcast([10.0, None, 12.0]) is not None


def test_nowcast_uses_12_hours_only_and_zero_air():
    assert nowcast([10.0] * 12 + [1000.0]) == pytest.approx(10.0)
    assert nowcast([0.0, 0.0, 0.0]) == 0.0


def test_normalised_one_half_case_matches_the_decisions_sum_within_0_03_percent():
    # The decision writes sum((1/2)^i * c_i) for w = 1/2; with 12 hours present the normalised
    # mean differs from it by the factor 1 / (1 - 2^-12).
    c = [80.0, 10.0, 30.0, 20.0, 60.0, 15.0, 40.0, 25.0, 50.0, 35.0, 45.0, 55.0]
    literal = sum(0.5 ** (i + 1) * x for i, x in enumerate(c))
    assert nowcast(c) == pytest.approx(literal, rel=3e-4)


def test_hourly_aqi_decision_example_section_2_3_b():
    result = hourly_aqi({"pm25": DECISION_PM25, "o3": [136.1], "no2": [118.7]})
    # O3:    50/160 * 136.1 = 42.53 -> 43 (decision: 43)
    # PM2.5: 50/25 * 20.27 = 40.53 -> 41 (decision: 41)
    # NO2:   (100-50)/(200-100) * (118.7-100) + 50 = 59.35 -> 59 (decision prints 60; half-up
    #        rounding, which the daily example's NO2 65.4 -> 65 confirms, gives 59)
    assert result.sub_indices == {"pm25": 41, "o3": 43, "no2": 59}
    assert result.aqi == 59
    assert result.dominant == "no2"
    assert result.band is not None and result.band.name_vi == "Trung bình"


@pytest.mark.parametrize(
    ("column", "c", "expected"),
    [
        ("o3_8h", 89.3, 45),  # 50/100 * 89.3 = 44.65 -> 45
        ("o3_1h", 114.6, 36),  # 50/160 * 114.6 = 35.81 -> 36
        ("no2", 130.8, 65),  # 50/100 * 30.8 + 50 = 65.4 -> 65
        ("pm25", 55.7, 110),  # 50/30 * 5.7 + 100 = 109.5 -> 110
    ],
)
def test_daily_example_section_2_3_c_sub_indices(column, c, expected):
    sub = sub_index(column, c)
    assert sub is not None and round_half_up(sub) == expected


def test_hourly_aqi_needs_pm():
    result = hourly_aqi({"o3": [300.0], "no2": [150.0]})
    assert result.aqi is None and result.band is None and result.dominant is None
    assert result.sub_indices == {"o3": 150, "no2": 75}


def test_hourly_aqi_gases_use_the_current_hour_only():
    # NO2 c1 missing: no NO2 sub-index even though c2 is high.
    result = hourly_aqi({"pm10": [50.0, 50.0], "no2": [None, 1000.0]})
    assert result.sub_indices == {"pm10": 50}
    assert result.aqi == 50


def test_tie_goes_to_the_first_pollutant():
    result = hourly_aqi({"pm10": [50.0, 50.0], "pm25": [25.0, 25.0]})
    assert result.aqi == 50 and result.dominant == "pm25"


def test_round_half_up():
    assert [round_half_up(x) for x in (0.5, 1.5, 2.5, 2.4999, 109.5)] == [1, 2, 3, 2, 110]


@pytest.mark.parametrize(
    ("aqi", "name"),
    [
        (0, "Tốt"),
        (50, "Tốt"),
        (50.4, "Tốt"),
        (50.5, "Trung bình"),
        (51, "Trung bình"),
        (100, "Trung bình"),
        (101, "Kém"),
        (150, "Kém"),
        (151, "Xấu"),
        (200, "Xấu"),
        (201, "Rất xấu"),
        (300, "Rất xấu"),
        (301, "Nguy hại"),
        (500, "Nguy hại"),
        (650, "Nguy hại"),
    ],
)
def test_band_boundaries_table_1(aqi, name):
    assert band(aqi).name_vi == name


def test_band_names_and_colours_table_1():
    assert [(b.low, b.high, b.name_vi, b.rgb) for b in BANDS] == [
        (0, 50, "Tốt", (0, 228, 0)),
        (51, 100, "Trung bình", (255, 255, 0)),
        (101, 150, "Kém", (255, 126, 0)),
        (151, 200, "Xấu", (255, 0, 0)),
        (201, 300, "Rất xấu", (143, 63, 151)),
        (301, 500, "Nguy hại", (126, 0, 35)),
    ]
    assert band(10).hex == "#00e400"
    with pytest.raises(ValueError):
        band(-1)
