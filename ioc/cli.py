"""The `ioc` command. The composition root: the only place that wires packages together, so
it imports `collectors`, `simulators` and `dashboards` lazily, inside the commands."""

from __future__ import annotations

import logging
import signal
import sys
import threading
import time
from types import FrameType
from typing import TYPE_CHECKING

import orjson
import typer

from ioc.errors import ConfigError, IocError
from ioc.settings import Settings, load_settings

if TYPE_CHECKING:
    from ioc.live import LiveState

app = typer.Typer(no_args_is_help=True, add_completion=False, help="Cao Bằng IOC")
bench_app = typer.Typer(no_args_is_help=True, help="Benchmarks that print figures.")
app.add_typer(bench_app, name="bench")


def _settings() -> Settings:
    try:
        settings = load_settings()
    except ConfigError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    logging.basicConfig(
        level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    return settings


@app.command()
def check() -> None:
    """Tell whether the broker, storage and live state in the settings are reachable."""
    from ioc.check import run_checks

    settings = _settings()
    all_ok = True
    for result in run_checks(settings):
        mark = "OK  " if result.ok else "FAIL"
        typer.echo(f"[{mark}] {result.name}: {result.detail}")
        all_ok &= result.ok
    if not all_ok:
        typer.echo(
            "Fix the settings (IOC_* environment variables or .env) and run `ioc check` again."
        )
        raise typer.Exit(1)


@app.command()
def collect() -> None:
    """Consume every feed from MQTT into storage and the live state until Ctrl-C / SIGTERM."""
    from collectors.collector import Collector
    from ioc.kpis.runner import runner_from_settings
    from ioc.live import open_live_state
    from ioc.storage import open_storage

    settings = _settings()
    try:
        storage = open_storage(settings)
        live = open_live_state(settings)
    except IocError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    kpis = runner_from_settings(settings, live, storage) if settings.kpi_engine else None
    collector = Collector(settings, storage, live, kpis)
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()
        collector.stop(timeout=0)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        collector.run()
    except IocError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    finally:
        storage.close()
        live.close()


def _live() -> LiveState:
    from ioc.live import open_live_state

    settings = _settings()
    try:
        return open_live_state(settings)
    except ConfigError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None


@app.command()
def kpis(
    as_json: bool = typer.Option(False, "--json", help='one JSON object: {"kpis": [...]}'),
    district: str | None = typer.Option(None, help="only this district's KPIs (a slug)"),
) -> None:
    """Print the current KPI values from the live state."""
    from ioc.kpis.registry import KPIS
    from ioc.places import DISTRICTS

    if district is not None and district not in DISTRICTS:
        typer.echo(f"error: unknown district {district!r}; one of {', '.join(DISTRICTS)}", err=True)
        raise typer.Exit(2)
    live = _live()
    try:
        ts_ms, values = live.kpis()
    except IocError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    if district is not None:
        values = [v for v in values if f"district:{district}" in v["scope"]]
    if as_json:
        typer.echo(orjson.dumps({"ts": ts_ms, "kpis": values}).decode())
        return
    if not values:
        typer.echo("no KPI values yet: is `ioc collect` running with IOC_KPI_ENGINE=true?")
        return
    for v in values:
        spec = KPIS.get(v["id"])
        name = spec.name_vi if spec else v["id"]
        value = "—" if v["value"] is None else f"{v['value']:.4g}"
        typer.echo(
            f"{name:<42} {v['scope']:<34} {v['window']:<8} {value:>10} {v['unit']:<6} {v['status']}"
        )


alerts_app = typer.Typer(help="Alerts: list them, acknowledge one.", invoke_without_command=True)
app.add_typer(alerts_app, name="alerts")

ALERT_STATES_SHOWN = ("active", "acknowledged")


@alerts_app.callback()
def alerts(
    ctx: typer.Context,
    as_json: bool = typer.Option(False, "--json", help='one JSON object: {"alerts": [...]}'),
) -> None:
    """List active and acknowledged alerts (most severe first)."""
    if ctx.invoked_subcommand is not None:
        return
    live = _live()
    try:
        shown = [a for a in live.alerts() if a["state"] in ALERT_STATES_SHOWN]
    except IocError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    rank = {"critical": 0, "warning": 1, "info": 2}
    shown.sort(key=lambda a: (rank.get(a["severity"], 3), a["raised_ms"] or 0))
    if as_json:
        typer.echo(orjson.dumps({"alerts": shown}).decode())
        return
    if not shown:
        typer.echo("no active alerts")
    for a in shown:
        acked = f"  acknowledged by {a['acked_by']}: {a['ack_comment']}" if a["acked_by"] else ""
        typer.echo(f"[{a['severity']:<8}] {a['alert_id']}  {a['message_vi']}{acked}")


@alerts_app.command("ack")
def alerts_ack(
    alert_id: str = typer.Argument(..., help="the alert's id, as `ioc alerts` shows it"),
    by: str = typer.Option(..., "--by", help="who acknowledges"),
    comment: str = typer.Option("", "--comment", help="what is being done about it"),
    timeout: float = typer.Option(10.0, help="seconds to wait for the KPI engine to apply it"),
) -> None:
    """Acknowledge an active alert (applied by the running KPI engine within a second)."""
    live = _live()
    current = {a["alert_id"]: a for a in live.alerts()}
    alert = current.get(alert_id)
    if alert is None or alert["state"] != "active":
        state = "unknown" if alert is None else alert["state"]
        typer.echo(
            f"error: alert {alert_id!r} is {state}; only an active alert can be "
            "acknowledged (see `ioc alerts`)",
            err=True,
        )
        raise typer.Exit(1)
    if not by.strip():
        typer.echo("error: --by must name who acknowledges", err=True)
        raise typer.Exit(2)
    live.request_ack(alert_id, by, comment, time.time_ns() // 1_000_000)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        now = {a["alert_id"]: a for a in live.alerts()}.get(alert_id)
        if now is not None and now["state"] != "active":
            typer.echo(f"{alert_id}: {now['state']} by {now['acked_by'] or '—'}")
            return
        time.sleep(0.1)  # polling the engine's next tick, with a deadline
    typer.echo(
        f"error: no KPI engine applied the acknowledgement within {timeout:g} s "
        "(is `ioc collect` running?)",
        err=True,
    )
    raise typer.Exit(1)


@app.command()
def simulate(
    rate: float = typer.Option(100.0, help="data messages per second"),
    duration: float | None = typer.Option(None, help="stop after S seconds"),
    count: int | None = typer.Option(None, help="stop after N data messages"),
    seed: int = typer.Option(0, help="same seed, scenario and start: same messages"),
    scenario: str = typer.Option("normal", help="normal, flood, border-queue or festival"),
    bad_ratio: float = typer.Option(0.0, help="share of malformed messages (0-1)"),
    start: str | None = typer.Option(None, help="simulated start, ISO 8601 (default: now)"),
    max_ahead: float = typer.Option(
        6 * 3600.0, help="seconds simulated time may run ahead of the clock before pacing"
    ),
    flood_district: str | None = typer.Option(None, help="district of the flood scenario"),
) -> None:
    """Play the province's devices and desks over real MQTT (IOC_MQTT_URL).

    Progress goes to stderr about once a second; the last line on stdout is one JSON object:
    {"sent": {"sensor": n, "camera": n, "servicedesk": n, "status": n}, "bad": n}.
    """
    from datetime import datetime

    from simulators.publisher import SimConfig, SimProgress, run_simulation

    settings = _settings()
    try:
        config = SimConfig(
            mqtt_url=settings.mqtt_url,
            scenario=scenario,
            seed=seed,
            start=datetime.fromisoformat(start) if start else None,
            rate=rate,
            count=count,
            duration=duration,
            max_ahead_s=max_ahead,
            bad_ratio=bad_ratio,
            flood_district=flood_district,
            protocol="mqttv5" if settings.mqtt_protocol == "5" else "mqttv311",
        )
    except ValueError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None

    def show(p: SimProgress) -> None:
        typer.echo(
            f"… {p.elapsed_s:6.1f} s  sent {sum(p.sent.values()):,} valid, {p.bad:,} bad"
            f"  (simulated {p.sim_time:%Y-%m-%d %H:%M} UTC)",
            err=True,
        )

    try:
        result = run_simulation(config, progress=show)
    except IocError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    typer.echo(result.to_json_line())


@app.command()
def demo(
    host: str = typer.Option("127.0.0.1", help="address of the operations center"),
    port: int = typer.Option(8050, help="port of the operations center"),
    data_dir: str | None = typer.Option(
        None, help="where the SQLite history lives (default: IOC_DATA_DIR or ~/.local/share/ioc)"
    ),
    scenario: str = typer.Option("normal", help="normal, flood, border-queue or festival"),
    backfill_hours: float = typer.Option(3.0, help="simulated history published first"),
) -> None:
    """Run everything in one process: broker, simulator, collector, dashboard."""
    from ioc.demo import DemoOptions, run_demo

    _settings()
    options = DemoOptions(host, port, data_dir, scenario, backfill_hours=backfill_hours)
    try:
        run_demo(options, say=lambda line: typer.echo(line))
    except KeyboardInterrupt:
        pass
    except IocError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None


@app.command()
def dashboard(
    host: str = typer.Option("127.0.0.1", help="address to listen on"),
    port: int = typer.Option(8050, help="port to listen on"),
    debug: bool = typer.Option(False, help="Dash dev tools and reloader (never in production)"),
) -> None:
    """Serve the operations center (wall screen and drill-downs) for development.

    Production: gunicorn --workers 4 --bind 0.0.0.0:8050 dashboards.app:server
    (same IOC_* settings, plus IOC_DASHBOARD_SECRET_KEY shared by the workers).
    """
    from dashboards.app import create_app

    settings = _settings()
    create_app(settings, debug=debug).run(host=host, port=port, debug=debug)


@bench_app.command("ingest")
def bench_ingest(
    messages: int = typer.Option(100_000, "--messages", "-n", help="backlog size"),
    batch_size: int = typer.Option(5000, help="collector batch size"),
) -> None:
    """Drain a persistent-session backlog: collector vs bare paho vs mosquitto_sub."""
    from collectors.bench import run_ingest

    logging.basicConfig(level="WARNING")
    figures = run_ingest(messages, lambda line: typer.echo(f"… {line}", err=True), batch_size)
    result = figures.as_dict()
    rates = result["msg_per_s"]
    typer.echo(f"messages           {messages:>10,}  (≈ {result['payload_bytes']:.0f} B JSON each)")
    typer.echo(f"mosquitto_sub      {rates['mosquitto_sub']:>10,} msg/s")
    typer.echo(f"bare paho          {rates['paho_bare']:>10,} msg/s")
    typer.echo(f"collector          {rates['collector']:>10,} msg/s  (stored + acknowledged)")
    typer.echo(f"collector / paho   {result['collector_vs_paho']:>10.2f}   (goal ≥ 0.60)")
    typer.echo(f"collector / C sub  {result['collector_vs_mosquitto_sub']:>10.2f}")
    typer.echo(f"stored points      {figures.stored_points:>10,}  lost: {result['lost']}")
    typer.echo(orjson.dumps(result).decode())
    if result["lost"] != 0 or figures.live_stored != messages:
        raise typer.Exit(1)


def main() -> None:
    try:
        app()
    except ConfigError as exc:
        typer.echo(f"error: {exc}", err=True)
        sys.exit(2)


if __name__ == "__main__":
    main()
