"""Drill-down links come from each spec's typed metadata and the value's scope, never from text."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

import pytest

from ioc.feeds import FEEDS
from ioc.kpis.drilldown import drilldown_href
from ioc.kpis.registry import KPIS
from ioc.kpis.spec import GROUPS, Drilldown, make_value

PAGES = {"/environment", "/traffic", "/services", "/security", "/devices"}


def split(url: str) -> tuple[str, dict[str, str]]:
    parts = urlsplit(url)
    return parts.path, dict(parse_qsl(parts.query))


def test_every_kpi_links_to_a_page_with_a_typed_filter():
    for spec in KPIS.values():
        assert spec.drilldown.page in PAGES, spec.id
        assert spec.group in GROUPS, spec.id
        assert set(spec.derives_from.feeds) <= set(FEEDS), spec.id
        page, params = split(drilldown_href(spec))
        assert (page, params) == (spec.drilldown.page, dict(spec.drilldown.params))


def test_the_filter_is_the_specs_own():
    assert split(drilldown_href(KPIS["air.vn_aqi"])) == (
        "/environment",
        {"kind": "air", "field": "pm25"},
    )
    assert split(drilldown_href(KPIS["border.queue_m"])) == (
        "/traffic",
        {"site": "ta-lung-border-gate", "field": "queue_m"},
    )
    assert split(drilldown_href(KPIS["servicedesk.hotline_1022"]))[1] == {
        "event": "received",
        "channel": "hotline_1022",
    }
    assert KPIS["water.level_vs_alarm"].derives_from.kind == "water"
    assert KPIS["tourism.visitors"].derives_from.site == "ban-gioc-waterfall"
    assert KPIS["devices.online"].derives_from.feed is None  # several feeds


def test_a_values_scope_narrows_the_link_and_the_shell_query_follows():
    aqi = KPIS["air.vn_aqi"]
    value = make_value(aqi, "source:air-1", "nowcast", 60, 1000)
    page, params = split(drilldown_href(aqi, value, keep="?lang=en&kiosk=1"))
    assert page == "/environment"
    assert params == {"kind": "air", "field": "pm25", "source": "air-1", "lang": "en", "kiosk": "1"}
    on_time = KPIS["servicedesk.on_time_rate"]
    district = make_value(on_time, "district:hoa-an", "today", 90.0, 1000).to_dict()
    assert split(drilldown_href(on_time, district))[1] == {
        "event": "resolved",
        "district": "hoa-an",
    }
    ratio = KPIS["devices.online_ratio"]
    per_feed = {"scope": "feed:camera/district:bao-lac"}
    assert split(drilldown_href(ratio, per_feed)) == (
        "/devices",
        {"district": "bao-lac", "feed": "camera"},
    )
    online = KPIS["devices.online"]
    one = make_value(online, "source:cam-1", "now", 1.0, 1000, feed="camera")
    assert split(drilldown_href(online, one))[1] == {"source": "cam-1", "feed": "camera"}
    province = make_value(on_time, "province", "today", 90.0, 1000)
    assert drilldown_href(on_time, province) == "/services?event=resolved"


def test_a_drilldown_page_is_a_path():
    with pytest.raises(ValueError, match="must start with"):
        Drilldown("traffic")
