"""`ioc devices add|revoke|acl`: the broker's device credentials and ACL (deploy/mosquitto),
written without Mosquitto installed (ioc.mqttauth). Registered by `ioc.commands`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from ioc.cli import Commands, fail, settings_or_exit

if TYPE_CHECKING:
    from ioc.sources import Source

DEPLOY_DIR = typer.Option("deploy/mosquitto", help="folder of the broker's passwd and acl files")


def register(cli: Commands) -> None:
    devices = typer.Typer(
        no_args_is_help=True, help="Device credentials and ACL of the broker (deploy/mosquitto)."
    )
    devices.command("add")(add)
    devices.command("revoke")(revoke)
    devices.command("acl")(acl)
    cli.root.add_typer(devices, name="devices")


def _catalogue() -> dict[str, Source]:
    from ioc.sources import load_sources  # imports the KPI package: only when a command runs

    return load_sources(settings_or_exit().sources_file or None)


def add(source_id: str, deploy_dir: str = DEPLOY_DIR) -> None:
    """Give a catalogued device a generated password (printed once) and regenerate the ACL: it
    may publish only its own feed, district and status topics. Restart the broker afterwards."""
    from ioc.mqttauth import DeviceError, add_device

    folder = Path(deploy_dir)
    try:
        password = add_device(folder, _catalogue(), source_id)
    except DeviceError as exc:
        fail(str(exc), 2)
    typer.echo(f"added {source_id} to {folder / 'passwd'}; its password (shown once):", err=True)
    typer.echo(password)


def revoke(source_id: str, deploy_dir: str = DEPLOY_DIR) -> None:
    """Remove a device's password: the broker refuses it from its next restart (or SIGHUP)."""
    from ioc.mqttauth import revoke_device

    folder = Path(deploy_dir)
    if not revoke_device(folder, _catalogue(), source_id):
        fail(f"{source_id} has no password in {folder / 'passwd'}")
    typer.echo(f"revoked {source_id}")


def acl(deploy_dir: str = DEPLOY_DIR) -> None:
    """Regenerate the broker's ACL from the source catalogue (IOC_SOURCES_FILE)."""
    from ioc.mqttauth import write_acl

    sources = _catalogue()
    typer.echo(f"wrote {write_acl(Path(deploy_dir), sources)} ({len(sources)} sources)")
