"""Tests for collectors.feeds.sensor: JSON objects, SenML packs, value checks."""

from __future__ import annotations

import pytest

from collectors.feeds.sensor import parse
from collectors.topics import Topic
from ioc.errors import PayloadRejected
from ioc.feeds.sensor import SENSOR_KINDS, SENSOR_UNITS
from ioc.model import Reading

R = 1_593_565_200_000_000_000  # 2020-07-01T01:00:00Z
TOPIC = Topic("sensor", "hoa-an", "aq-1", "ioc/sensor/hoa-an/aq-1")


def tags(kind: str) -> dict[str, str]:
    return {"district": "hoa-an", "source": "aq-1", "kind": kind}


def one(payload: bytes) -> Reading:
    [reading] = parse(TOPIC, payload, R)
    return reading


def rejected(payload: bytes) -> PayloadRejected:
    with pytest.raises(PayloadRejected) as info:
        parse(TOPIC, payload, R)
    return info.value


# --- JSON object form ---------------------------------------------------------------------------


def test_contract_example() -> None:
    payload = (
        b'{"ts": "2020-07-01T08:00:00+07:00", "kind": "air",'
        b' "values": {"pm25": 38.2, "pm10": 61.0}}'
    )
    assert one(payload) == Reading("sensor", R, tags("air"), {"pm25": 38.2, "pm10": 61.0})


def test_integers_become_floats() -> None:
    reading = one(b'{"kind": "water", "values": {"level_cm": 152, "rain_mm": 0}}')
    assert reading.fields == {"level_cm": 152.0, "rain_mm": 0.0}
    assert all(type(v) is float for v in reading.fields.values())


def test_missing_ts_takes_receive_time() -> None:
    assert one(b'{"kind": "noise", "values": {"laeq_db": 55}}').time_ns == R


@pytest.mark.parametrize(("kind", "names"), list(SENSOR_KINDS.items()))
def test_every_kind_accepts_all_its_names(kind: str, names: tuple[str, ...]) -> None:
    values = ", ".join(f'"{n}": 1.5' for n in names)
    reading = one(f'{{"kind": "{kind}", "values": {{{values}}}}}'.encode())
    assert reading.tags["kind"] == kind
    assert set(reading.fields) == set(names)


@pytest.mark.parametrize(
    ("payload", "reason", "fragments"),
    [
        (b'{"values": {"pm25": 1}}', "missing_field", ["'kind'"]),
        (b'{"kind": "air"}', "missing_field", ["'values'"]),
        (b'{"kind": "air", "values": {}}', "missing_field", ["'values'", "empty"]),
        (b'{"kind": 3, "values": {"pm25": 1}}', "wrong_type", ["'kind'", "integer 3"]),
        (b'{"kind": "smoke", "values": {"pm25": 1}}', "bad_value", ["'kind'", '"smoke"']),
        (b'{"kind": "air", "values": [1]}', "wrong_type", ["'values'", "an array"]),
        (b'{"kind": "air", "values": {"temp_c": 20}}', "unknown_name", ["'temp_c'", "air"]),
        (b'{"kind": "air", "values": {"pm1": 20}}', "unknown_name", ["'pm1'"]),
        (b'{"kind": "air", "values": {"pm25": 1}, "id": 1}', "unknown_name", ["'id'"]),
        (b'{"kind": "air", "values": {"pm25": null}}', "wrong_type", ["values.pm25", "null"]),
        (b'{"kind": "air", "values": {"pm25": false}}', "wrong_type", ["values.pm25", "false"]),
        (b'{"kind": "air", "values": {"pm25": "1"}}', "wrong_type", ["values.pm25", '"1"']),
        (b'{"kind": "air", "values": {"pm25": -0.1}}', "bad_value", ["values.pm25", "-0.1"]),
        (b"[1]", "bad_shape", ["SenML record 0", "integer 1"]),
        (b"3.5", "bad_shape", ["number 3.5"]),
        (b"", "bad_json", []),
        (b'{"kind": "air", "values": {"pm25": 1e400}}', "bad_json", []),
        (b'{"kind": "a\xc3"}', "bad_encoding", ["offset 11", "0xc3"]),
    ],
)
def test_object_rejections(payload: bytes, reason: str, fragments: list[str]) -> None:
    exc = rejected(payload)
    assert exc.reason == reason
    for fragment in fragments:
        assert fragment in exc.detail


