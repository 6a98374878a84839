"""Notifications end to end through the KPI engine, a real SMTP server (STARTTLS + login) and a
real HTTP receiver: a flood alert reaches both once; the SMTP server down for 30 s → delivered
after; an engine restart → no duplicate; quiet hours; a refusing webhook."""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

import orjson
import pytest
from pytest_httpserver import HTTPServer

from ioc.alerts.rules import RULES
from ioc.devservices import wait_until
from ioc.engine.runner import KpiRunner
from ioc.kpis.city import GaugeAlarmLevels
from ioc.live.memory import MemoryLiveState
from ioc.notify import Outbox, notifier_from_settings
from ioc.notify.outbox import OUTBOX_FILE
from ioc.settings import load_settings
from ioc.storage.sqlite import SqliteStorage
from tests.ioc.kpis.data import ms, sensor
from tests.ioc.notify.conftest import SMTP_PASSWORD, SMTP_USER, SmtpServer

NOW = ms(8, 12, 0, 30)
GAUGES = {"g1": GaugeAlarmLevels(300, 400, 500)}
WATER = [dataclasses.replace(RULES[r], min_duration_s=0) for r in ("water.bd2", "water.bd3")]
NAMES = {"g1": "Trạm thủy văn Bằng Giang"}


def rules_file(tmp_path: Path, url: str, quiet: str = "", events=("raised", "escalated")) -> Path:
    quiet_line = f'quiet_hours = "{quiet}"' if quiet else ""
    path = tmp_path / "alerts.toml"
    path.write_text(
        f"""
[[channel]]
id = "truc-ban"
kind = "email"
to = ["truc.ban@caobang.gov.vn", "lanh.dao@caobang.gov.vn"]

[[channel]]
id = "he-thong-tinh"
kind = "webhook"
url = "{url}"
{quiet_line}

[[route]]
channels = ["truc-ban", "he-thong-tinh"]
severities = ["critical"]
rules = ["water.*"]
events = {list(events)!r}

[[route]]
channels = ["he-thong-tinh"]
severities = ["warning"]
""",
        encoding="utf-8",
    )
    return path


@pytest.fixture
def receiver(httpserver: HTTPServer) -> HTTPServer:
    httpserver.expect_request("/hook", method="POST").respond_with_data("ok")
    return httpserver


def settings_for(tmp_path, smtp: SmtpServer, ca_file, url, **extra):
    return load_settings(
        data_dir=str(tmp_path / "data"),
        alert_rules_file=str(rules_file(tmp_path, url, **extra.pop("file", {}))),
        smtp_host="127.0.0.1",
        smtp_port=smtp.port,
        smtp_username=SMTP_USER,
        smtp_password=SMTP_PASSWORD,
        smtp_ca_file=str(ca_file),
        smtp_from="ioc@caobang.gov.vn",
        public_url="https://ioc.caobang.gov.vn",
        **extra,
    )


class Engine:
    """A KPI engine as `ioc engine` builds it: storage, live state, rules, its notifier."""

    def __init__(self, settings, storage, live=None, clock_ms=NOW):
        self.now = clock_ms
        self.notifier = notifier_from_settings(settings, {r.id: r for r in WATER})
        assert self.notifier is not None
        self.live = live or MemoryLiveState()
        self.runner = KpiRunner(
            self.live,
            storage,
            gauges=GAUGES,
            rules=WATER,
            clock=lambda: self.now,
            names=NAMES,
            notifier=self.notifier,
        )

    def level(self, cm: float, step_ms: int = 60_000):
        self.now += step_ms
        self.runner.state.add([sensor("g1", "thanh-pho-cao-bang", "water", self.now, level_cm=cm)])
        return self.runner.tick()

    def close(self):
        self.notifier.stop()
        self.notifier.outbox.close()


def webhook_bodies(receiver: HTTPServer) -> list[dict]:
    return [orjson.loads(request.data) for request, _ in receiver.log]


