"""`ioc report --send`: the day's report reaches the e-mail channel (summary + XLSX + HTML
attached) and the webhook (JSON summary), on the same real SMTP server and HTTP receiver."""

from __future__ import annotations

import io

import orjson
from openpyxl import load_workbook
from typer.testing import CliRunner

from ioc.cli import build
from ioc.model import NS_PER_MS, Reading
from ioc.storage.sqlite import SqliteStorage
from tests.ioc.kpis.data import ms, ticket
from tests.ioc.notify.conftest import SMTP_PASSWORD, SMTP_USER
from tests.ioc.notify.test_notifier import rules_file


def test_the_days_report_is_sent_by_email_with_attachments_and_to_the_webhook(
    tmp_path, smtp_server, ca_file, httpserver, monkeypatch
):
    httpserver.expect_request("/hook", method="POST").respond_with_data("ok")
    data = tmp_path / "data"
    data.mkdir()
    storage = SqliteStorage(data / "ioc.sqlite3")
    storage.write(
        [
            ticket("CB-9", "received", ms(1, 9), "ha-quang", "online_l3", due_ms=ms(2, 17)),
            ticket("CB-9", "resolved", ms(1, 16), "ha-quang", satisfaction=4),
            Reading("sensor", ms(1, 10) * NS_PER_MS,
                    {"district": "hoa-an", "source": "x", "kind": "noise"}, {"laeq_db": 50.0}),
        ]
    )  # fmt: skip
    storage.close()
    env = {
        "IOC_DATA_DIR": str(data),
        "IOC_ALERT_RULES_FILE": str(rules_file(tmp_path, httpserver.url_for("/hook"))),
        "IOC_SMTP_HOST": "127.0.0.1",
        "IOC_SMTP_PORT": str(smtp_server.port),
        "IOC_SMTP_USERNAME": SMTP_USER,
        "IOC_SMTP_PASSWORD": SMTP_PASSWORD,
        "IOC_SMTP_CA_FILE": str(ca_file),
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    out = tmp_path / "r.xlsx"
    args = ["report", "--date", "2020-07-01", "--out", str(out)]
    done = CliRunner().invoke(build(), [*args, "--send", "truc-ban", "--send", "he-thong-tinh"])
    assert done.exit_code == 0, done.output
    assert "sent through truc-ban, he-thong-tinh" in done.output
    (mail,) = smtp_server.received()
    assert (
        mail["Subject"] == "[IOC Cao Bằng] Báo cáo vận hành IOC — tỉnh Cao Bằng — Ngày 01/07/2020"
    )
    body = mail.get_body(("plain",)).get_content()
    assert "Hồ sơ tiếp nhận: 1, đã giải quyết: 1, đúng hạn: 100,0 %" in body
    files = {part.get_filename(): part.get_content() for part in mail.iter_attachments()}
    assert set(files) == {"bao-cao-2020-07-01.xlsx", "bao-cao-2020-07-01.html"}
    book = load_workbook(io.BytesIO(files["bao-cao-2020-07-01.xlsx"]))
    assert "Dịch vụ công" in book.sheetnames
    assert "Ngày 01/07/2020" in files["bao-cao-2020-07-01.html"]
    ((request, _),) = httpserver.log
    hook = orjson.loads(request.data)
    assert hook["kind"] == "report" and hook["slug"] == "2020-07-01"
    assert hook["services"]["received"] == 1 and hook["services"]["on_time_rate"] == 100.0
    assert out.exists()

    unknown = CliRunner().invoke(build(), [*args, "--send", "nobody"])
    assert unknown.exit_code == 2 and "no channel ['nobody']" in unknown.output