@pytest.mark.parametrize(
    ("kind", "name", "value", "ok"),
    [
        ("weather", "temp_c", -90, True),
        ("weather", "temp_c", -90.5, False),
        ("weather", "temp_c", 60, True),
        ("weather", "temp_c", 60.1, False),
        ("weather", "humidity_pct", 0, True),
        ("weather", "humidity_pct", 100, True),
        ("weather", "humidity_pct", -1, False),
        ("weather", "humidity_pct", 100.01, False),
        ("weather", "wind_ms", -0.5, False),
        ("water", "level_cm", -1, False),
        ("water", "level_cm", 0, True),
        ("water", "rain_mm", -2, False),
        ("noise", "laeq_db", -3, False),
        ("air", "co", -1e-9, False),
        ("air", "co", 1e300, True),
    ],
)
def test_plausible_ranges(kind: str, name: str, value: float, ok: bool) -> None:
    payload = f'{{"kind": "{kind}", "values": {{"{name}": {value}}}}}'.encode()
    if ok:
        assert one(payload).fields == {name: float(value)}
    else:
        assert rejected(payload).reason == "bad_value"


# --- SenML --------------------------------------------------------------------------------------


def test_senml_base_name_is_stripped_and_units_checked() -> None:
    payload = (
        b'[{"bn": "urn:dev:mac:0024befffe804ff1:", "bu": "ug/m3", "n": "pm25", "v": 38.2},'
        b' {"n": "no2", "v": 20}]'
    )
    assert one(payload) == Reading("sensor", R, tags("air"), {"pm25": 38.2, "no2": 20.0})


@pytest.mark.parametrize("name", sorted(SENSOR_UNITS))
def test_senml_every_name_with_its_unit(name: str) -> None:
    payload = f'[{{"n": "{name}", "u": "{SENSOR_UNITS[name]}", "v": 1}}]'.encode()
    assert one(payload).fields == {name: 1.0}


def test_senml_record_unit_overrides_base_unit() -> None:
    payload = b'[{"bu": "Cel", "n": "temp_c", "v": 20}, {"n": "humidity_pct", "u": "%RH", "v": 70}]'
    assert one(payload).fields == {"temp_c": 20.0, "humidity_pct": 70.0}
    bad = b'[{"bu": "Cel", "n": "temp_c", "v": 20}, {"n": "humidity_pct", "v": 70}]'
    exc = rejected(bad)
    assert exc.reason == "bad_value"
    assert "'humidity_pct'" in exc.detail and "'Cel'" in exc.detail and "'%RH'" in exc.detail


def test_senml_times_absolute_and_relative() -> None:
    payload = (
        b'[{"bt": 1593565140, "n": "level_cm", "v": 150},'
        b' {"n": "level_cm", "t": 60, "v": 151},'
        b' {"bt": -30, "n": "level_cm", "v": 149}]'
    )
    readings = parse(TOPIC, payload, R)
    assert [(r.time_ns, r.fields["level_cm"]) for r in readings] == [
        (1_593_565_140_000_000_000, 150.0),
        (R - 30_000_000_000, 149.0),
        (R, 151.0),
    ]
    assert {r.tags["kind"] for r in readings} == {"water"}


def test_senml_time_2_28_is_absolute_hence_too_old() -> None:
    # 2**28 s after the epoch is 1978: absolute, and before 2000.
    exc = rejected(b'[{"bt": 268435456, "n": "pm25", "v": 1}]')
    assert exc.reason == "bad_time"
    assert "1978" in exc.detail


def test_senml_time_below_2_28_is_relative() -> None:
    # 2**28 - 1 seconds (8.5 years) after the receive time: relative, hence too far ahead.
    exc = rejected(b'[{"bt": 268435455, "n": "pm25", "v": 1}]')
    assert exc.reason == "bad_time"
    assert "more than one day after" in exc.detail
    assert "2029-01-01" in exc.detail


def test_senml_float_times_keep_microseconds() -> None:
    payload = (
        b'[{"bt": 1593565140.123456, "n": "pm25", "v": 1},'
        b' {"n": "pm10", "t": -0.000001, "bt": 0, "v": 2}]'
    )
    readings = parse(TOPIC, payload, R)
    assert [r.time_ns for r in readings] == [1_593_565_140_123_456_000, R - 1_000]


@pytest.mark.parametrize(
    ("names", "kind"),
    [
        (["pm25", "pm10"], "air"),
        (["rain_mm"], "water"),
        (["level_cm", "rain_mm"], "water"),
        (["temp_c", "rain_mm"], "weather"),
        (["wind_ms"], "weather"),
        (["laeq_db"], "noise"),
    ],
)
def test_senml_kind_is_inferred(names: list[str], kind: str) -> None:
    records = ", ".join(f'{{"n": "{n}", "v": 1}}' for n in names)
    assert one(f"[{records}]".encode()).tags["kind"] == kind


