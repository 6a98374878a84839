"""The `ioc` command. The composition root: the only place that wires packages together, so
it imports `collectors`, `simulators` and `dashboards` lazily, inside the commands."""

from __future__ import annotations

import logging
import signal
import sys
import threading
from types import FrameType

import typer

from ioc.errors import ConfigError, IocError
from ioc.settings import Settings, load_settings

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
    from ioc.live import open_live_state
    from ioc.storage import open_storage

    settings = _settings()
    try:
        storage = open_storage(settings)
        live = open_live_state(settings)
    except ConfigError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    collector = Collector(settings, storage, live)
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


@bench_app.command("ingest")
def bench_ingest(
    messages: int = typer.Option(100_000, "--messages", "-n", help="backlog size"),
    batch_size: int = typer.Option(5000, help="collector batch size"),
) -> None:
    """Drain a persistent-session backlog: collector vs bare paho vs mosquitto_sub."""
    import orjson

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
