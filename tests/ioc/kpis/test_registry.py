"""The registry holds every KPI the issue asks for, each fully documented."""

from ioc.kpis.registry import KPIS

REQUIRED = {
    "servicedesk.on_time_rate",
    "servicedesk.avg_handling_hours",
    "servicedesk.backlog",
    "servicedesk.overdue",
    "servicedesk.online_share",
    "servicedesk.satisfaction",
    "servicedesk.hotline_1022",
    "air.vn_aqi",
    "water.level_vs_alarm",
    "traffic.congestion",
    "tourism.visitors",
    "border.queue_m",
    "devices.online_ratio",
    "feeds.completeness",
}


def test_every_required_kpi_is_registered():
    assert set(KPIS) >= REQUIRED


def test_specs_are_complete():
    for kpi_id, spec in KPIS.items():
        assert spec.id == kpi_id
        assert spec.name_vi and spec.name_en and spec.formula and spec.derives_from
        assert spec.direction in ("higher_is_better", "lower_is_better"), kpi_id


def test_servicedesk_windows_and_scopes():
    for kpi_id in REQUIRED:
        if kpi_id.startswith("servicedesk.") and kpi_id.split(".")[1] not in {"backlog", "overdue"}:
            assert KPIS[kpi_id].windows == ("today", "7d")
            assert KPIS[kpi_id].scopes == ("province", "district")
