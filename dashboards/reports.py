"""`/reports` ("Báo cáo", supervisor and admin): pick a period, a date and optionally a
district, and download the report (`ioc report`'s XLSX or printable HTML, ioc.report) computed
from storage with the wall's KPI definitions. Every download is audited (`report`). A bad form
value gives a message on the page (400), never an error page."""

from __future__ import annotations

import time
from datetime import date, datetime

import flask

from dashboards import data
from dashboards.auth import record, require
from dashboards.auth.views import page_lang, render
from dashboards.i18n import district_name
from ioc.errors import IocError
from ioc.localtime import LOCAL_TZ
from ioc.places import DISTRICTS
from ioc.report.period import PERIODS, parse_date, period_of

REPORT = "supervisor"  # who may build reports (ioc.auth.roles: supervisor and above)
blueprint = flask.Blueprint("ioc_reports", __name__, template_folder="templates")
FORMATS = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
           "html": "text/html; charset=utf-8"}  # fmt: skip


def _yesterday() -> date:
    return date.fromordinal(datetime.now(LOCAL_TZ).date().toordinal() - 1)


def _page(message: str = "", status: int = 200, **shown: str) -> flask.Response:
    lang = page_lang()
    values = {"period": "day", "date": _yesterday().isoformat(), "district": "", **shown}
    return render(
        "reports.html",
        status,
        message=message,
        shown=values,
        periods=PERIODS,
        districts=[(slug, district_name(slug, lang)) for slug in DISTRICTS],
    )


@blueprint.route("/reports", methods=["GET"])
def reports() -> flask.Response:
    require(REPORT)
    return _page()


@blueprint.route("/reports/download", methods=["GET"])
def download() -> flask.Response:
    require(REPORT)
    from ioc.report.compute import build_report
    from ioc.report.html import to_html
    from ioc.report.xlsx import to_xlsx
    from ioc.sources import gauge_levels, load_sources, names

    args = flask.request.args
    shown = {k: args.get(k, "") for k in ("period", "date", "district", "format")}
    fmt, district = shown["format"] or "xlsx", shown["district"] or None
    try:
        if fmt not in FORMATS:
            raise ValueError(f"định dạng {fmt!r} không hợp lệ (xlsx hoặc html)")
        if district is not None and district not in DISTRICTS:
            raise ValueError(f"địa bàn {district!r} không có")
        kind = shown["period"] or "day"
        if kind not in PERIODS:
            raise ValueError(f"kỳ báo cáo {kind!r} không hợp lệ (ngày, tuần hoặc tháng)")
        try:
            day = parse_date(shown["date"])
        except ValueError:
            raise ValueError(
                f"ngày {shown['date']!r} không hợp lệ: dùng YYYY-MM-DD (hoặc YYYY-MM, YYYY-Www)"
            ) from None
        period = period_of(kind, day)
    except ValueError as exc:
        return _page(f"Không lập được báo cáo: {exc}", 400, **shown)
    backend = data.backend()
    if backend.storage is None:
        return _page(f"Không đọc được lịch sử: {backend.storage_problem}", 503, **shown)
    sources = load_sources(backend.settings.sources_file or None)
    try:
        report = build_report(
            backend.storage,
            period,
            gauges=gauge_levels(sources),
            names=names(sources),
            generated_ms=time.time_ns() // 1_000_000,
            district=district,
        )
    except IocError as exc:
        return _page(f"Không đọc được lịch sử: {exc}", 503, **shown)
    body = to_xlsx(report) if fmt == "xlsx" else to_html(report).encode("utf-8")
    record("report", period.slug, {"period": period.kind, "district": district, "format": fmt})
    suffix = f"-{district}" if district else ""
    response = flask.Response(body, mimetype=FORMATS[fmt])
    disposition = "attachment" if fmt == "xlsx" else "inline"
    filename = f"bao-cao-{period.slug}{suffix}.{fmt}"
    response.headers["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


def register(server: flask.Flask) -> None:
    server.register_blueprint(blueprint)
