"""A KPI is its spec and its formula: the state declares nothing itself, the specs declare the
folds they need, and a new KPI with a new fold is computed without touching any central code."""

from __future__ import annotations

import json

from ioc.feeds import FEEDS
from ioc.kpis.fold import Fold, HistoryRead, fold_each
from ioc.kpis.registry import KPIS
from ioc.kpis.spec import Derives, Drilldown, KpiSpec, make_value
from ioc.kpis.state import KpiState
from tests.ioc.kpis.data import camera, ms, sensor

NOW = ms(8, 12)


def test_every_registered_kpi_has_its_own_formula_and_folds():
    for spec in KPIS.values():
        assert callable(spec.value_fn), spec.id
        assert spec.folds, spec.id
    # the state keeps exactly the folds the registered specs declare, and nothing else
    assert set(KpiState().part_names) == {f.name for s in KPIS.values() for f in s.folds}
    assert set(KpiState().part_names) >= {
        "servicedesk",
        "air",
        "latest",
        "visitors",
        "received",
        "seen",
        "incidents",
        "portal_checks",
    }


def _count(counts: dict[str, int], reading) -> None:
    counts[reading.source] = counts.get(reading.source, 0) + 1


NOISE_READINGS: Fold[dict[str, int]] = Fold(
    name="noise_readings",
    measurements=frozenset({"sensor"}),
    new=dict,
    add=fold_each(_count),
    to_dict=dict,
    from_dict=dict,
    history=(HistoryRead("sensor", 3_600_000),),
)


def _loudest(ctx):
    counts = ctx.part(NOISE_READINGS)
    return [make_value(CHATTY, "province", "now", max(counts.values(), default=0), ctx.now_ms)]


CHATTY: KpiSpec = KpiSpec(
    id="sensor.chattiest",
    name_vi="Cảm biến gửi nhiều nhất",
    name_en="Chattiest sensor",
    unit="readings",
    formula="The most readings one sensor sent.",
    scopes=("province",),
    windows=("now",),
    derives_from=Derives(("sensor",)),
    group="health",
    drilldown=Drilldown("/devices", {"feed": "sensor"}),
    value_fn=_loudest,
    folds=(NOISE_READINGS,),
)


def test_a_new_kpi_brings_its_own_fold():
    state = KpiState([CHATTY])
    assert state.part_names == {"noise_readings"}
    state.add(
        [
            sensor("n1", "hoa-an", "noise", NOW, laeq_db=60.0),
            sensor("n1", "hoa-an", "noise", NOW + 1, laeq_db=61.0),
            camera("c1", "hoa-an", "x", NOW, people=1),  # not its measurement: never reaches it
        ]
    )
    (value,) = state.kpis(NOW)
    assert (value.id, value.value) == ("sensor.chattiest", 2.0)
    again = KpiState.from_dict(json.loads(json.dumps(state.to_dict())), [CHATTY])
    assert again.kpis(NOW) == [value]
    assert [(q.measurement, q.parts) for q in state.history_queries()] == [
        ("sensor", frozenset({"noise_readings"}))
    ]


def test_shared_reads_are_queried_once_for_every_fold_that_needs_them():
    queries = KpiState().history_queries()
    keys = [(q.measurement, q.lookback_ms, q.latest, str(q.where)) for q in queries]
    assert len(keys) == len(set(keys))
    recent = {q.measurement: q.parts for q in queries if q.lookback_ms == 62 * 60_000}
    assert recent["sensor"] == recent["camera"] == {"latest", "received"}
    # every periodic feed is rated for completeness from what it received
    assert all("received" in recent[f.measurement] for f in FEEDS.values() if f.periodic)
