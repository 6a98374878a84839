"""The sensor feed's schema: air quality, water level and rain, weather, noise.

Topic `ioc/sensor/<district>/<source_id>`; measurement `sensor`; tags `district`, `source`,
`kind`; fields the value names of the wire contract, always floats. The parser is
`collectors/feeds/sensor.py`, the generator `simulators/feeds/sensor.py`.
"""

from __future__ import annotations

from ioc.feeds.schema import FeedSpec, FieldSpec, Schema

# Sensor kinds and their value names (µg/m³ for air, as in the wire contract).
SENSOR_KINDS: dict[str, tuple[str, ...]] = {
    "air": ("pm25", "pm10", "no2", "so2", "co", "o3"),
    "water": ("level_cm", "rain_mm"),
    "weather": ("temp_c", "humidity_pct", "rain_mm", "wind_ms"),
    "noise": ("laeq_db",),
}
# SenML units (RFC 8428 / RFC 8798 names where one exists) accepted for each value name.
SENSOR_UNITS: dict[str, str] = {
    "pm25": "ug/m3",
    "pm10": "ug/m3",
    "no2": "ug/m3",
    "so2": "ug/m3",
    "co": "ug/m3",
    "o3": "ug/m3",
    "level_cm": "cm",
    "rain_mm": "mm",
    "temp_c": "Cel",
    "humidity_pct": "%RH",
    "wind_ms": "m/s",
    "laeq_db": "dB",
}
SENSOR_VALUE_NAMES: frozenset[str] = frozenset(n for ns in SENSOR_KINDS.values() for n in ns)
_UG = "µg/m³"
_AIR_LABELS = {
    "pm25": ("Bụi PM2.5", "PM2.5"),
    "pm10": ("Bụi PM10", "PM10"),
    "no2": ("NO₂", "NO₂"),
    "so2": ("SO₂", "SO₂"),
    "co": ("CO", "CO"),
    "o3": ("O₃", "O₃"),
}

SPEC = FeedSpec(
    name="sensor",
    schema=Schema(
        "sensor",
        tags=("kind",),
        fields=(
            *(FieldSpec(n, "float", _UG, "mean", *_AIR_LABELS[n]) for n in SENSOR_KINDS["air"]),
            FieldSpec("level_cm", "float", "cm", "max", "Mực nước", "Water level"),
            FieldSpec("rain_mm", "float", "mm", "sum", "Lượng mưa", "Rain"),
            FieldSpec("temp_c", "float", "°C", "mean", "Nhiệt độ", "Temperature"),
            FieldSpec("humidity_pct", "float", "%", "mean", "Độ ẩm", "Humidity"),
            FieldSpec("wind_ms", "float", "m/s", "mean", "Tốc độ gió", "Wind speed"),
            FieldSpec("laeq_db", "float", "dB", "max", "Mức ồn LAeq", "Noise LAeq"),
        ),
    ),
    name_vi="Cảm biến",
    name_en="Sensors",
    expected_interval_s=60.0,
    order=0,
    periodic=True,
    # counting readings: the first value of each kind (as the devices page always did)
    count_fields=tuple(names[0] for names in SENSOR_KINDS.values()),
)
