import pytest

from ioc.model import Reading
from ioc.storage.lineprotocol import to_line, to_lines


def test_tags_sorted_fields_typed():
    reading = Reading(
        "camera",
        1_593_565_200_000_000_000,
        {"source": "cam-1", "district": "hoa-an", "site": "ta-lung-border-gate"},
        {"queue_m": 180.0, "people": 35, "events": 'congestion:warning,"x"', "ok": True},
    )
    assert to_line(reading) == (
        "camera,district=hoa-an,site=ta-lung-border-gate,source=cam-1 "
        'queue_m=180.0,people=35i,events="congestion:warning,\\"x\\"",ok=true '
        "1593565200000000000"
    )


def test_escapes_keys_and_drops_empty_tags():
    reading = Reading("status", 5, {"source": "a b,c=d", "district": ""}, {"online": 1})
    assert to_line(reading) == "status,source=a\\ b\\,c\\=d online=1i 5"


def test_floats_stay_floats():
    reading = Reading("sensor", 1, {"source": "s"}, {"pm25": 38.0, "tiny": 1e-7})
    assert to_line(reading) == "sensor,source=s pm25=38.0,tiny=1e-07 1"


def test_rejects_non_finite_and_empty_fields():
    with pytest.raises(ValueError, match="non-finite"):
        to_line(Reading("sensor", 1, {"source": "s"}, {"pm25": float("nan")}))
    with pytest.raises(ValueError, match="at least one field"):
        to_line(Reading("sensor", 1, {"source": "s"}, {}))


def test_to_lines_joins_with_newlines():
    readings = [Reading("sensor", t, {"source": "s"}, {"v": 1.5}) for t in (1, 2)]
    assert to_lines(readings) == b"sensor,source=s v=1.5 1\nsensor,source=s v=1.5 2"


def test_declared_field_types_are_enforced_before_writing():
    from ioc.errors import StorageRejected

    with pytest.raises(StorageRejected, match="declared float"):
        to_line(Reading("sensor", 1, {"source": "s"}, {"pm25": 3}))
    with pytest.raises(StorageRejected, match="declared int"):
        to_line(Reading("camera", 1, {"source": "c"}, {"people": 3.0}))
    with pytest.raises(StorageRejected, match="declared int"):
        to_line(Reading("status", 1, {"source": "c"}, {"online": True}))
    assert to_line(Reading("camera", 1, {"source": "c"}, {"people": 3})).endswith("people=3i 1")
