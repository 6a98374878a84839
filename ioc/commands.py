"""The core's own `ioc` commands: `check`, `engine`, `kpis`, `alerts` (and `alerts ack`), `rollups
rebuild`, `demo`, `devices`, and `users`, `tokens`, `displays`, `audit` (`ioc.auth.cli`).

They use `ioc` alone. The commands of the packages above it (`collect`, `simulate`,
`dashboard`, `bench ingest`…) are registered by those packages (see `ioc.cli`).
"""

from __future__ import annotations

import logging
import time

import orjson
import typer

from ioc import devicecli
from ioc.auth import cli as auth_cli
from ioc.cli import Commands, fail, live_or_exit, settings_or_exit
from ioc.errors import ConfigError, IocError
from ioc.notifycli import notifications
from ioc.report.command import report

ALERT_STATES_SHOWN = ("active", "acknowledged")


def register(cli: Commands) -> None:
    auth_cli.register(cli.root)
    cli.root.command()(check)
    cli.root.command()(engine)
    cli.root.command()(kpis)
    alerts_app = typer.Typer(
        help="Alerts: list them, acknowledge one.", invoke_without_command=True
    )
    alerts_app.callback()(alerts)
    alerts_app.command("ack")(alerts_ack)
    cli.root.add_typer(alerts_app, name="alerts")
    rollups_app = typer.Typer(
        help="History rollups (hourly and 5-min tiers).", no_args_is_help=True
    )
    rollups_app.command("rebuild")(rollups_rebuild)
    cli.root.add_typer(rollups_app, name="rollups")
    cli.root.command()(demo)
    cli.root.command()(report)
    cli.root.command()(backup)
    cli.root.command()(notifications)
    devicecli.register(cli)


def check() -> None:
    """Tell whether the broker, storage and live state in the settings are reachable."""
    from ioc.check import run_checks

    settings = settings_or_exit()
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


def rollups_rebuild(
    days: float = typer.Option(7.0, help="rebuild the last DAYS days (ignored with --start)"),
    start: str = typer.Option("", help="range start, ISO 8601 (e.g. 2026-11-01T00:00+07:00)"),
    end: str = typer.Option("", help="range end, ISO 8601; default now"),
) -> None:
    """Recompute the rollups of a range from the raw points (after an import, a late backfill)."""
    from datetime import datetime

    from ioc.model import NS_PER_S
    from ioc.storage import TimeRange, open_storage
    from ioc.storage.rollups import rebuild

    settings = settings_or_exit()
    try:
        end_ns = int(datetime.fromisoformat(end).timestamp() * NS_PER_S) if end else time.time_ns()
        start_ns = (
            int(datetime.fromisoformat(start).timestamp() * NS_PER_S)
            if start
            else end_ns - int(days * 86400 * NS_PER_S)
        )
        span = TimeRange(start_ns, end_ns)
    except ValueError as exc:
        fail(f"bad range: {exc}", 2)
    began = time.monotonic()
    try:
        storage = open_storage(settings)
        try:
            rows = rebuild(storage, span)
        finally:
            storage.close()
    except IocError as exc:
        fail(str(exc))
    typer.echo(f"rebuilt {rows:,} rollup rows in {time.monotonic() - began:.1f} s")


def engine() -> None:
    """Run the KPI engine (exactly one per deployment) until Ctrl-C / SIGTERM.

    It folds every reading the collectors stored (their stored-batch stream in Redis), evaluates
    KPIs and alert rules every IOC_KPI_INTERVAL_MS, applies acknowledgements, writes the alert
    audit trail, publishes the per-source facts and its heartbeat, and rebuilds from storage at
    start and whenever the live state comes back empty (see ioc.engine).
    """
    import signal
    from types import FrameType

    from ioc.engine import Engine
    from ioc.engine.runner import runner_from_settings
    from ioc.live import open_live_state
    from ioc.metrics import live_probe, new_registry, start_metrics, storage_probe
    from ioc.metrics.families import EngineStatsCollector
    from ioc.storage import open_storage

    settings = settings_or_exit()
    if not settings.redis_url:
        fail(
            "IOC_REDIS_URL is empty: `ioc engine` reads the collectors' stored batches from "
            "Redis (the in-process live state exists only inside `ioc demo`)",
            2,
        )
    registry = new_registry()
    try:
        storage = open_storage(settings)
        live = open_live_state(settings)
        runner = runner_from_settings(settings, live, storage, registry)
    except IocError as exc:
        fail(str(exc), 2)
    service = Engine(settings, storage, live, runner=runner)
    registry.register(EngineStatsCollector(lambda: service.stats))
    probes = {"storage": storage_probe(storage), "live_state": live_probe(live)}
    try:
        metrics = start_metrics(settings, registry, probes)
    except IocError as exc:
        fail(str(exc), 2)
    if runner.notifier is not None:
        runner.notifier.start()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        service.stop(timeout=0)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        service.run()
    finally:
        if runner.notifier is not None:
            runner.notifier.stop()
        if metrics is not None:
            metrics.close()
        storage.close()
        live.close()
        logging.getLogger("ioc.engine").info("stopped")


