"""The snapshot's tiles: headline choice, data age and staleness (pure functions)."""

from __future__ import annotations

from dashboards.data import LiveData
from dashboards.snapshot import KPI_STALE_S, STALE_GRACE_S, build_snapshot, build_tile
from dashboards.tiles import catalogue, indicator_key, kpi_key
from ioc.alerts.engine import AlertState, states_from_dict
from ioc.alerts.rules import RULES
from ioc.alerts.status import rate
from ioc.kpis.registry import KPIS
from ioc.kpis.spec import Derives, Drilldown, KpiSpec, make_value
from ioc.model import NS_PER_MS, Reading

NOW = 1_800_000_000_000


def tile(key):
    return next(t for t in catalogue() if t.key == key)


def camera(source, site, ts_ms, **fields):
    tags = {"district": "quang-hoa", "source": source, "site": site}
    return Reading("camera", ts_ms * NS_PER_MS, tags, fields)


def live_with(kpis, readings=(), kpi_ts=NOW, alerts=()):
    """The live state as the engine leaves it: the values judged by the rules and `alerts`."""
    latest = {}
    for r in readings:
        latest.setdefault(r.measurement, {})[r.source] = r
    judged = rate(RULES.values(), states_from_dict(alerts), kpis)
    return LiveData(
        read_ms=NOW,
        kpi_ts=kpi_ts,
        kpis=[v.to_dict() for v in judged],
        alerts=list(alerts),
        latest=latest,
    )


def alert(rule, scope, severity, state="active", raised_ms=NOW - 60_000):
    state = AlertState(
        rule, scope, state, severity, raised_ms, 0.0, NOW, f"{rule}:{scope}:{raised_ms}", raised_ms
    )
    return state.to_dict() | {"kpi": RULES[rule].kpi}


def test_a_site_kpi_is_fresh_then_stale_by_its_cameras_age():
    spec = KPIS["border.queue_m"]
    value = make_value(spec, "site:ta-lung-border-gate", "now", 120.0, NOW)
    fresh = camera("cam-1", "ta-lung-border-gate", NOW - 30_000, queue_m=120.0)
    view = build_tile(tile(kpi_key(spec.id)), live_with([value], [fresh]), NOW)
    assert (view["value"], view["stale"], view["age_s"]) == (120.0, False, 30.0)
    late_ms = NOW - int((60 + STALE_GRACE_S + 1) * 1000)
    late = camera("cam-1", "ta-lung-border-gate", late_ms, queue_m=120.0)
    view = build_tile(tile(kpi_key(spec.id)), live_with([value], [late]), NOW)
    assert (view["stale"], view["stale_reason"]) == (True, "data_age")
    # another site's fresh camera does not make this tile fresh
    other = camera("cam-2", "ban-gioc-waterfall", NOW, people=3)
    view = build_tile(tile(kpi_key(spec.id)), live_with([value], [late, other]), NOW)
    assert view["stale"] is True


def test_kpis_not_recomputed_make_kpi_tiles_stale():
    spec = KPIS["servicedesk.backlog"]
    value = make_value(spec, "province", "now", 5, NOW)
    old = NOW - int((KPI_STALE_S + 1) * 1000)
    view = build_tile(tile(kpi_key(spec.id)), live_with([value], kpi_ts=old), NOW)
    assert view["stale_reason"] == "kpi_engine"


def test_province_value_is_the_headline_else_the_worst_scope():
    aqi = KPIS["air.vn_aqi"]
    values = [
        make_value(aqi, "source:a", "nowcast", 40, NOW, band=1),
        make_value(aqi, "province", "nowcast", 160, NOW, band=4, station="b"),
    ]
    assert build_tile(tile(kpi_key(aqi.id)), live_with(values), NOW)["value"] == 160
    water = KPIS["water.level_vs_alarm"]
    gauges = [
        make_value(water, "source:g1", "now", 0.5, NOW, label="", level_cm=100.0),
        make_value(water, "source:g2", "now", 2.4, NOW, label="BĐ2", level_cm=700.0),
    ]
    view = build_tile(tile(kpi_key(water.id)), live_with(gauges), NOW)
    assert (view["scope"], view["text"], view["detail_value"], view["worst_of"]) == (
        "source:g2",
        "BĐ2",
        700.0,
        True,
    )
    on_time = KPIS["servicedesk.on_time_rate"]  # higher is better: the lowest is the worst
    rates = [
        make_value(on_time, "district:hoa-an", "today", 70.0, NOW),
        make_value(on_time, "district:ha-lang", "today", 99.0, NOW),
    ]
    view = build_tile(tile(kpi_key(on_time.id)), live_with(rates), NOW)
    assert view["scope"] == "district:hoa-an"


def test_device_health_counts_sources_online():
    spec = KPIS["devices.online"]
    values = [
        make_value(spec, f"source:s{i}", "now", float(i != 0), NOW, feed="sensor") for i in range(4)
    ]
    view = build_tile(tile(kpi_key(spec.id)), live_with(values), NOW)
    # the tile's status is that of the alerts (one threshold definition: the rules)
    assert (view["ok"], view["total"], view["status"], view["stale"]) == (3, 4, "ok", False)
    live = live_with(values, alerts=[alert("device.offline", "source:s0", "warning")])
    view = build_tile(tile(kpi_key(spec.id)), live, NOW)
    assert view["status"] == "warning"


