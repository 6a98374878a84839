"""`ioc report` for a simulated day equals the KPI engine's values for that day.

The flood scenario's morning (08:00–14:00 local) goes through the real pipeline into the
embedded SQLite store while the engine folds what is stored (its stored-batch stream) and
evaluates at every hour end and at the day's last millisecond; the report, computed afterwards
from storage alone, must show the same numbers. Then the XLSX opens with openpyxl with one sheet
per section and the expected rows, and the HTML and the command line are checked."""

from __future__ import annotations

import subprocess
import sys

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from collectors.pipeline import Pipeline
from ioc.alerts.rules import RULES
from ioc.cli import build
from ioc.engine import Engine
from ioc.engine.runner import KpiRunner
from ioc.kpis.spec import HOUR_MS, PROVINCE
from ioc.live.memory import MemoryLiveState
from ioc.live.stream import STREAM_GROUP
from ioc.localtime import LOCAL_TZ
from ioc.model import NS_PER_S, Message
from ioc.places import DISTRICTS
from ioc.report.columns import SECTIONS
from ioc.report.compute import build_report
from ioc.report.html import to_html
from ioc.report.period import period_of
from ioc.report.xlsx import SUMMARY, to_xlsx
from ioc.settings import load_settings
from ioc.sources import gauge_levels, load_sources, names
from ioc.storage.sqlite import SqliteStorage
from simulators.schedule import iter_messages
from tests.helpers import SIM_START

SOURCES = load_sources()
GAUGES = gauge_levels(SOURCES)
NAMES = names(SOURCES)
DAY = SIM_START.astimezone(LOCAL_TZ).date()
HOURS_SIMULATED = 6


@pytest.fixture(scope="module")
def day(tmp_path_factory):
    """(storage path, engine values at each hour end, engine values at the day's end)."""
    path = tmp_path_factory.mktemp("report") / "ioc.sqlite3"
    storage = SqliteStorage(path)
    live = MemoryLiveState()
    period = period_of("day", DAY)
    runner = KpiRunner(live, storage, gauges=GAUGES, rules=RULES.values(), names=NAMES)
    engine = Engine(load_settings(), storage, live, runner=runner)
    engine.rebuild("start")
    pipeline = Pipeline(storage, live, publish=len, ack=len)
    hourly: dict[int, list] = {}
    stop_s = SIM_START.timestamp() + HOURS_SIMULATED * 3600
    next_hour = period.start_ms + HOUR_MS
    batch: list[Message] = []

    def flush():
        pipeline.process(batch)
        batch.clear()
        for entry in live.read_stored(STREAM_GROUP, "report", count=1000).entries:
            engine.fold(entry)

    for sim in iter_messages(5, "flood", SIM_START):
        if sim.time_s >= stop_s:
            break
        while sim.time_s * 1000 >= next_hour:
            flush()
            if next_hour > period.start_ms:
                runner.tick(next_hour - 1)
                hourly[next_hour - 1] = runner.values
            next_hour += HOUR_MS
        batch.append(Message(sim.topic, sim.payload, sim.time_s * NS_PER_S))
        if len(batch) >= 2000:
            flush()
    flush()
    while next_hour <= period.end_ms:
        runner.tick(next_hour - 1)
        hourly[next_hour - 1] = runner.values
        next_hour += HOUR_MS
    end_values = hourly[period.end_ms - 1]
    storage.close()
    return path, hourly, end_values, runner


@pytest.fixture(scope="module")
def report(day):
    path, *_ = day
    storage = SqliteStorage(path)
    built = build_report(storage, period_of("day", DAY), gauges=GAUGES, names=NAMES, generated_ms=0)
    storage.close()
    return built


def engine(values, kpi, scope, window):
    (value,) = [v for v in values if (v.id, v.scope, v.window) == (kpi, scope, window)]
    return value


def test_public_services_equal_the_engines_today_values_at_the_end_of_the_day(day, report):
    _, _, end, _ = day
    assert len(report.services) == len(DISTRICTS) + 1
    province = report.services[-1]
    assert province["scope"] == PROVINCE and province["received"] > 50
    for row in report.services:
        scope = row["scope"]
        on_time = engine(end, "servicedesk.on_time_rate", scope, "today")
        online = engine(end, "servicedesk.online_share", scope, "today")
        assert row["on_time_rate"] == on_time.value, scope
        assert row["resolved"] == on_time.extra["resolved"], scope
        assert row["received"] == online.extra["received"], scope
        assert row["online_share"] == online.value, scope
        for kpi in ("avg_handling_hours", "satisfaction", "hotline_1022"):
            assert row[kpi] == engine(end, f"servicedesk.{kpi}", scope, "today").value, kpi
        for kpi in ("overdue", "backlog"):
            assert row[kpi] == engine(end, f"servicedesk.{kpi}", scope, "now").value, kpi


