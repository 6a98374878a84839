"""Scopes, windows, direction, the unjudged status and the KpiValue JSON form."""

import pytest

from ioc.kpis.registry import KPIS
from ioc.kpis.spec import (
    Derives,
    Drilldown,
    KpiSpec,
    KpiValue,
    local_day_start_ms,
    make_value,
    parse_scope,
    scope_feed,
    scope_kind,
    window_start_ms,
)
from tests.ioc.kpis.data import ms


def test_scopes():
    assert parse_scope("province") == {}
    assert parse_scope("district:hoa-an") == {"district": "hoa-an"}
    assert parse_scope(scope_feed("sensor", "hoa-an")) == {"feed": "sensor", "district": "hoa-an"}
    assert [scope_kind(s) for s in ("province", "site:x", "source:y", "feed:camera")] == [
        "province",
        "site",
        "source",
        "feed",
    ]
    assert scope_kind("feed:sensor/district:bao-lac") == "feed_district"
    for bad in ("", "hoa-an", "town:x", "district:", "source:a/source:b/site:c"):
        with pytest.raises(ValueError):
            scope_kind(bad)


def test_windows_in_local_time():
    now = ms(8, 6, 30)  # 2020-07-08 06:30 +07:00 = 2020-07-07 23:30 UTC: already the 8th locally
    assert window_start_ms("today", now) == ms(8, 0) == local_day_start_ms(now)
    assert local_day_start_ms(ms(8, 0)) == ms(8, 0)
    assert local_day_start_ms(ms(8, 0) - 1) == ms(7, 0)
    assert window_start_ms("7d", now) == ms(1, 6, 30)
    assert window_start_ms("1h", now) == ms(8, 5, 30)
    assert window_start_ms("now", now) == now
    assert window_start_ms("nowcast", now) == ms(7, 19)  # 06:00 minus 11 hours
    with pytest.raises(ValueError):
        window_start_ms("1y", now)  # type: ignore[arg-type]


def test_a_spec_has_no_thresholds_and_its_values_start_unjudged():
    # the one threshold definition is the alert rules (ioc.alerts.status judges the values)
    assert not hasattr(KPIS["traffic.congestion"], "thresholds")
    assert make_value(KPIS["servicedesk.backlog"], "province", "now", 12, 0).status == "unrated"
    value = make_value(KPIS["servicedesk.on_time_rate"], "province", "today", None, 0)
    assert value.status == "no_data"
    assert KPIS["servicedesk.on_time_rate"].direction == "higher_is_better"
    assert KPIS["air.vn_aqi"].direction == "lower_is_better"
    with pytest.raises(ValueError, match="unknown window"):
        KpiSpec(
            "x", "x", "x", "", "", ("province",), ("week",), Derives(()), "city", Drilldown("/")
        )  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="direction"):
        KpiSpec(
            "x",
            "x",
            "x",
            "",
            "",
            ("province",),
            ("now",),
            Derives(()),
            "city",
            Drilldown("/"),
            direction="up",  # type: ignore[arg-type]
        )


def test_value_json_form_and_round_trip():
    value = make_value(KPIS["air.vn_aqi"], "source:a1", "nowcast", 59, 1000, band_vi="Trung bình")
    assert value.to_dict() == {
        "id": "air.vn_aqi",
        "scope": "source:a1",
        "window": "nowcast",
        "value": 59.0,
        "unit": "AQI",
        "ts": 1000,
        "status": "unrated",
        "band_vi": "Trung bình",
    }
    assert KpiValue.from_dict(value.to_dict()) == value


def test_make_value_checks_scope_window_and_extra():
    with pytest.raises(ValueError, match="window"):
        make_value(KPIS["servicedesk.backlog"], "province", "today", 1, 0)
    with pytest.raises(ValueError, match="scope"):
        make_value(KPIS["servicedesk.backlog"], "site:x", "now", 1, 0)
    with pytest.raises(ValueError, match="clash"):
        make_value(KPIS["servicedesk.backlog"], "province", "now", 1, 0, status="x")
