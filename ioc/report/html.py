"""The report as one printable HTML page (Jinja2, autoescaped): A4 landscape, a table per
section, Vietnamese labels and number formats; print it to PDF from any browser."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

from ioc.kpis.spec import PROVINCE
from ioc.report.columns import SECTIONS, local_time, shown
from ioc.report.compute import Report

TEMPLATES = Path(__file__).parent / "templates"
_env = Environment(
    loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]), trim_blocks=True
)


def _css(column_kind: str, key: str, value: Any) -> str:
    if key == "severity":
        return f"sev-{value}"
    return "" if column_kind == "text" else "num"


def to_html(report: Report) -> str:
    blocks = []
    for section in SECTIONS:
        rows = []
        for row in getattr(report, section.key):
            cells = [
                {"text": shown(row.get(c.key), c), "css": _css(c.kind, c.key, row.get(c.key))}
                for c in section.columns
            ]
            rows.append({"cells": cells, "css": "total" if row.get("scope") == PROVINCE else ""})
        blocks.append({"section": section, "rows": rows})
    return _env.get_template("report.html").render(
        report=report,
        blocks=blocks,
        start=f"{local_time(report.period.start_ms):%H:%M %d/%m/%Y}",
        end=f"{local_time(report.period.end_ms):%H:%M %d/%m/%Y}",
        generated=f"{local_time(report.generated_ms):%H:%M %d/%m/%Y}",
    )
