"""Alert rules are data: the defaults cover the issue's list, bad rules are refused at load."""

import pytest

from ioc.alerts.rules import DEFAULT_RULES, RULES, load_rules, rule_from_dict, rules_by_id

BASE = dict(DEFAULT_RULES[4])  # border.queue_long


def test_defaults_cover_the_issue():
    by_kpi = {(r.kpi, r.comparison) for r in RULES.values()}
    assert ("air.vn_aqi", "above") in by_kpi  # VN_AQI above a band
    assert RULES["water.bd2"].raise_at == 2.0 and RULES["water.bd3"].raise_at == 3.0
    assert ("border.queue_m", "above") in by_kpi
    assert RULES["device.offline"].match == {"feed": ("sensor", "camera")}
    assert ("servicedesk.overdue", "above") in by_kpi
    assert ("feeds.completeness", "below") in by_kpi
    assert all(r.message_vi and r.message_en and r.description for r in RULES.values())


def test_above_and_below_with_hysteresis():
    queue = RULES["border.queue_long"]  # raise at >= 500, clear below 400
    assert (queue.raises(500), queue.raises(499.9), queue.clears(400), queue.clears(399.9)) == (
        True,
        False,
        False,
        True,
    )
    low = RULES["feeds.completeness_low"]  # raise below 80, clear at >= 90
    assert (low.raises(79.9), low.raises(80), low.clears(89.9), low.clears(90)) == (
        True,
        False,
        False,
        True,
    )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"kpi": "nope"}, "unknown KPI"),
        ({"window": "today"}, "no window"),
        ({"clear_at": 600}, "clear_at <= raise_at"),
        ({"comparison": "below"}, "clear_at >= raise_at"),
        ({"severity": "fatal"}, "severity"),
        ({"min_duration_s": -1}, "min_duration_s"),
        ({"scopes": []}, "scope pattern"),
        ({"colour": "red"}, "unknown keys"),
        ({"message_en": "queue {0}"}, "placeholder"),
    ],
)
def test_bad_rules_are_refused(change, message):
    with pytest.raises(ValueError, match=message):
        rule_from_dict(BASE | change)


def test_duplicate_ids_are_refused():
    with pytest.raises(ValueError, match="duplicate"):
        rules_by_id([rule_from_dict(BASE), rule_from_dict(BASE)])


def test_load_rules_from_toml(tmp_path):
    path = tmp_path / "rules.toml"
    path.write_text(
        """
[[rule]]
id = "border.queue_long"
kpi = "border.queue_m"
window = "now"
scopes = ["site:ta-lung-border-gate"]
comparison = "above"
raise_at = 500.0
clear_at = 400.0
min_duration_s = 600
severity = "warning"
description = "The queue at Tà Lùng border gate longer than 500 m for 10 minutes."
message_vi = "Hàng chờ tại cửa khẩu Tà Lùng dài {value} m"
message_en = "Queue at Tà Lùng border gate is {value} m long"
""",
        encoding="utf-8",
    )
    assert load_rules(path) == {"border.queue_long": RULES["border.queue_long"]}


def test_a_file_of_notification_routes_only_keeps_the_built_in_rules(tmp_path):
    path = tmp_path / "alerts.toml"
    path.write_text('[[channel]]\nid = "x"\nkind = "webhook"\nurl = "http://127.0.0.1:9/"\n')
    assert load_rules(path) == RULES
    path.write_text("rule = []\n")  # an explicit empty list: no rules at all
    assert load_rules(path) == {}
