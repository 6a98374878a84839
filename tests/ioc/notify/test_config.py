"""Channels and routes from the alert-rules file; quiet hours; the notice's text."""

import pytest

from ioc.errors import ConfigError
from ioc.notify import notifier_from_settings
from ioc.notify.config import QuietHours, config_from_document
from ioc.notify.message import Notice, drilldown_link
from ioc.settings import load_settings

DOC = {
    "channel": [
        {"id": "mail", "kind": "email", "to": ["a@b.vn"], "quiet_hours": "22:00-06:00"},
        {"id": "hook", "kind": "webhook", "url": "http://127.0.0.1:9/x"},
    ],
    "route": [
        {"channels": ["mail", "hook"], "severities": ["critical"]},
        {"channels": ["hook"], "scopes": ["district:*"], "events": ["raised", "cleared"]},
    ],
}


def test_routes_pick_channels_by_severity_scope_rule_and_event():
    config = config_from_document(DOC)
    ids = lambda *a: [c.id for c in config.channels_for(*a)]  # noqa: E731
    assert ids("water.bd3", "source:g1", "critical", "raised") == ["mail", "hook"]
    assert ids("water.bd2", "source:g1", "warning", "raised") == []
    assert ids("servicedesk.overdue_many", "district:hoa-an", "warning", "cleared") == ["hook"]
    assert ids("water.bd3", "source:g1", "critical", "cleared") == []  # not asked for
    assert config.channels["mail"].quiet_hours == QuietHours(22 * 60, 6 * 60)


def test_quiet_hours_wrap_past_midnight():
    quiet = QuietHours.parse("22:00-06:00")
    assert quiet.contains(23 * 60) and quiet.contains(0) and quiet.contains(5 * 60 + 59)
    assert not quiet.contains(6 * 60) and not quiet.contains(12 * 60)
    assert quiet.minutes_left(23 * 60) == 7 * 60
    day = QuietHours.parse("12:00-13:30")
    assert day.contains(12 * 60) and not day.contains(13 * 60 + 30)


@pytest.mark.parametrize(
    ("document", "words"),
    [
        ({"channel": [{"id": "m", "kind": "email", "to": []}]}, "to"),
        ({"channel": [{"id": "m", "kind": "sms"}]}, "kind"),
        ({"channel": [{"id": "h", "kind": "webhook", "url": "ftp://x"}]}, "url"),
        (
            {"channel": [{"id": "m", "kind": "email", "to": ["a@b"], "quiet_hours": "25:00-1"}]},
            "quiet",
        ),
        ({"route": [{"channels": ["nope"]}]}, "unknown channels"),
        ({**DOC, "route": [{"channels": ["hook"], "severities": ["loud"]}]}, "severities"),
        ({**DOC, "route": [{"channels": ["hook"], "events": ["acknowledged"]}]}, "events"),
        ({**DOC, "route": [{"channels": ["hook"], "typo": 1}]}, "unknown keys"),
    ],
)
def test_a_bad_table_is_refused_naming_it(document, words):
    with pytest.raises(ValueError, match=words):
        config_from_document(document)


def test_bad_settings_stop_start_up_naming_the_key(tmp_path):
    path = tmp_path / "alerts.toml"
    path.write_text(
        '[[channel]]\nid = "m"\nkind = "email"\nto = ["a@b.vn"]\n[[route]]\nchannels = ["m"]\n',
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match="IOC_SMTP_HOST"):
        notifier_from_settings(load_settings(alert_rules_file=str(path)), {})
    with pytest.raises(ConfigError, match="IOC_SMTP_PASSWORD"):
        settings = load_settings(
            alert_rules_file=str(path), smtp_host="127.0.0.1", smtp_password="mật khẩu"
        )
        notifier_from_settings(settings, {})
    path.write_text("[[route]]\nchannels = []\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="IOC_ALERT_RULES_FILE"):
        notifier_from_settings(load_settings(alert_rules_file=str(path)), {})
    assert notifier_from_settings(load_settings(), {}) is None  # no file: no notifications


def test_the_notice_names_place_value_level_and_links_the_drill_down():
    link = drilldown_link("https://ioc.vn/", "servicedesk.overdue", "district:hoa-an")
    assert link == "https://ioc.vn/services?district=hoa-an"
    assert drilldown_link("https://ioc.vn", "feeds.completeness", "feed:sensor") == (
        "https://ioc.vn/devices?field=readings&feed=sensor"
    )
    assert drilldown_link("https://ioc.vn", "no.such.kpi", "province") == "https://ioc.vn/"
    notice = Notice(
        "raised",
        "id",
        "servicedesk.overdue_many",
        "district:hoa-an",
        "warning",
        1593565200000,
        1234.5,
        "12 hồ sơ quá hạn (Hòa An)",
        "12 overdue",
        link,
        "tickets",
    )
    assert notice.subject == "[IOC Cao Bằng] CẢNH BÁO MỚI · Cảnh báo: 12 hồ sơ quá hạn (Hòa An)"
    assert "Giá trị: 1.234,5 tickets · Lúc 08:00 01/07/2020" in notice.text
    assert notice.to_json()["at"] == "2020-07-01T08:00:00+07:00"
    assert Notice.from_dict(notice.to_dict()) == notice


def test_the_shipped_example_file_loads_and_keeps_the_built_in_rules():
    from pathlib import Path

    from ioc.alerts.rules import RULES, load_rules
    from ioc.notify.config import load_notify_config

    example = Path(__file__).resolve().parents[3] / "deploy" / "alerts.example.toml"
    config = load_notify_config(example)
    assert set(config.channels) == {"truc-ban", "lanh-dao", "he-thong-tinh"}
    flood = [c.id for c in config.channels_for("water.bd3", "source:g", "critical", "raised")]
    assert flood == ["truc-ban", "he-thong-tinh", "lanh-dao"]
    assert load_rules(example) == RULES
