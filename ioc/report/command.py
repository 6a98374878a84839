"""`ioc report --period day|week|month --date … --format xlsx|html [--district …] [--out …]`."""

from __future__ import annotations

import time
from pathlib import Path

import typer

from ioc.cli import fail, settings_or_exit
from ioc.errors import IocError


def report(
    period: str = typer.Option("day", help="day, week (Monday–Sunday) or month"),
    date: str = typer.Option(
        ..., "--date", help="a day in the period: YYYY-MM-DD (or YYYY-MM, YYYY-Www)"
    ),
    fmt: str = typer.Option("xlsx", "--format", help="xlsx (one sheet per section) or html"),
    district: str | None = typer.Option(None, help="only this district (a slug)"),
    out: str | None = typer.Option(
        None, help="file to write (default bao-cao-<period>[-<district>].<format>; - = stdout)"
    ),
) -> None:
    """Write the period's report (public services, city indicators, devices, alerts) computed
    from storage with the KPI definitions of the wall."""
    from ioc.alerts.rules import RULES, load_rules
    from ioc.places import DISTRICTS
    from ioc.report.compute import build_report
    from ioc.report.html import to_html
    from ioc.report.period import parse_date, period_of
    from ioc.report.xlsx import to_xlsx
    from ioc.sources import gauge_levels, load_sources, names
    from ioc.storage import open_storage

    if fmt not in ("xlsx", "html"):
        fail(f"--format must be xlsx or html, not {fmt!r}", 2)
    if district is not None and district not in DISTRICTS:
        fail(f"unknown district {district!r}; one of {', '.join(DISTRICTS)}", 2)
    try:
        chosen = period_of(period, parse_date(date))
    except ValueError as exc:
        fail(str(exc), 2)
    settings = settings_or_exit()
    sources = load_sources(settings.sources_file or None)
    try:
        rules = load_rules(settings.alert_rules_file) if settings.alert_rules_file else RULES
    except (OSError, ValueError) as exc:
        fail(f"IOC_ALERT_RULES_FILE={settings.alert_rules_file!r}: {exc}", 2)
    try:
        storage = open_storage(settings)
    except IocError as exc:
        fail(str(exc), 2)
    try:
        built = build_report(
            storage,
            chosen,
            gauges=gauge_levels(sources),
            names=names(sources),
            generated_ms=time.time_ns() // 1_000_000,
            district=district,
            rules=rules,
        )
    except IocError as exc:
        fail(f"cannot read the history: {exc}")
    finally:
        storage.close()
    body = to_xlsx(built) if fmt == "xlsx" else to_html(built).encode("utf-8")
    if out == "-":
        typer.get_binary_stream("stdout").write(body)
        return
    suffix = f"-{district}" if district else ""
    path = Path(out or f"bao-cao-{chosen.slug}{suffix}.{fmt}")
    path.write_bytes(body)
    typer.echo(f"{path}  ({built.title_vi}, {len(body):,} bytes)")
