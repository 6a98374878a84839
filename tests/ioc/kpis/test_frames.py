"""Storage frames back to readings: tags, fields, gaps and time units."""

import pandas as pd
import pytest

from ioc.kpis.frames import readings_from_frame
from tests.ioc.kpis.data import frame, ms, sensor, status


def test_round_trip_of_readings_through_a_storage_like_frame():
    readings = [
        sensor("a1", "hoa-an", "air", ms(8, 9), pm25=10),
        sensor("a1", "hoa-an", "air", ms(8, 10), pm10=20),
    ]
    back = readings_from_frame(frame(readings), "sensor")
    assert sorted(back, key=lambda r: r.time_ns) == readings


def test_empty_tags_and_fields_are_left_out():
    back = readings_from_frame(frame([status("s1", ms(8, 9), online=False)]), "status")
    assert back[0].tags == {"district": "", "source": "s1"}
    assert back[0].fields == {"online": 0}


def test_time_column_of_any_unit_and_empty_frames():
    df = pd.DataFrame({"time": [ms(8, 9)], "source": ["a1"], "district": ["x"], "pm25": [1.0]})
    df["time"] = pd.to_datetime(df["time"], unit="ms", utc=True)  # datetime64[us, UTC]
    assert readings_from_frame(df, "sensor")[0].time_ms == ms(8, 9)
    assert readings_from_frame(frame([]), "sensor") == []
    with pytest.raises(ValueError, match="unknown measurement"):
        readings_from_frame(df, "weather")
