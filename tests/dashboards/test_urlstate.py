"""A drill-down's state in the URL: round trip, defaults left out, bad input sanitised."""

from __future__ import annotations

from urllib.parse import parse_qsl

from dashboards.urlstate import ViewState, shell_query


def test_round_trip_keeps_the_view():
    state = ViewState.from_query(
        {"range": "custom", "start": "2026-11-02T08:00", "end": "2026-11-02T12:30",
         "district": "hoa-an,bao-lac", "kind": "water", "field": "level_cm", "lang": "en"}
    )  # fmt: skip
    query = state.to_query()
    assert ViewState.from_query(dict(parse_qsl(query[1:]))) == state
    span = state.time_range(0)
    assert span is not None and (span.end_ns - span.start_ns) == 4.5 * 3600 * 10**9


def test_defaults_are_not_written_and_bad_values_dropped():
    assert ViewState.from_query({}).to_query() == ""
    state = ViewState.from_query(
        {"range": "2y", "district": "atlantis,ha-lang", "source": "x'; DROP", "rotate": "-5",
         "lang": "fr", "alert": "a b"}
    )  # fmt: skip
    assert state == ViewState(district=("ha-lang",))


def test_shell_query_keeps_only_what_travels_between_pages():
    assert shell_query({"lang": "en", "kiosk": "1", "district": "ha-lang"}) == "?lang=en&kiosk=1"


def test_long_ranges_read_from_the_rollups_are_offered():
    for name, days in (("30d", 30), ("90d", 90), ("1y", 365)):
        state = ViewState.from_query({"range": name})
        assert state.range == name and state.to_query() == f"?range={name}"
        span = state.time_range(10**18)
        assert span is not None and span.end_ns - span.start_ns == days * 86400 * 10**9


def test_every_kpi_link_opens_a_view_that_keeps_each_of_its_filters():
    """A KPI's drill-down filter (`ioc.kpis` data) must be one the page understands: a
    parameter the page drops or normalises away (`view=portals`, `range=6h`, a field of another
    feed) opens another view than the tile promises — e.g. an empty portal grid."""
    from dataclasses import fields

    from dashboards.pages import devices, environment, security, services, traffic
    from ioc.kpis.registry import KPIS

    pages = {f"/{m.PAGE}": m.SPEC for m in (devices, environment, security, services, traffic)}
    known = {f.name for f in fields(ViewState)}
    for kpi in KPIS.values():
        params = dict(kpi.drilldown.params)
        assert set(params) <= known, (kpi.id, params)
        state = pages[kpi.drilldown.page].normalise(ViewState.from_query(params))
        for key, value in params.items():
            got = getattr(state, key)
            assert (",".join(got) if isinstance(got, tuple) else got) == value, (kpi.id, key)
