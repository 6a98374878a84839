"""Logging for every `ioc` process: one line per event, as text or JSON (IOC_LOG_FORMAT=json:
one JSON object a line — `ts`, `level`, `logger`, `message` —, for log shippers).

Library chatter (amqtt, transitions, werkzeug's per-request lines, Dash, urllib3, httpx) is kept
at WARNING (amqtt at ERROR) unless IOC_LOG_LEVEL=DEBUG, so a process's own lines — "open
http://…" — stay visible.
"""

from __future__ import annotations

import logging
import sys

from pythonjsonlogger.json import JsonFormatter

from ioc.settings import Settings

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
CHATTY = (
    "amqtt",
    "transitions",
    "werkzeug",
    "dash.dash",
    "urllib3",
    "httpx",
    "httpcore",
    "mail.log",
)


def configure_logging(settings: Settings) -> None:
    handler = logging.StreamHandler(sys.stderr)
    if settings.log_format == "json":
        handler.setFormatter(
            JsonFormatter(
                "%(asctime)s %(levelname)s %(name)s %(message)s",
                rename_fields={"asctime": "ts", "levelname": "level", "name": "logger"},
                json_ensure_ascii=False,
            )
        )
    else:
        handler.setFormatter(logging.Formatter(TEXT_FORMAT))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(settings.log_level)
    debug = settings.log_level == "DEBUG"
    for name in CHATTY:
        logging.getLogger(name).setLevel(logging.DEBUG if debug else logging.WARNING)
    # amqtt warns once per in-flight message when the demo stops mid back-fill (thousands)
    logging.getLogger("amqtt").setLevel(logging.DEBUG if debug else logging.ERROR)
