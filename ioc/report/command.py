"""`ioc report --period day|week|month --date … --format xlsx|html [--district …] [--out …]`."""

from __future__ import annotations

import time
from datetime import date as date_
from pathlib import Path

import typer

from ioc.cli import fail, settings_or_exit
from ioc.errors import ConfigError, IocError


def yesterday() -> date_:
    from datetime import datetime, timedelta

    from ioc.localtime import LOCAL_TZ

    return datetime.now(LOCAL_TZ).date() - timedelta(days=1)


def report(
    period: str = typer.Option("day", help="day, week (Monday–Sunday) or month"),
    date: str = typer.Option(
        ..., "--date", help="a day in the period: YYYY-MM-DD, YYYY-MM, YYYY-Www or yesterday"
    ),
    fmt: str = typer.Option("xlsx", "--format", help="xlsx (one sheet per section) or html"),
    district: str | None = typer.Option(None, help="only this district (a slug)"),
    out: str | None = typer.Option(
        None, help="file to write (default bao-cao-<period>[-<district>].<format>; - = stdout)"
    ),
    send: list[str] | None = typer.Option(  # noqa: B008 (typer's way to declare a list)
        None, "--send", help="also send it through this notification channel (repeatable)"
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
        day = yesterday() if date == "yesterday" else parse_date(date)
        chosen = period_of(period, day)
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
    if send:
        from ioc.notify.config import load_notify_config
        from ioc.report.send import send_report

        try:
            sent = send_report(settings, load_notify_config(settings.alert_rules_file), built, send)
        except (OSError, ValueError) as exc:
            fail(f"IOC_ALERT_RULES_FILE={settings.alert_rules_file!r}: {exc}", 2)
        except IocError as exc:
            fail(f"not sent: {exc}", 2 if isinstance(exc, ConfigError) else 1)
        typer.echo(f"sent through {', '.join(sent)}")
    body = to_xlsx(built) if fmt == "xlsx" else to_html(built).encode("utf-8")
    if out == "-":
        typer.get_binary_stream("stdout").write(body)
        return
    suffix = f"-{district}" if district else ""
    path = Path(out or f"bao-cao-{chosen.slug}{suffix}.{fmt}")
    path.write_bytes(body)
    typer.echo(f"{path}  ({built.title_vi}, {len(body):,} bytes)")