def test_city_indicators_equal_the_engines_hour_end_values(day, report):
    _, hourly, end, _ = day
    assert len(hourly) == 24
    worst_aqi = max(
        v.value
        for values in hourly.values()
        for v in values
        if v.id == "air.vn_aqi" and v.scope == PROVINCE and v.value is not None
    )
    (province_air,) = [r for r in report.air if r["scope"] == PROVINCE]
    assert province_air["max_aqi"] == worst_aqi
    assert sum(province_air[f"band_{n}"] for n in range(1, 7)) == 1  # one day, one band

    flooded = [r for r in report.water if r["hours_bd1"]]
    assert flooded, "the flood scenario raises a river"
    for row in report.water:
        levels = [
            v.extra.get("alarm_level", 0)
            for values in hourly.values()
            for v in values
            if v.id == "water.level_vs_alarm"
            and v.scope == f"source:{row['source']}"
            and v.value is not None
        ]
        for n in (1, 2, 3):
            assert row[f"hours_bd{n}"] == sum(level >= n for level in levels), (row, n)

    for row in report.traffic:
        index = [
            v.value
            for values in hourly.values()
            for v in values
            if v.id == "traffic.congestion"
            and v.scope == f"site:{row['site']}"
            and v.value is not None
        ]
        assert row["congestion_hours"] == sum(
            i >= RULES["traffic.congestion_high"].raise_at for i in index
        )
        assert row["max_index"] == max(index)

    (visitors,) = report.visitors
    assert (
        visitors["visitors"]
        == engine(end, "tourism.visitors", f"site:{visitors['site']}", "today").value
    )
    assert report.devices
    for row in report.devices:
        scope = row["scope"]
        ratios = [
            v.value
            for values in hourly.values()
            for v in values
            if v.id == "devices.online_ratio" and v.scope == scope
        ]
        assert row["availability"] == pytest.approx(sum(ratios) / len(ratios))


def test_alerts_of_the_day_are_the_engines(day, report):
    _, _, _, runner = day
    raised = {a.alert_id for a in runner.alerts.values() if a.raised_ms is not None}
    assert raised and {r["alert_id"] for r in report.alerts} >= raised
    water = [r for r in report.alerts if r["rule"].startswith("water.")]
    assert water and all(r["raised_ms"] for r in water)
    assert any("Bằng Giang" in r["target"] for r in water)


def test_the_xlsx_opens_with_a_sheet_per_section_and_the_expected_rows(report, tmp_path):
    path = tmp_path / "report.xlsx"
    path.write_bytes(to_xlsx(report))
    book = load_workbook(path)
    assert book.sheetnames == [SUMMARY, *(s.title for s in SECTIONS)]
    services = book["Dịch vụ công"]
    header = [c.value for c in services[1]]
    assert header[:4] == ["Địa bàn", "Tiếp nhận", "Đã giải quyết", "Đúng hạn (%)"]
    rows = list(services.iter_rows(min_row=2, values_only=True))
    data = [r for r in rows if r[1] is not None]
    assert [r[0] for r in data] == [d.name_vi for d in DISTRICTS.values()] + ["Toàn tỉnh"]
    province = report.services[-1]
    assert data[-1][1] == province["received"] and data[-1][3] == province["on_time_rate"]
    assert services["D2"].number_format == "0.0"
    alerts = book["Cảnh báo"]
    assert alerts.max_row == 1 + len(report.alerts)
    assert book[SUMMARY]["A1"].value.startswith("Báo cáo vận hành IOC")


def test_the_html_is_one_printable_page_in_vietnamese(report):
    page = to_html(report)
    assert "@page { size: A4 landscape" in page
    assert f"Ngày {DAY:%d/%m/%Y}" in page
    for section in SECTIONS:
        assert "<h2>" in page and section.title in page
    assert "Thành phố Cao Bằng" in page and "Toàn tỉnh" in page
    on_time = report.services[-1]["on_time_rate"]
    assert f"{on_time:.1f}".replace(".", ",") in page  # Vietnamese decimal comma


def test_the_command_writes_the_report_and_refuses_bad_values(day, tmp_path, monkeypatch):
    path, *_ = day
    env = {"IOC_DATA_DIR": str(path.parent), "PATH": "/usr/bin:/bin"}
    out = tmp_path / "r.html"
    args = ["report", "--date", str(DAY), "--format", "html"]
    done = subprocess.run(
        [sys.executable, "-m", "ioc.cli", *args, "--out", str(out), "--district", "hoa-an"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "Hòa An" in out.read_text(encoding="utf-8")
    monkeypatch.setenv("IOC_DATA_DIR", str(path.parent))
    runner = CliRunner()
    for bad, words in (
        (["--district", "atlantis"], "unknown district"),
        (["--period", "year"], "period must be"),
        (["--format", "pdf"], "--format must be"),
        (["--date", "30/11/2026"], "YYYY-MM-DD"),
    ):
        done = runner.invoke(build(), [*args, *bad])
        assert done.exit_code == 2 and words in done.output, done.output
