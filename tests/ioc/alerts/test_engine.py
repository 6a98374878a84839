"""The alert lifecycle: min duration, hysteresis, acknowledgement, clearing, re-raising, audit."""

import json

import pytest

from ioc.alerts.engine import (
    ack,
    evaluate,
    prune_cleared,
    states_from_dict,
    states_to_dict,
)
from ioc.alerts.rules import RULES
from ioc.kpis.registry import KPIS
from ioc.kpis.spec import make_value
from ioc.model import NS_PER_MS

T0 = 1_593_565_200_000  # 2020-07-01T08:00:00+07:00
S = 1000
SITE = "site:ta-lung-border-gate"
KEY = "border.queue_long|" + SITE
QUEUE = [RULES["border.queue_long"]]  # raise at >= 500 m held 600 s, clear below 400 m


def queue(metres, at):
    return make_value(KPIS["border.queue_m"], SITE, "now", metres, at)


def run(rules, steps, states=None):
    """Evaluate (value, at) steps in turn; returns the final states and all transitions."""
    states = dict(states or {})
    transitions = []
    for value, at in steps:
        result = evaluate(rules, states, [] if value is None else [value], at)
        states, transitions = result.states, transitions + result.transitions
    return states, transitions


def test_pending_until_the_minimum_duration_then_active():
    states, transitions = run(
        QUEUE, [(queue(520, T0), T0), (queue(530, T0 + 300 * S), T0 + 300 * S)]
    )
    assert states[KEY].state == "pending" and states[KEY].since_ms == T0 and transitions == []
    states, transitions = run(QUEUE, [(queue(505, T0 + 600 * S), T0 + 600 * S)], states)
    assert states[KEY].state == "active"
    assert states[KEY].alert_id == f"border.queue_long:{SITE}:{T0 + 600 * S}"
    (raised,) = transitions
    assert (raised.state, raised.value, raised.at_ms) == ("active", 505.0, T0 + 600 * S)
    assert raised.message_vi == "Hàng chờ tại cửa khẩu Tà Lùng dài 505 m"


def test_pending_is_dropped_when_the_condition_goes_away():
    # 480 m is above the clear level but below the raise level: a pending alert is dropped
    states, transitions = run(
        QUEUE, [(queue(520, T0), T0), (queue(480, T0 + 400 * S), T0 + 400 * S)]
    )
    assert states == {} and transitions == []
    # and the duration counts again from the next time the condition holds
    states, _ = run(QUEUE, [(queue(510, T0 + 500 * S), T0 + 500 * S)], states)
    assert states[KEY].since_ms == T0 + 500 * S


def test_full_lifecycle_with_hysteresis_ack_clear_and_re_raise():
    t = T0
    states, _ = run(QUEUE, [(queue(520, t), t), (queue(505, t + 600 * S), t + 600 * S)])
    first_id = states[KEY].alert_id
    # 450 m: inside the hysteresis band (400 <= v < 500): stays active
    states, more = run(QUEUE, [(queue(450, t + 700 * S), t + 700 * S)], states)
    assert states[KEY].state == "active" and more == []
    # acknowledged by an operator
    states, acked = ack(states, first_id, "Nguyễn Văn A", "đã báo trạm biên phòng", t + 800 * S)
    assert (states[KEY].state, states[KEY].acked_by, states[KEY].acked_ms) == (
        "acknowledged",
        "Nguyễn Văn A",
        t + 800 * S,
    )
    assert (acked.state, acked.by, acked.comment) == (
        "acknowledged",
        "Nguyễn Văn A",
        "đã báo trạm biên phòng",
    )
    with pytest.raises(ValueError, match="only an active one"):
        ack(states, first_id, "B", "", t + 801 * S)
    # 400 m is not yet below the clear level; 399 m is: an acknowledged alert still clears
    states, more = run(QUEUE, [(queue(400, t + 850 * S), t + 850 * S)], states)
    assert states[KEY].state == "acknowledged" and more == []
    states, more = run(QUEUE, [(queue(399, t + 900 * S), t + 900 * S)], states)
    assert (states[KEY].state, states[KEY].cleared_ms) == ("cleared", t + 900 * S)
    assert [(m.state, m.alert_id, m.value) for m in more] == [("cleared", first_id, 399.0)]
    # the condition comes back: a new alert, with a new id, after its own minimum duration
    states, more = run(
        QUEUE,
        [(queue(600, t + 1000 * S), t + 1000 * S), (queue(600, t + 1600 * S), t + 1600 * S)],
        states,
    )
    assert states[KEY].state == "active" and states[KEY].alert_id != first_id
    assert states[KEY].alert_id.endswith(str(t + 1600 * S))
    assert [m.state for m in more] == ["active"]


