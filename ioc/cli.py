"""The `ioc` command: the core's own commands plus those each installed package contributes.

The core names no package above it. A package adds commands through the entry-point group
`ioc.commands` in `pyproject.toml`, one entry per package, pointing at a `register(cli)` function:

    [project.entry-points."ioc.commands"]
    collectors = "collectors.commands:register"

    def register(cli: ioc.cli.Commands) -> None:
        cli.root.command()(collect)             # ioc collect
        cli.bench.command("ingest")(bench)      # ioc bench ingest

Adding a command to a package that already has an entry needs no reinstall; a new entry does
(`scripts/setup.sh` reinstalls when `pyproject.toml` changes). The core's own commands (`check`,
`kpis`, `alerts`, `demo`) are in `ioc.commands`.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import TYPE_CHECKING, NoReturn

import typer

from ioc.errors import ConfigError, IocError
from ioc.settings import Settings, load_settings

if TYPE_CHECKING:
    from collections.abc import Callable

    from ioc.live import LiveState

COMMANDS_GROUP = "ioc.commands"


@dataclass(frozen=True)
class Commands:
    """Where a package's `register(cli)` puts its commands."""

    root: typer.Typer  # ioc <command>
    bench: typer.Typer  # ioc bench <command>: benchmarks that print figures, not tests


def fail(message: str, code: int = 1) -> NoReturn:
    """Print `error: message` to stderr and exit with `code` (2: bad settings or arguments)."""
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def settings_or_exit() -> Settings:
    """The settings, with logging set up from them; a bad setting exits 2 naming key and value."""
    try:
        settings = load_settings()
    except ConfigError as exc:
        fail(str(exc), 2)
    from ioc.logs import configure_logging

    configure_logging(settings)
    return settings


def live_or_exit() -> LiveState:
    """The live state of the settings (not connected yet); a bad setting exits 2."""
    from ioc.live import open_live_state

    settings = settings_or_exit()
    try:
        return open_live_state(settings)
    except IocError as exc:
        fail(str(exc), 2)


def build() -> typer.Typer:
    """The whole `ioc` command: the core's commands, then every registered package's."""
    from ioc import commands

    cli = Commands(
        root=typer.Typer(no_args_is_help=True, add_completion=False, help="Cao Bằng IOC"),
        bench=typer.Typer(no_args_is_help=True, help="Benchmarks that print figures."),
    )
    cli.root.add_typer(cli.bench, name="bench")
    commands.register(cli)
    registered = sorted(entry_points(group=COMMANDS_GROUP), key=lambda e: e.name)
    if not registered:
        typer.echo(
            f"warning: no package registers `ioc` commands (entry points {COMMANDS_GROUP!r}); "
            "reinstall the project: scripts/setup.sh or pip install -e .",
            err=True,
        )
    for entry in registered:
        register: Callable[[Commands], None] = entry.load()
        register(cli)
    _check_unique(cli.root)
    _check_unique(cli.bench)
    return cli.root


def _check_unique(app: typer.Typer) -> None:
    names = [
        (c.name or (c.callback.__name__ if c.callback else "")).replace("_", "-")
        for c in app.registered_commands
    ]
    names += [g.name or "" for g in app.registered_groups]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise IocError(f"`ioc` commands registered twice: {', '.join(twice)}")


def main() -> None:
    try:
        app = build()
    except IocError as exc:
        typer.echo(f"error: {exc}", err=True)
        sys.exit(2)
    try:
        app()
    except ConfigError as exc:
        typer.echo(f"error: {exc}", err=True)
        sys.exit(2)


if __name__ == "__main__":
    main()