def kpis(
    as_json: bool = typer.Option(False, "--json", help='one JSON object: {"kpis": [...]}'),
    district: str | None = typer.Option(None, help="only this district's KPIs (a slug)"),
) -> None:
    """Print the current KPI values from the live state."""
    from ioc.kpis.registry import KPIS
    from ioc.places import DISTRICTS

    if district is not None and district not in DISTRICTS:
        fail(f"unknown district {district!r}; one of {', '.join(DISTRICTS)}", 2)
    live = live_or_exit()
    try:
        ts_ms, values = live.kpis()
    except IocError as exc:
        fail(str(exc))
    if district is not None:
        values = [v for v in values if f"district:{district}" in v["scope"]]
    if as_json:
        typer.echo(orjson.dumps({"ts": ts_ms, "kpis": values}).decode())
        return
    if not values:
        typer.echo("no KPI values yet: is `ioc engine` running?")
        return
    for v in values:
        spec = KPIS.get(v["id"])
        name = spec.name_vi if spec else v["id"]
        value = "—" if v["value"] is None else f"{v['value']:.4g}"
        typer.echo(
            f"{name:<42} {v['scope']:<34} {v['window']:<8} {value:>10} {v['unit']:<6} {v['status']}"
        )


def alerts(
    ctx: typer.Context,
    as_json: bool = typer.Option(False, "--json", help='one JSON object: {"alerts": [...]}'),
) -> None:
    """List active and acknowledged alerts (most severe first)."""
    if ctx.invoked_subcommand is not None:
        return
    live = live_or_exit()
    try:
        shown = [a for a in live.alerts() if a["state"] in ALERT_STATES_SHOWN]
    except IocError as exc:
        fail(str(exc))
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


def alerts_ack(
    alert_id: str = typer.Argument(..., help="the alert's id, as `ioc alerts` shows it"),
    by: str = typer.Option(..., "--by", help="who acknowledges"),
    comment: str = typer.Option("", "--comment", help="what is being done about it"),
    timeout: float = typer.Option(10.0, help="seconds to wait for the KPI engine to apply it"),
) -> None:
    """Acknowledge an active alert (applied by the running KPI engine within a second)."""
    live = live_or_exit()
    current = {a["alert_id"]: a for a in live.alerts()}
    alert = current.get(alert_id)
    if alert is None or alert["state"] != "active":
        state = "unknown" if alert is None else alert["state"]
        fail(
            f"alert {alert_id!r} is {state}; only an active alert can be "
            "acknowledged (see `ioc alerts`)"
        )
    if not by.strip():
        fail("--by must name who acknowledges", 2)
    live.request_ack(alert_id, by, comment, time.time_ns() // 1_000_000)
    _audit_ack(alert_id, by, comment)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        now = {a["alert_id"]: a for a in live.alerts()}.get(alert_id)
        if now is not None and now["state"] != "active":
            typer.echo(f"{alert_id}: {now['state']} by {now['acked_by'] or '—'}")
            return
        time.sleep(0.1)  # polling the engine's next tick, with a deadline
    fail(
        f"no KPI engine applied the acknowledgement within {timeout:g} s (is `ioc engine` running?)"
    )


def _audit_ack(alert_id: str, by: str, comment: str) -> None:
    """The command-line acknowledgement in the audit trail too: the shell user who typed it,
    with the name given (`--by`)."""
    from ioc.auth import Auth
    from ioc.auth.cli import cli_actor

    try:
        Auth.open(settings_or_exit()).audit.record(
            cli_actor(), "ack", alert_id, "cli", {"by": by, "comment": comment}
        )
    except (IocError, OSError) as exc:
        typer.echo(f"warning: not written to the audit trail: {exc}", err=True)


def demo(
    host: str = typer.Option("127.0.0.1", help="address of the operations center"),
    port: int = typer.Option(8050, help="port of the operations center"),
    data_dir: str | None = typer.Option(
        None, help="where the SQLite history lives (default: IOC_DATA_DIR or ~/.local/share/ioc)"
    ),
    scenario: str = typer.Option("normal", help="normal, flood, border-queue or festival"),
    backfill_hours: float = typer.Option(3.0, help="simulated history published first"),
) -> None:
    """Run everything in one process: broker, simulator, collector, KPI engine, dashboard."""
    from ioc.demo import DemoOptions, run_demo

    settings_or_exit()
    options = DemoOptions(host, port, data_dir, scenario, backfill_hours=backfill_hours)

    try:
        run_demo(options, say=lambda line: typer.echo(line))
    except KeyboardInterrupt:
        pass
    except IocError as exc:
        fail(str(exc))


def backup(
    dest: str = typer.Argument(
        ..., help="a new folder for the copies, e.g. /backup/ioc-2026-12-01"
    ),
) -> None:
    """Copy the embedded stores (history, users and audit, notification outbox) consistently,
    while the processes run (SQLite's online backup)."""
    from pathlib import Path

    from ioc.backup import backup as run_backup

    settings = settings_or_exit()
    try:
        written = run_backup(settings, Path(dest))
    except IocError as exc:
        fail(str(exc), 2 if isinstance(exc, ConfigError) else 1)
    for path in written:
        typer.echo(f"{path}  ({path.stat().st_size:,} bytes)")