def test_no_value_keeps_the_state():
    states, _ = run(QUEUE, [(queue(520, T0), T0), (queue(520, T0 + 600 * S), T0 + 600 * S)])
    same, transitions = run(QUEUE, [(None, T0 + 700 * S)], states)
    assert same == states and transitions == []
    same, _ = run(QUEUE, [(queue(None, T0 + 800 * S), T0 + 800 * S)], states)
    assert same == states


def test_zero_duration_rule_with_a_match_filter():
    rules = [RULES["device.offline"]]
    spec = KPIS["devices.online"]
    camera = make_value(spec, "source:cam1", "now", 0.0, T0, feed="camera", district="quang-hoa")
    desk = make_value(spec, "source:desk1", "now", 0.0, T0, feed="servicedesk", district="x")
    result = evaluate(rules, {}, [camera, desk], T0)
    assert list(result.states) == ["device.offline|source:cam1"]  # desks are not watched
    (raised,) = result.transitions
    assert raised.state == "active" and raised.message_en == "Device cam1 is offline"
    back = make_value(spec, "source:cam1", "now", 1.0, T0 + S, feed="camera")
    result = evaluate(rules, result.states, [back], T0 + S)
    assert [t.state for t in result.transitions] == ["cleared"]


def test_below_rule_hysteresis():
    rules = [RULES["feeds.completeness_low"]]  # raise below 80 % held 300 s, clear at >= 90 %

    def completeness(pct, at):
        return make_value(KPIS["feeds.completeness"], "feed:sensor", "1h", pct, at)

    steps = [(70, 0), (75, 300), (85, 400), (89.9, 500), (90, 600)]
    _, transitions = run(rules, [(completeness(v, T0 + s * S), T0 + s * S) for v, s in steps])
    assert [(t.state, t.at_ms) for t in transitions] == [
        ("active", T0 + 300 * S),
        ("cleared", T0 + 600 * S),
    ]
    assert transitions[0].message_vi == "Dữ liệu sensor chỉ đầy đủ 75 %"


def test_messages_name_the_place():
    rules = [RULES["servicedesk.overdue_many"], RULES["water.bd3"]]
    overdue = make_value(KPIS["servicedesk.overdue"], "district:hoa-an", "now", 12, T0)
    water = make_value(KPIS["water.level_vs_alarm"], "source:g1", "now", 3.2, T0, level_cm=520.0)
    result = evaluate(rules, {}, [overdue, water], T0)
    assert [t.message_vi for t in result.transitions] == ["12 hồ sơ quá hạn (Hòa An)"]
    assert [s.state for s in result.states.values()] == ["active", "pending"]
    result = evaluate(rules, result.states, [overdue, water], T0 + 120 * S)
    assert [t.message_en for t in result.transitions] == [
        "Water at g1 above alarm level 3: 520.0 cm"
    ]


def test_ack_needs_a_known_active_alert_and_a_name():
    with pytest.raises(ValueError, match="no alert"):
        ack({}, "nope", "A", "", T0)
    with pytest.raises(ValueError, match="who"):
        ack({}, "nope", " ", "", T0)


def test_transition_reading_for_the_audit_trail():
    offline = make_value(KPIS["devices.online"], "source:g1", "now", 0.0, T0, feed="sensor")
    (raised,) = evaluate([RULES["device.offline"]], {}, [offline], T0).transitions
    reading = raised.to_reading()
    assert reading.measurement == "alert" and reading.time_ns == T0 * NS_PER_MS
    assert reading.tags == {
        "district": "",
        "source": "g1",
        "rule": "device.offline",
        "severity": "warning",
        "scope": "source:g1",
        "state": "active",
    }
    assert reading.fields == {
        "alert_id": f"device.offline:source:g1:{T0}",
        "value": 0.0,
        "by": "",
        "comment": "",
    }


def test_states_round_trip_and_prune_cleared():
    states, _ = run(
        QUEUE,
        [(queue(520, T0), T0), (queue(520, T0 + 600 * S), T0 + 600 * S)],
    )
    states, _ = run(QUEUE, [(queue(100, T0 + 700 * S), T0 + 700 * S)], states)
    assert states_from_dict(json.loads(json.dumps(states_to_dict(states)))) == states
    assert prune_cleared(states, T0 + 700 * S) == states  # cleared at, not before
    assert prune_cleared(states, T0 + 701 * S) == {}
