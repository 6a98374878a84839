"""Portal KPIs on hand-built checks (made by the feed's own parser), arithmetic in the test."""

from __future__ import annotations

import orjson
import pytest

from collectors.feeds import portal as parser
from collectors.topics import parse_topic
from ioc.alerts.engine import evaluate
from ioc.alerts.rules import RULES
from ioc.kpis.portal import p95
from ioc.kpis.state import KpiState
from ioc.model import NS_PER_MS
from tests.ioc.kpis.data import ms

MINUTE = 60_000
NOW = ms(8, 12)


def check(site, district, at_ms, up, response_ms=None, days=None):
    body = {"ts": at_ms, "up": up}
    if up:
        body |= {"status": 200, "response_ms": response_ms or 100.0, "tls_days_left": days or 60}
    else:
        body["error"] = "timeout"
    topic = parse_topic(f"ioc/portal/{district}/{site}")
    return parser.parse(topic, orjson.dumps(body), at_ms * NS_PER_MS)[0]


def run(readings, now=NOW):
    state = KpiState()
    state.add(readings)
    return {(v.id, v.scope, v.window): v for v in state.kpis(now)}


# site a: 8 checks every 5 min, the last two failed; site b: 4 up checks, certificate 10 days
A = [
    check("a", "hoa-an", NOW - (7 - i) * 5 * MINUTE, up=i < 6, response_ms=100.0 * (i + 1))
    for i in range(8)
]
B = [check("b", "bao-lac", NOW - (3 - i) * 5 * MINUTE, up=True, days=10) for i in range(4)]


def test_availability_is_the_share_of_checks_up():
    v = run(A + B)
    assert v["portal.availability", "source:a", "24h"].value == 75.0  # 6 of 8
    assert v["portal.availability", "province", "24h"].value == 100 * 10 / 12
    assert v["portal.availability", "province", "30d"].value == 100 * 10 / 12


def test_two_consecutive_failures_make_a_portal_down():
    v = run(A + B)
    assert v["portal.down", "source:a", "now"].value == 2
    assert v["portal.down", "province", "now"].value == 1
    assert v["portal.down", "source:b", "now"].value == 0
    one_failure = run(A[:-1] + B)
    assert one_failure["portal.down", "province", "now"].value == 0  # a blip is not down
    recovered = run([*A, check("a", "hoa-an", NOW + 1000, up=True)], now=NOW + 1000)
    assert recovered["portal.down", "source:a", "now"].value == 0


def test_response_time_p95_nearest_rank():
    v = run(A)
    # the up checks of a: 100, 200, … 600 ms; nearest rank of 95 % of 6 is the 6th
    assert v["portal.response_p95_ms", "source:a", "24h"].value == 600.0
    assert p95([float(x) for x in range(1, 101)]) == 95.0
    assert p95([]) is None


def test_certificates_expiring_within_14_days():
    v = run(A + B)
    assert v["portal.tls_expiring", "source:b", "now"].value == 1
    assert v["portal.tls_expiring", "source:b", "now"].extra["days_left"] == 10
    assert v["portal.tls_expiring", "source:a", "now"].value == 0
    assert v["portal.tls_expiring", "province", "now"].value == 1


def test_out_of_order_delivery_gives_the_same_values():
    assert run(list(reversed(A + B))) == run(A + B)


def test_portal_alerts_raise_on_two_failures_and_clear_on_an_up_check():
    rules = [RULES["portal.down"], RULES["portal.tls_expiring"]]
    down = evaluate(rules, {}, list(run(A + B).values()), NOW)
    active = {(s.rule, s.scope) for s in down.states.values() if s.state == "active"}
    assert active == {("portal.down", "source:a"), ("portal.tls_expiring", "source:b")}
    later = run([*A, *B, check("a", "hoa-an", NOW + MINUTE, up=True)], now=NOW + MINUTE)
    up = evaluate(rules, down.states, list(later.values()), NOW + MINUTE)
    assert up.states["portal.down|source:a"].state == "cleared"


@pytest.mark.parametrize("bad", [b'{"up": "yes"}', b'{"up": true, "status": 200.0}'])
def test_the_parser_refuses_what_would_change_a_fields_type(bad):
    from ioc.errors import PayloadRejected

    with pytest.raises(PayloadRejected):
        parser.parse(parse_topic("ioc/portal/hoa-an/a"), bad, NOW * NS_PER_MS)