def test_a_flood_alert_reaches_email_and_webhook_once(tmp_path, smtp_server, ca_file, receiver):
    settings = settings_for(
        tmp_path,
        smtp_server,
        ca_file,
        receiver.url_for("/hook"),
        file={"events": ["raised", "escalated", "cleared"]},
    )
    storage = SqliteStorage(tmp_path / "ioc.sqlite3")
    engine = Engine(settings, storage)
    try:
        engine.level(380)  # below BĐ2
        (bd2,) = engine.level(430)  # BĐ2: warning → webhook only (second route)
        (bd3,) = engine.level(520)  # BĐ3: critical → escalation, both channels
        assert (bd2.rule, bd3.rule) == ("water.bd2", "water.bd3")
        for _ in range(5):
            assert engine.level(530) == []
        engine.notifier.deliver_due()
        engine.notifier.deliver_due()

        (mail,) = smtp_server.received()
        assert smtp_server.logins == [SMTP_USER]  # logged in, over STARTTLS (required)
        assert mail["To"] == "truc.ban@caobang.gov.vn, lanh.dao@caobang.gov.vn"
        assert "NÂNG MỨC" in mail["Subject"] and "Khẩn cấp" in mail["Subject"]
        body = mail.get_content()
        assert "Trạm thủy văn Bằng Giang" in body  # the place
        assert "báo động 3: 520" in body and "Giá trị: 3,2 BĐ" in body  # the level and the value
        assert (
            "https://ioc.caobang.gov.vn/environment?kind=water&field=level_cm&source=g1" in body
        )  # the drill-down

        hooks = webhook_bodies(receiver)
        assert [(h["event"], h["rule"], h["severity"]) for h in hooks] == [
            ("raised", "water.bd2", "warning"),
            ("escalated", "water.bd3", "critical"),
        ]
        assert hooks[1]["alert_id"] == bd3.alert_id
        assert hooks[1]["level_vi"] == "Khẩn cấp"
        assert (
            hooks[1]["link"]
            == "https://ioc.caobang.gov.vn/environment?kind=water&field=level_cm&source=g1"
        )
        assert "báo động 3: 520" in hooks[1]["message_vi"]

        # the water falls: the BĐ3 alert clears, notified once on both (this route wants it)
        cleared = [t for t in engine.level(480) if t.rule == "water.bd3"]
        assert [t.state for t in cleared] == ["cleared"]
        engine.level(470)
        engine.notifier.deliver_due()
        assert len(smtp_server.received()) == 2
        assert "ĐÃ HẾT" in smtp_server.received()[1]["Subject"]
        assert [h["event"] for h in webhook_bodies(receiver)] == ["raised", "escalated", "cleared"]
        attempts = engine.notifier.outbox.attempts()
        assert len(attempts) == 5 and all(a.ok for a in attempts)
    finally:
        engine.close()
        storage.close()


def test_smtp_down_for_30_s_then_delivered(tmp_path, smtp_server, ca_file, receiver):
    settings = settings_for(
        tmp_path, smtp_server, ca_file, receiver.url_for("/hook"), notify_max_backoff_s=4
    )
    storage = SqliteStorage(tmp_path / "ioc.sqlite3")
    engine = Engine(settings, storage)
    smtp_server.stop()
    down_at = time.monotonic()
    engine.notifier.start()
    try:
        engine.level(520)  # straight to BĐ2 and BĐ3 in one evaluation
        outbox = engine.notifier.outbox
        wait_until(
            lambda: len([a for a in outbox.attempts() if a.channel == "truc-ban"]) >= 3,
            timeout=30,
            message="no retries while the SMTP server is down",
        )
        assert not smtp_server.received()
        assert {h["rule"] for h in webhook_bodies(receiver)} == {"water.bd2", "water.bd3"}
        # the outage lasts 30 s in all; the retries go on meanwhile
        wait_until(lambda: time.monotonic() - down_at >= 30, timeout=40, interval=0.5)
        smtp_server.start()
        wait_until(smtp_server.received, timeout=20, message="not delivered after the outage")
        failed = [a for a in outbox.attempts() if a.channel == "truc-ban" and not a.ok]
        assert len(failed) >= 4 and all("SMTP" in a.detail for a in failed)
        (last,) = [a for a in outbox.attempts() if a.channel == "truc-ban" and a.ok]
        assert last.at_ms > failed[-1].at_ms
        wait_until(lambda: all(i.status == "delivered" for i in outbox.items()), timeout=10)
        assert len(smtp_server.received()) == 1  # the critical one, once
        assert len(receiver.log) == 2
    finally:
        engine.close()
        storage.close()


def test_engine_restart_sends_no_duplicate(tmp_path, smtp_server, ca_file, receiver):
    settings = settings_for(tmp_path, smtp_server, ca_file, receiver.url_for("/hook"))
    storage = SqliteStorage(tmp_path / "ioc.sqlite3")
    first = Engine(settings, storage)
    try:
        first.level(520)
        storage.write([sensor("g1", "thanh-pho-cao-bang", "water", first.now, level_cm=520.0)])
        first.notifier.deliver_due()
        assert len(smtp_server.received()) == 1 and len(receiver.log) == 2
    finally:
        first.close()

    # restarted with its alert states (Redis kept them): no transition at all
    kept = Engine(settings, storage, live=first.live, clock_ms=first.now)
    kept.runner.rebuild()
    assert kept.level(525, step_ms=1000) == []
    kept.close()

    # restarted without them (in-process live state lost): the engine raises the same
    # condition again under new ids; the outbox knows the episode is open and sends nothing
    fresh = Engine(settings, storage, clock_ms=first.now)
    try:
        fresh.runner.rebuild()
        again = fresh.level(525, step_ms=1000)
        assert {t.state for t in again} == {"active"} and len(again) == 2
        assert fresh.notifier.submit(again, fresh.runner.alerts) == 0
        fresh.notifier.deliver_due()
        assert len(smtp_server.received()) == 1 and len(receiver.log) == 2
    finally:
        fresh.close()
        storage.close()