def test_senml_group_fitting_no_kind_is_unknown_name() -> None:
    exc = rejected(b'[{"n": "laeq_db", "v": 50}, {"n": "pm25", "v": 3}]')
    assert exc.reason == "unknown_name"
    assert "laeq_db, pm25" in exc.detail


def test_senml_groups_by_time_each_with_its_own_kind() -> None:
    payload = b'[{"bt": 1593565200, "n": "laeq_db", "v": 50}, {"n": "pm25", "t": -1, "v": 3}]'
    readings = parse(TOPIC, payload, R)
    assert [(r.time_ns, r.tags["kind"]) for r in readings] == [
        (R - 1_000_000_000, "air"),
        (R, "noise"),
    ]


def test_senml_bver_is_ignored_and_bn_can_change() -> None:
    payload = b'[{"bver": 10, "bn": "a:", "n": "pm25", "v": 1}, {"bn": "b:", "n": "pm10", "v": 2}]'
    assert one(payload).fields == {"pm25": 1.0, "pm10": 2.0}


@pytest.mark.parametrize(
    ("payload", "reason", "fragments"),
    [
        (b"[]", "missing_field", ["empty"]),
        (b'[{"bn": "aq-1:pm25", "v": 1}]', "missing_field", ["no 'n'", "'aq-1:pm25'"]),
        (b'[{"n": "pm25"}]', "missing_field", ["no value"]),
        (b'[{"n": "pm25", "vb": true}]', "wrong_type", ["'vb'"]),
        (b'[{"n": "pm25", "vd": "AQ=="}]', "wrong_type", ["'vd'"]),
        (b'[{"n": "pm25", "v": true}]', "wrong_type", ["[0].v", "true"]),
        (b'[{"n": 25, "v": 1}]', "wrong_type", ["[0].n"]),
        (b'[{"bn": 1, "n": "pm25", "v": 1}]', "wrong_type", ["[0].bn"]),
        (b'[{"bt": "now", "n": "pm25", "v": 1}]', "wrong_type", ["[0].bt", '"now"']),
        (b'[{"n": "pm25", "v": 1, "t": false}]', "wrong_type", ["[0].t"]),
        (b'[{"n": "pm25", "v": 1, "u": 3}]', "wrong_type", ["[0].u"]),
        (b'[{"n": "pm25", "v": 1, "s": 4}]', "unknown_name", ["'s'"]),
        (b'[{"n": "pm25", "v": 1, "x_": 4}]', "unknown_name", ["'x_'"]),
        (b'[{"bn": "aq-1:", "n": "aq-1:pm25", "v": 1}]', "unknown_name", ["'aq-1:aq-1:pm25'"]),
        (b'[{"n": "PM25", "v": 1}]', "unknown_name", ["'PM25'"]),
        (b'[{"n": "pm25", "u": "ug/m\xc2\xb3", "v": 1}]', "bad_value", ["'ug/m\u00b3'"]),
        (b'[{"n": "pm25", "v": -4}]', "bad_value", ["pm25", "[0].v", "-4.0"]),
        (
            b'[{"n": "pm25", "v": 1}, {"n": "pm25", "v": 2}]',
            "bad_value",
            ["SenML record 1", "repeats"],
        ),
        (b'[{"n": "pm25", "v": 1}, "pm10"]', "bad_shape", ["SenML record 1"]),
        (b'[{"bt": 1593651600.001, "n": "pm25", "v": 1}]', "bad_time", ["[0] time"]),
        (b'[{"bt": 946684799, "n": "pm25", "v": 1}]', "bad_time", ["before 2000"]),
    ],
)
def test_senml_rejections(payload: bytes, reason: str, fragments: list[str]) -> None:
    exc = rejected(payload)
    assert exc.reason == reason, exc.detail
    for fragment in fragments:
        assert fragment in exc.detail


def test_senml_time_exactly_one_day_ahead_is_accepted() -> None:
    assert one(b'[{"bt": 1593651600, "n": "pm25", "v": 1}]').time_ns == R + 86_400_000_000_000


@pytest.mark.parametrize(
    "payload",
    [
        b'[{"bt": 1e308, "n": "pm25", "v": 1}]',
        b'[{"bt": 1e308, "t": 1e308, "n": "pm25", "v": 1}]',
        b'[{"bt": -1e308, "n": "pm25", "v": 1}]',
        b'[{"t": 1e12, "n": "pm25", "v": 1}]',
    ],
)
def test_senml_absurd_times_are_bad_time(payload: bytes) -> None:
    assert rejected(payload).reason == "bad_time"
