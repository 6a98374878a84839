"""One severity, end to end on the real services (Mosquitto → collector → InfluxDB + Redis → the
KPI engine → `GET /api/v1/snapshot`, `ioc kpis --json`, `ioc alerts --json`): a congestion past
the critical rule's raise level makes the tile critical only once its alert is raised — while
the rule's hold time runs the tile says warning (the warning rule's alert) — and the command
line's KPI statuses agree with its alerts. The rules are an operator's file
(IOC_ALERT_RULES_FILE): the engine judges by the rules it runs."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import orjson
import pytest

from dashboards.tiles import kpi_key
from ioc.alerts.rules import DEFAULT_RULES
from ioc.devservices import wait_until
from tests.dashboards.conftest import bearer, now_ms

pytestmark = pytest.mark.services

SITE = "cao-bang-city-centre"  # a camera of the source catalogue, in Thành phố Cao Bằng
SCOPE = f"site:{SITE}"
HOLD_S = 5  # the critical rule's hold time here (300 s built in)
OPEN = ("active", "acknowledged")


@pytest.fixture
def settings(settings, tmp_path):
    """The test services, with a rules file of the two congestion rules (warning at once)."""
    lines = []
    for rule in DEFAULT_RULES:
        if rule["kpi"] == "traffic.congestion":
            hold = HOLD_S if rule["severity"] == "critical" else 0
            lines.append("[[rule]]")
            lines += [f"{k} = {json.dumps(v)}" for k, v in {**rule, "min_duration_s": hold}.items()]
    path = tmp_path / "rules.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return settings.model_copy(update={"alert_rules_file": str(path)})


def ioc_json(settings, *args):
    env = {**os.environ, "IOC_REDIS_URL": settings.redis_url, "IOC_DATA_DIR": settings.data_dir}
    done = subprocess.run(
        [sys.executable, "-m", "ioc.cli", *args, "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return orjson.loads(done.stdout.splitlines()[-1])


def test_a_critical_congestion_tile_always_has_its_alert(settings, collector, publish, app):
    headers = bearer(app)
    client = app.server.test_client()
    # 100 × (0.4 × 0.95 + 0.4 × (1 − 2/50) + 0.2 × 1) = 96.4: past 85 (critical) and 75 (warning)
    publish.camera(
        "thanh-pho-cao-bang",
        SITE,
        SITE,
        now_ms(),
        occupancy_pct=95.0,
        avg_speed_kmh=2.0,
        queue_m=250.0,
        vehicles={"car": 40},
    )
    seen = []

    def look():
        snapshot = orjson.loads(client.get("/api/v1/snapshot", headers=headers).data)
        tile = next(t for t in snapshot["tiles"] if t["key"] == kpi_key("traffic.congestion"))
        opened = {
            a["rule"]: a["severity"]
            for a in snapshot["alerts"]
            if a["scope"] == SCOPE and a["state"] in OPEN
        }
        # within one snapshot: a critical tile has its critical alert, a warning one its warning
        if tile["status"] == "critical":
            assert opened.get("traffic.congestion_severe") == "critical", (tile, opened)
        if tile["status"] == "warning":
            assert opened == {"traffic.congestion_high": "warning"}, (tile, opened)
        if tile.get("value") is not None:
            seen.append((tile["value"], tile["status"]))
        return tile["status"] == "critical"

    wait_until(look, timeout=60, interval=0.1, message=f"no critical tile; seen {seen[-5:]}")
    value, _ = seen[-1]
    assert value == pytest.approx(96.4)
    # past the raise level, but the hold time was still running: warning, never critical
    assert seen.index((value, "warning")) < seen.index((value, "critical"))

    kpis = ioc_json(settings, "kpis")["kpis"]
    alerts = ioc_json(settings, "alerts")["alerts"]
    (congestion,) = [v for v in kpis if v["id"] == "traffic.congestion" and v["scope"] == SCOPE]
    assert congestion["status"] == "critical"
    rank = {"ok": 0, "warning": 1, "critical": 2}
    for v in kpis:  # every value's status is the most severe of its open alerts, none: ok
        worst = max(
            (a["severity"] for a in alerts if a["kpi"] == v["id"] and a["scope"] == v["scope"]),
            key=rank.__getitem__,
            default="ok",
        )
        if v["status"] in rank:
            assert v["status"] == worst, (v, alerts)
        else:  # not watched by the rules in force (this file has only the congestion rules)
            assert v["id"] != "traffic.congestion" and v["status"] in ("unrated", "no_data"), v
    assert {(a["rule"], a["scope"], a["state"]) for a in alerts} == {
        ("traffic.congestion_high", SCOPE, "active"),
        ("traffic.congestion_severe", SCOPE, "active"),
    }