def test_quiet_hours_hold_non_critical_notices_until_they_end(
    tmp_path, smtp_server, ca_file, receiver
):
    # NOW is 12:01 local: quiet hours 12:00-13:30 on the webhook channel
    settings = settings_for(
        tmp_path, smtp_server, ca_file, receiver.url_for("/hook"), file={"quiet": "12:00-13:30"}
    )
    storage = SqliteStorage(tmp_path / "ioc.sqlite3")
    engine = Engine(settings, storage)
    try:
        notifier = engine.notifier
        notifier.clock = lambda: engine.now  # local time is the simulated one here
        engine.level(430)  # BĐ2 warning → webhook only, in quiet hours
        assert notifier.deliver_due(NOW + 60_000) == 0
        assert len(receiver.log) == 0
        (deferred,) = notifier.outbox.attempts()
        assert deferred.detail == "deferred: quiet hours"
        assert notifier.outbox.next_due_ms() == ms(8, 13, 30)
        engine.level(520)  # BĐ3 critical: not held
        assert notifier.deliver_due(NOW + 3 * 60_000) == 2
        assert [h["severity"] for h in webhook_bodies(receiver)] == ["critical"]
        assert notifier.deliver_due(ms(8, 13, 30)) == 1
        assert [h["severity"] for h in webhook_bodies(receiver)] == ["critical", "warning"]
    finally:
        engine.close()
        storage.close()


def test_a_refusing_webhook_fails_for_good_a_failing_one_is_retried(
    tmp_path, httpserver, smtp_server, ca_file
):
    httpserver.expect_ordered_request("/hook").respond_with_data("bad", status=503)
    httpserver.expect_ordered_request("/hook").respond_with_data("ok", status=200)
    httpserver.expect_request("/refuse").respond_with_data("no such hook", status=404)
    settings = settings_for(tmp_path, smtp_server, ca_file, httpserver.url_for("/hook"))
    storage = SqliteStorage(tmp_path / "ioc.sqlite3")
    engine = Engine(settings, storage)
    try:
        engine.level(430)
        notifier = engine.notifier
        t0 = notifier.clock()
        notifier.deliver_due(t0)
        notifier.deliver_due(t0 + 1000)  # backoff 1 s
        (item,) = notifier.outbox.items()
        assert (item.status, item.attempts) == ("delivered", 2)
        assert [a.ok for a in notifier.outbox.attempts()] == [False, True]
        assert "503" in notifier.outbox.attempts()[0].detail
    finally:
        engine.close()
    other = tmp_path / "other"
    other.mkdir()
    settings = settings_for(other, smtp_server, ca_file, httpserver.url_for("/refuse"))
    engine = Engine(settings, storage)
    try:
        engine.level(430)
        engine.notifier.deliver_due()
        engine.notifier.deliver_due(engine.notifier.clock() + 3_600_000)
        (item,) = engine.notifier.outbox.items()
        assert (item.status, item.attempts) == ("failed", 1)
    finally:
        engine.close()
        storage.close()


def test_outbox_keeps_one_row_per_channel_and_transition(tmp_path):
    from ioc.notify.message import Notice

    outbox = Outbox(tmp_path / OUTBOX_FILE)
    notice = Notice(
        "raised", "a:1", "water.bd3", "source:g1", "critical", NOW, 3.2, "vi", "en", "l"
    )
    assert outbox.enqueue("water.bd3|source:g1", notice, ["x", "y"], NOW) == ["x", "y"]
    assert outbox.enqueue("water.bd3|source:g1", notice, ["x", "y"], NOW) == []
    outbox.close()
    reopened = Outbox(tmp_path / OUTBOX_FILE)
    assert len(reopened.items()) == 2
    assert reopened.episode("water.bd3|source:g1") == ("a:1", "raised")
    reopened.close()


def test_ioc_notifications_lists_the_outbox(tmp_path, smtp_server, ca_file, receiver, monkeypatch):
    from typer.testing import CliRunner

    from ioc.cli import build

    settings = settings_for(tmp_path, smtp_server, ca_file, receiver.url_for("/hook"))
    storage = SqliteStorage(tmp_path / "ioc.sqlite3")
    engine = Engine(settings, storage)
    try:
        engine.level(520)
        engine.notifier.deliver_due()
    finally:
        engine.close()
        storage.close()
    monkeypatch.setenv("IOC_DATA_DIR", str(tmp_path / "data"))
    done = CliRunner().invoke(build(), ["notifications", "--json"])
    assert done.exit_code == 0, done.output
    rows = orjson.loads(done.output.splitlines()[-1])["notifications"]
    assert sorted((r["channel"], r["status"], r["attempts"]) for r in rows) == [
        ("he-thong-tinh", "delivered", 1),
        ("he-thong-tinh", "delivered", 1),
        ("truc-ban", "delivered", 1),
    ]
    text = CliRunner().invoke(build(), ["notifications"]).output
    assert "[delivered]" in text and "báo động 3" in text