def test_indicator_without_readings_says_no_data_not_stale():
    view = build_tile(tile(indicator_key("rain")), live_with([]), NOW)
    assert (view["value"], view["stale"], view["status"]) == (None, False, "no_data")


def test_a_new_kpi_in_the_registry_gets_a_tile_without_page_code(monkeypatch):
    spec = KpiSpec(
        id="tourism.parking",
        name_vi="Bãi đỗ xe còn trống",
        name_en="Free parking",
        unit="%",
        formula="free ÷ total",
        scopes=("site",),
        windows=("now",),
        derives_from=Derives(("camera",), fields=("occupancy_pct",)),
        group="city",
        drilldown=Drilldown("/traffic", {"field": "occupancy_pct"}),
        direction="higher_is_better",
    )
    monkeypatch.setitem(KPIS, spec.id, spec)
    new = tile(kpi_key(spec.id))
    assert (new.group, new.page, new.feed_interval_s) == ("city", "traffic", 60.0)
    value = make_value(spec, "site:ban-gioc-waterfall", "now", 3.0, NOW)
    snapshot = build_snapshot(live_with([value]), NOW)
    view = next(t for t in snapshot["tiles"] if t["key"] == kpi_key(spec.id))
    # no alert rule watches it: unrated (a spec has no thresholds of its own)
    assert (view["value"], view["status"]) == (3.0, "unrated")


def test_a_critical_tile_always_has_its_alert():
    spec = KPIS["water.level_vs_alarm"]
    values = [make_value(spec, "source:g1", "now", 3.4, NOW, label="BĐ3", level_cm=960.0)]
    live = live_with(values)
    assert build_tile(tile(kpi_key(spec.id)), live, NOW)["status"] == "ok"  # not raised yet
    live = live_with(values, alerts=[alert("water.bd3", "source:g1", "critical")])
    assert build_tile(tile(kpi_key(spec.id)), live, NOW)["status"] == "critical"
    # a congestion of 85 is critical only once its alert is raised (it was red without one)
    congestion = KPIS["traffic.congestion"]
    values = [make_value(congestion, "site:ta-lung-border-gate", "now", 85.0, NOW)]
    live = live_with(values)
    assert build_tile(tile(kpi_key(congestion.id)), live, NOW)["status"] == "ok"
    raised = alert("traffic.congestion_severe", "site:ta-lung-border-gate", "critical")
    view = build_tile(tile(kpi_key(congestion.id)), live_with(values, alerts=[raised]), NOW)
    assert view["status"] == "critical"


def test_a_tile_follows_the_rules_the_engine_ran_not_the_built_in_ones():
    spec = KPIS["traffic.congestion"]
    value = make_value(spec, "site:ta-lung-border-gate", "now", 90.0, NOW)
    # an operator's rules file without congestion rules: the engine left the value unrated
    live = LiveData(read_ms=NOW, kpi_ts=NOW, kpis=[value.to_dict()])
    assert build_tile(tile(kpi_key(spec.id)), live, NOW)["status"] == "unrated"


def test_an_empty_tile_says_why_and_carries_the_7_day_value():
    spec = KPIS["servicedesk.on_time_rate"]
    values = [
        make_value(spec, "province", "today", None, NOW),
        make_value(spec, "province", "7d", 93.5, NOW),
    ]
    view = build_tile(tile(kpi_key(spec.id)), live_with(values), NOW)
    assert (view["value"], view["empty"], view["other"]) == (
        None,
        "no_value",
        {"value": 93.5, "window": "7d"},
    )
    assert view["status"] == "no_data"


def test_a_single_feed_tile_without_readings_has_no_age():
    spec = KPIS["servicedesk.backlog"]
    view = build_tile(tile(kpi_key(spec.id)), live_with([]), NOW)
    assert (view["age_s"], view["empty"]) == (None, "no_kpi")


def test_a_reading_from_the_future_is_never_fresh():
    future = camera("cam-1", "ta-lung-border-gate", NOW + 3_600_000, queue_m=120.0)
    spec = KPIS["border.queue_m"]
    value = make_value(spec, "site:ta-lung-border-gate", "now", 120.0, NOW)
    view = build_tile(tile(kpi_key(spec.id)), live_with([value], [future]), NOW)
    assert (view["age_s"], view["stale"], view["stale_reason"]) == (-3600.0, True, "future")


def test_a_tile_links_to_its_drilldown_narrowed_to_the_value_it_shows():
    water = KPIS["water.level_vs_alarm"]
    gauges = [
        make_value(water, "source:g1", "now", 0.5, NOW, label="", level_cm=100.0),
        make_value(water, "source:g2", "now", 2.4, NOW, label="BĐ2", level_cm=700.0),
    ]
    view = build_tile(tile(kpi_key(water.id)), live_with(gauges), NOW)
    assert view["href"] == "/environment?kind=water&field=level_cm&source=g2"
    assert tile(indicator_key("noise")).href(keep="?lang=en") == (
        "/environment?kind=noise&field=laeq_db&lang=en"
    )
