"""The "Báo cáo" page (`/reports`): supervisors download the report of a period as XLSX or as
the printable HTML, computed from the app's storage; an operator is refused, a bad value is a
message on the page (never an error page), and every download is audited."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from dashboards.app import create_app
from dashboards.auth import EXTENSION as AUTH
from ioc.storage.influx import InfluxStorage
from tests.ioc.kpis.data import ms, ticket

pytestmark = pytest.mark.services
ORIGIN = {"Origin": "http://localhost"}


@pytest.fixture
def app(settings):
    storage = InfluxStorage(settings.influx_url, "test", "ioc", settings.influx_bucket)
    storage.write(
        [
            ticket("CB-1", "received", ms(1, 9), "hoa-an", "online_l4", due_ms=ms(3, 17)),
            ticket("CB-1", "resolved", ms(1, 15), "hoa-an", satisfaction=5),
            ticket("CB-2", "received", ms(1, 10), "bao-lac", "hotline_1022", due_ms=ms(1, 11)),
        ]
    )
    storage.close()
    app = create_app(settings)
    users = app.server.extensions[AUTH].users
    users.add("giam.sat", "supervisor", "mat-khau-giam-sat-1")
    users.add("truc.ban", "operator", "mat-khau-truc-ban-2")
    yield app
    app.server.extensions["ioc_dashboard"].close()


def signed_in(app, name, password):
    client = app.server.test_client()
    response = client.post("/login", data={"username": name, "password": password}, headers=ORIGIN)
    assert response.status_code == 302, response.data
    return client


def test_a_supervisor_downloads_the_days_report_as_xlsx_and_html(app):
    client = signed_in(app, "giam.sat", "mat-khau-giam-sat-1")
    page = client.get("/reports")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Báo cáo" in text and 'id="reports-form"' in text and "Hòa An" in text
    response = client.get("/reports/download?period=day&date=2020-07-01&format=xlsx")
    assert response.status_code == 200, response.data[:500]
    assert 'filename="bao-cao-2020-07-01.xlsx"' in response.headers["Content-Disposition"]
    book = load_workbook(io.BytesIO(response.data))
    services = book["Dịch vụ công"]
    rows = {r[0]: r for r in services.iter_rows(min_row=2, values_only=True) if r[0]}
    assert rows["Hòa An"][1:3] == (1, 1)  # received 1, resolved 1
    assert rows["Bảo Lạc"][1] == 1 and rows["Bảo Lạc"][9] == 1  # hotline 1022
    assert rows["Toàn tỉnh"][1] == 2
    html = client.get(
        "/reports/download?period=day&date=2020-07-01&format=html&district=hoa-an&lang=vi"
    )
    assert html.status_code == 200 and html.mimetype == "text/html"
    assert "Báo cáo vận hành IOC — Hòa An — Ngày 01/07/2020" in html.get_data(as_text=True)
    entries = app.server.extensions[AUTH].audit.query(action="report")
    assert [(e.actor, e.target) for e in entries] == [("giam.sat", "2020-07-01")] * 2


def test_bad_values_are_a_message_and_an_operator_is_refused(app):
    client = signed_in(app, "giam.sat", "mat-khau-giam-sat-1")
    for query, words in (
        ("period=day&date=01/07/2020&format=xlsx", "YYYY-MM-DD"),
        ("period=year&date=2020-07-01&format=xlsx", "kỳ báo cáo"),
        ("period=day&date=2020-07-01&format=pdf", "định dạng"),
        ("period=day&date=2020-07-01&format=xlsx&district=atlantis", "atlantis"),
    ):
        response = client.get(f"/reports/download?{query}")
        assert response.status_code == 400, query
        assert words in response.get_data(as_text=True), query
        assert 'id="reports-message"' in response.get_data(as_text=True)
    operator = signed_in(app, "truc.ban", "mat-khau-truc-ban-2")
    assert operator.get("/reports").status_code == 403
    assert operator.get("/reports/download?period=day&date=2020-07-01").status_code == 403
    anonymous = app.server.test_client()
    assert anonymous.get("/reports").status_code in (302, 401)
