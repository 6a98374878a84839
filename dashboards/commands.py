"""The dashboards' `ioc` commands: `ioc dashboard`, `ioc bench history`, `ioc bench wall`
(see `ioc.cli`)."""

from __future__ import annotations

import typer

from ioc.cli import Commands, settings_or_exit


def register(cli: Commands) -> None:
    cli.root.command()(dashboard)
    cli.bench.command("history")(bench_history)
    cli.bench.command("wall")(bench_wall)


def dashboard(
    host: str = typer.Option("127.0.0.1", help="address to listen on"),
    port: int = typer.Option(8050, help="port to listen on"),
    debug: bool = typer.Option(False, help="Dash dev tools and reloader (never in production)"),
) -> None:
    """Serve the operations center (wall screen and drill-downs) for development.

    Production: gunicorn --workers 4 --worker-class gthread --threads 64 --bind 0.0.0.0:8050
    dashboards.wsgi:server (the wall's push holds a thread per open wall; same IOC_* settings,
    plus IOC_DASHBOARD_SECRET_KEY shared by the workers).
    """
    from dashboards.app import create_app

    settings = settings_or_exit()
    create_app(settings, debug=debug).run(host=host, port=port, debug=debug)


def bench_history(
    n_sources: int = typer.Option(730, "--sources", help="synthetic sensor sources"),
    days: int = typer.Option(90, help="days of history"),
    raw_days: int = typer.Option(
        7, help="days kept as raw points (older days: hourly rollups only, as after retention)"
    ),
    interval_s: int = typer.Option(60, "--interval", help="seconds between a source's points"),
    repeat: int = typer.Option(20, help="runs of each query"),
    backend: str = typer.Option("influxdb,sqlite", help="influxdb and/or sqlite, comma-separated"),
    browser: bool = typer.Option(True, help="also time page → drawn chart in headless Chromium"),
) -> None:
    """Drill-down query latency (p50/p95) on synthetic history, beside the raw-point queries."""
    import logging

    import orjson

    from dashboards.bench import run_history, summary, table

    logging.basicConfig(level="WARNING")
    if 3600 % interval_s or interval_s > 3600:
        raise typer.BadParameter("must divide 3600", param_hint="--interval")
    backends = tuple(b for b in backend.split(",") if b)
    unknown = set(backends) - {"influxdb", "sqlite"}
    if unknown:
        raise typer.BadParameter(f"unknown {sorted(unknown)}", param_hint="--backend")
    runs = run_history(
        n_sources,
        days,
        raw_days=min(raw_days, days),
        interval_s=interval_s,
        repeat=repeat,
        backends=backends,
        browser=browser,
        progress=lambda line: typer.echo(f"… {line}", err=True),
    )
    typer.echo(
        f"{n_sources} sources × {days} days (raw points: last {min(raw_days, days)} days,"
        f" one every {interval_s} s)"
    )
    for name, run in runs.items():
        load = run.load_s
        typer.echo(
            f"{name}: {load['raw_points']:,.0f} raw points loaded in {load['raw_s']:.0f} s,"
            f" rebuild of the last 6 hours' rollups {load['rebuild_s']:.1f} s"
            + (f", compactions done {load['settle_s']:.0f} s later" if "settle_s" in load else "")
        )
    for line in table(runs):
        typer.echo(line)
    typer.echo(orjson.dumps(summary(n_sources, days, runs)).decode())


def bench_wall(
    walls: int = typer.Option(1, "--walls", min=1, max=200, help="walls open at once"),
    browsers: int = typer.Option(
        0,
        "--browsers",
        min=0,
        help="of them, Chromium windows (0: all); the rest hold the stream without a browser",
    ),
    trials: int = typer.Option(20, min=1, help="values published, each to every wall"),
    period_s: float = typer.Option(
        2.5, "--period", min=0.5, help="seconds between trials (the same CPU window for every N)"
    ),
) -> None:
    """Publish → pixel on the pushed wall with N walls open, and the dashboard server's CPU,
    beside the polling wall measured in the same run."""
    import logging

    import orjson

    from dashboards.wallbench import report, run_wall, summary

    logging.basicConfig(level="WARNING")
    shown = min(browsers or walls, walls)
    phases = run_wall(
        walls, shown, trials, period_s, progress=lambda line: typer.echo(f"… {line}", err=True)
    )
    for line in report(walls, shown, phases):
        typer.echo(line)
    typer.echo(orjson.dumps(summary(walls, phases)).decode())
