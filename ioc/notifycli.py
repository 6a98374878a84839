"""`ioc notifications [--json]`: what the notification outbox holds — every notice per channel
with its status (pending, delivered, failed), attempts and the last answer."""

from __future__ import annotations

import orjson
import typer

from ioc.cli import settings_or_exit


def notifications(
    as_json: bool = typer.Option(False, "--json", help='one JSON object: {"notifications": [...]}'),
    limit: int = typer.Option(50, help="the newest N"),
) -> None:
    """List the alert notifications sent or waiting, with their delivery attempts."""
    from ioc.notify.outbox import OUTBOX_FILE, Outbox
    from ioc.storage import data_dir

    settings = settings_or_exit()
    path = data_dir(settings) / OUTBOX_FILE
    if not path.exists():
        typer.echo(f"no notification outbox at {path} (no channels routed yet?)")
        return
    outbox = Outbox(path)
    try:
        items = outbox.items()[-limit:]
        attempts = outbox.attempts()
    finally:
        outbox.close()
    last: dict[tuple[str, str, str], str] = {}
    for attempt in attempts:
        last[(attempt.channel, attempt.alert_id, attempt.event)] = attempt.detail
    rows = [
        {
            "channel": item.channel,
            "event": item.notice.event,
            "alert_id": item.notice.alert_id,
            "severity": item.notice.severity,
            "status": item.status,
            "attempts": item.attempts,
            "last": last.get(item.key, ""),
            "message_vi": item.notice.message_vi,
        }
        for item in items
    ]
    if as_json:
        typer.echo(orjson.dumps({"notifications": rows}).decode())
        return
    if not rows:
        typer.echo("no notifications yet")
    for r in rows:
        typer.echo(
            f"[{r['status']:<9}] {r['channel']:<16} {r['event']:<9} {r['attempts']:>3}×  "
            f"{r['message_vi']}  ({r['last']})"
        )
