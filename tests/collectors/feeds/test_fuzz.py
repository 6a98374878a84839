"""Every feed parser under Hypothesis: malformed JSON and bytes, wrong types, NaN, ±Infinity,
1e400, deep nesting, duplicate keys, SenML field combinations, timestamps as floats, strings,
negative or far future, hostile tag text. Each outcome is "stored exactly as sent, or rejected
with a reason" (collectors.fuzz.check_outcome); no other exception."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from collectors.fuzz import HOSTILE, check_outcome, samples
from ioc.feeds.sensor import SENSOR_VALUE_NAMES

RECEIVED_NS = 1_767_225_600 * 10**9  # 2026-01-01T00:00:00Z
NOW_MS = RECEIVED_NS // 10**6
FAST = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
TOPICS = {
    "sensor": "ioc/sensor/hoa-an/air-1",
    "camera": "ioc/camera/quang-hoa/cam-1",
    "servicedesk": "ioc/servicedesk/bao-lac/mot-cua-bao-lac",
    "status": "ioc/status/air-1",
}
hostile_text = st.one_of(
    st.text(max_size=80),
    st.sampled_from(['a"b', "x\ny", "k=v,t=u", "\\", "' OR 1=1", "Đà Lạt", "\x00", " " * 70]),
)
numbers = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
)
timestamps = st.one_of(
    st.integers(min_value=-(2**63), max_value=2**63),
    st.integers(min_value=NOW_MS - 10**9, max_value=NOW_MS + 2 * 86_400_000),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(
        [
            "2026-01-01T07:00:00+07:00",
            "2026-01-01T00:00:00",
            "1767225600000",
            "2026-02-30T00:00:00Z",
            "9999-12-31T23:59:59Z",
            "1999-12-31T23:59:59Z",
            "2026-01-01T00:00:60Z",
            "2026-01-01t00:00:00.123456789123z",
        ]
    ),
    hostile_text,
    st.none(),
    st.booleans(),
)
json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), numbers, hostile_text),
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(hostile_text, inner, max_size=4)
    ),
    max_leaves=20,
)
sensor_objects = st.fixed_dictionaries(
    {
        "kind": st.one_of(st.sampled_from(["air", "water", "weather", "noise"]), json_values),
        "values": st.one_of(
            st.dictionaries(st.sampled_from(sorted(SENSOR_VALUE_NAMES)), numbers, max_size=4),
            json_values,
        ),
    },
    optional={"ts": timestamps, "extra": json_values},
)
senml_records = st.lists(
    st.fixed_dictionaries(
        {},
        optional={
            "bn": st.one_of(st.just("urn:dev:air-1:"), hostile_text),
            "bt": st.one_of(numbers, timestamps),
            "n": st.one_of(st.sampled_from(sorted(SENSOR_VALUE_NAMES)), hostile_text),
            "u": st.one_of(st.sampled_from(["ug/m3", "cm", "Cel", "%RH", "dB"]), hostile_text),
            "v": numbers,
            "vs": hostile_text,
            "vb": st.booleans(),
            "t": st.one_of(numbers, timestamps),
            "bu": hostile_text,
        },
    ),
    max_size=5,
)
camera_objects = st.fixed_dictionaries(
    {"site": st.one_of(st.just("ta-lung-border-gate"), hostile_text)},
    optional={
        "ts": timestamps,
        "interval_s": json_values,
        "vehicles": st.one_of(
            st.dictionaries(st.sampled_from(["car", "motorbike", "truck", "bus"]), numbers),
            json_values,
        ),
        "avg_speed_kmh": numbers,
        "occupancy_pct": numbers,
        "queue_m": numbers,
        "people": numbers,
        "events": json_values,
    },
)
desk_objects = st.fixed_dictionaries(
    {
        "ticket_id": st.one_of(st.just("CB-2020-000123"), hostile_text),
        "event": st.one_of(st.sampled_from(["received", "resolved", "assigned"]), hostile_text),
        "service": hostile_text,
        "channel": st.one_of(st.sampled_from(["online_l4", "counter"]), hostile_text),
    },
    optional={"ts": timestamps, "due": timestamps, "satisfaction": numbers},
)


def as_json(value: object) -> bytes:
    # allow_nan: NaN/Infinity as JS literals, which strict JSON refuses (bad_json)
    return json.dumps(value, allow_nan=True, ensure_ascii=False).encode("utf-8", "surrogatepass")


@FAST
@given(st.sampled_from(sorted(TOPICS)), st.binary(max_size=300))
def test_arbitrary_bytes(feed, payload):
    check_outcome(TOPICS[feed], payload, RECEIVED_NS)


@FAST
@given(st.sampled_from(sorted(TOPICS)), json_values)
def test_arbitrary_json(feed, value):
    check_outcome(TOPICS[feed], as_json(value), RECEIVED_NS)


@FAST
@given(sensor_objects)
def test_sensor_json(obj):
    check_outcome(TOPICS["sensor"], as_json(obj), RECEIVED_NS)


@FAST
@given(senml_records)
def test_sensor_senml(records):
    check_outcome(TOPICS["sensor"], as_json(records), RECEIVED_NS)


@FAST
@given(camera_objects)
def test_camera(obj):
    check_outcome(TOPICS["camera"], as_json(obj), RECEIVED_NS)


@FAST
@given(desk_objects)
def test_servicedesk(obj):
    check_outcome(TOPICS["servicedesk"], as_json(obj), RECEIVED_NS)


@FAST
@given(st.sampled_from(samples()), st.sampled_from(HOSTILE), st.integers(0, 10_000))
def test_golden_samples_with_a_hostile_value_spliced_in(sample, hostile, at):
    topic, payload = sample
    at %= len(payload) + 1
    check_outcome(topic, payload[:at] + hostile + payload[at:], RECEIVED_NS)


def test_duplicate_keys_deep_nesting_and_huge_numbers():
    sensor = TOPICS["sensor"]
    # Duplicate keys: the last one counts (orjson, like most JSON readers); stored as it says.
    assert (
        check_outcome(
            sensor, b'{"kind": "air", "kind": "water", "values": {"level_cm": 1}}', RECEIVED_NS
        )
        == "stored"
    )
    assert (
        check_outcome(sensor, b'{"kind": "air", "values": {"pm25": 1, "pm25": 2}}', RECEIVED_NS)
        == "stored"
    )
    assert check_outcome(sensor, b"[" * 5000 + b"]" * 5000, RECEIVED_NS) == "bad_json"
    assert (
        check_outcome(sensor, b'{"kind": "air", "values": {"pm25": 1e400}}', RECEIVED_NS)
        == "bad_json"
    )
    assert (
        check_outcome(sensor, b'{"kind": "air", "values": {"pm25": NaN}}', RECEIVED_NS)
        == "bad_json"
    )
    ts = b'{"kind": "air", "ts": %d, "values": {"pm25": 1}}' % (NOW_MS + 2 * 86_400_000)
    assert check_outcome(sensor, ts, RECEIVED_NS) == "bad_time"
    assert (
        check_outcome(sensor, b'{"kind": "air", "ts": 1.5, "values": {"pm25": 1}}', RECEIVED_NS)
        == "wrong_type"
    )
