"""The dashboards' `ioc` command: `ioc dashboard` (see `ioc.cli`)."""

from __future__ import annotations

import typer

from ioc.cli import Commands, settings_or_exit


def register(cli: Commands) -> None:
    cli.root.command()(dashboard)


def dashboard(
    host: str = typer.Option("127.0.0.1", help="address to listen on"),
    port: int = typer.Option(8050, help="port to listen on"),
    debug: bool = typer.Option(False, help="Dash dev tools and reloader (never in production)"),
) -> None:
    """Serve the operations center (wall screen and drill-downs) for development.

    Production: gunicorn --workers 4 --bind 0.0.0.0:8050 dashboards.wsgi:server
    (same IOC_* settings, plus IOC_DASHBOARD_SECRET_KEY shared by the workers).
    """
    from dashboards.app import create_app

    settings = settings_or_exit()
    create_app(settings, debug=debug).run(host=host, port=port, debug=debug)
