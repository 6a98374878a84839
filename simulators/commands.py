"""The simulators' `ioc` command: `ioc simulate` (see `ioc.cli`)."""

from __future__ import annotations

import typer

from ioc.cli import Commands, fail, settings_or_exit
from ioc.errors import IocError


def register(cli: Commands) -> None:
    cli.root.command()(simulate)


def simulate(
    rate: float = typer.Option(100.0, help="data messages per second"),
    duration: float | None = typer.Option(None, help="stop after S seconds"),
    count: int | None = typer.Option(None, help="stop after N data messages"),
    seed: int = typer.Option(0, help="same seed, scenario and start: same messages"),
    scenario: str = typer.Option("normal", help="normal, flood, border-queue or festival"),
    bad_ratio: float = typer.Option(0.0, help="share of malformed messages (0-1)"),
    start: str | None = typer.Option(None, help="simulated start, ISO 8601 (default: now)"),
    max_ahead: float = typer.Option(
        240.0,
        help="seconds simulated time may run ahead of the clock before pacing (keep it under "
        "the collectors' IOC_MAX_FUTURE_S, 300: later readings are rejected as future_time)",
    ),
    flood_district: str | None = typer.Option(None, help="district of the flood scenario"),
    device_logins: bool = typer.Option(
        False, help="each device's status connection logs in as the device (production broker)"
    ),
) -> None:
    """Play the province's devices and desks over real MQTT (IOC_MQTT_URL).

    Progress goes to stderr about once a second; the last line on stdout is one JSON object:
    {"sent": {"sensor": n, "camera": n, "servicedesk": n, "status": n}, "bad": n}.
    """
    from datetime import datetime

    from simulators.publisher import SimConfig, SimProgress, run_simulation

    settings = settings_or_exit()
    try:
        config = SimConfig(
            mqtt_url=settings.mqtt_url,
            mqtt_ca_file=settings.mqtt.ca_file,
            scenario=scenario,
            seed=seed,
            start=datetime.fromisoformat(start) if start else None,
            rate=rate,
            count=count,
            duration=duration,
            max_ahead_s=max_ahead,
            bad_ratio=bad_ratio,
            flood_district=flood_district,
            device_logins=device_logins,
            protocol="mqttv5" if settings.mqtt_protocol == "5" else "mqttv311",
        )
    except ValueError as exc:
        fail(str(exc), 2)

    def show(p: SimProgress) -> None:
        typer.echo(
            f"… {p.elapsed_s:6.1f} s  sent {sum(p.sent.values()):,} valid, {p.bad:,} bad"
            f"  (simulated {p.sim_time:%Y-%m-%d %H:%M} UTC)",
            err=True,
        )

    try:
        result = run_simulation(config, progress=show)
    except IocError as exc:
        fail(str(exc))
    typer.echo(result.to_json_line())
