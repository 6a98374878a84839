"""`air.vn_aqi`: the hourly VN_AQI of each air station and the province's worst.

`AirTally` folds `sensor` readings of kind `air` into 1-hour sums per station and pollutant
(clock hours), the only state the NowCast needs. At `now`, c1 is the mean of the hour in
progress so far, c2 the previous clock hour, … c12; so the value shown at 10:59 is the decision's
hourly AQI of the 10:00–11:00 hour, and earlier in the hour a provisional one from the samples so
far. Then `ioc.aqi.hourly_aqi` (NowCast, Table 2, max). Live and history fold the same readings
into the same sums, so they agree; history needs the sensor records of the last 12 hours.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ioc.aqi import POLLUTANTS, AqiResult, hourly_aqi
from ioc.kpis.fold import Fold, HistoryRead, KpiContext, fold_each
from ioc.kpis.spec import (
    HOUR_MS,
    PROVINCE,
    Derives,
    Drilldown,
    KpiSpec,
    KpiValue,
    hour_start_ms,
    make_value,
    scope_source,
)
from ioc.kpis.tally import BucketSums
from ioc.model import Reading

LOOKBACK_MS = 12 * HOUR_MS


class AirTally:
    """Hourly sums of each air station's pollutants, for the NowCast of the last 12 hours."""

    def __init__(self) -> None:
        self._stations: dict[str, BucketSums] = {}
        self._districts: dict[str, str] = {}

    def add(self, reading: Reading) -> None:
        """Fold one `sensor` reading; readings without an air pollutant are ignored."""
        if reading.measurement != "sensor":
            return
        values = {p: v for p, v in reading.fields.items() if p in POLLUTANTS}
        if not values:
            return
        sums = self._stations.setdefault(reading.source, BucketSums(HOUR_MS))
        self._districts[reading.source] = reading.district
        for pollutant, value in values.items():
            if isinstance(value, int | float) and not isinstance(value, bool):
                sums.add(pollutant, reading.time_ms, float(value))

    def stations(self) -> list[str]:
        return sorted(self._stations)

    def hourly_means(self, station: str, pollutant: str, now_ms: int) -> list[float | None]:
        """c1 … c12 of one pollutant, newest first, None for an hour without samples."""
        sums = self._stations.get(station)
        means: list[float | None] = []
        hour = hour_start_ms(now_ms)
        for i in range(12):
            cell = sums.bucket(pollutant, hour - i * HOUR_MS) if sums else None
            means.append(None if cell is None else cell[0] / cell[1])
        return means

    def station_aqi(self, station: str, now_ms: int) -> AqiResult:
        return hourly_aqi({p: self.hourly_means(station, p, now_ms) for p in POLLUTANTS})

    def kpis(self, now_ms: int) -> list[KpiValue]:
        """air.vn_aqi per station (`source:<id>`) and the worst station (`province`)."""
        spec = VN_AQI
        values = []
        worst: tuple[int, str, AqiResult] | None = None
        for station in self.stations():
            result = self.station_aqi(station, now_ms)
            extra = _extra(result) | {"district": self._districts.get(station, "")}
            values.append(
                make_value(spec, scope_source(station), "nowcast", result.aqi, now_ms, **extra)
            )
            if result.aqi is not None and (worst is None or result.aqi > worst[0]):
                worst = (result.aqi, station, result)
        if worst is None:
            values.append(make_value(spec, PROVINCE, "nowcast", None, now_ms))
        else:
            aqi, station, result = worst
            values.append(
                make_value(
                    spec, PROVINCE, "nowcast", aqi, now_ms, station=station, **_extra(result)
                )
            )
        return values

    def prune(self, now_ms: int) -> None:
        for station in list(self._stations):
            self._stations[station].prune(hour_start_ms(now_ms) - 11 * HOUR_MS)
            if not self._stations[station].keys():
                del self._stations[station]
                self._districts.pop(station, None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "stations": {s: sums.to_dict() for s, sums in sorted(self._stations.items())},
            "districts": dict(sorted(self._districts.items())),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> AirTally:
        tally = cls()
        tally._stations = {s: BucketSums.from_dict(d) for s, d in data["stations"].items()}
        tally._districts = dict(data["districts"])
        return tally

    def __eq__(self, other: object) -> bool:
        return isinstance(other, AirTally) and self.to_dict() == other.to_dict()


def _extra(result: AqiResult) -> dict[str, Any]:
    """What an AQI tile shows besides the number: band, colour, dominant pollutant, parts."""
    if result.band is None:
        return {}
    return {
        "band": result.band.level,
        "band_vi": result.band.name_vi,
        "band_en": result.band.name_en,
        "color": result.band.hex,
        "rgb": list(result.band.rgb),
        "dominant": result.dominant,
        "sub_indices": dict(result.sub_indices),
    }


# -- the fold and the KPI -------------------------------------------------------------------------

AIR: Fold[AirTally] = Fold(
    name="air",
    measurements=frozenset({"sensor"}),
    new=AirTally,
    add=fold_each(AirTally.add),
    to_dict=AirTally.to_dict,
    from_dict=AirTally.from_dict,
    history=(HistoryRead("sensor", LOOKBACK_MS),),
    prune=AirTally.prune,
)


def aqi_values(ctx: KpiContext) -> list[KpiValue]:
    return ctx.part(AIR).kpis(ctx.now_ms)


VN_AQI: KpiSpec = KpiSpec(
    id="air.vn_aqi",
    name_vi="Chỉ số chất lượng không khí VN_AQI",
    name_en="Air quality index VN_AQI",
    unit="AQI",
    formula="Hourly VN_AQI per Decision 1459/QĐ-TCMT (ioc.aqi): 1-hour means of the last 12 "
    "clock hours (the hour in progress is c1), NowCast for PM2.5/PM10, sub-indices by Table "
    "2, the largest one. Province: the worst station.",
    scopes=("source", "province"),
    windows=("nowcast",),
    derives_from=Derives(
        ("sensor",), kind="air", fields=("pm25", "pm10", "o3", "no2", "so2", "co"), note="µg/m³"
    ),
    group="city",
    drilldown=Drilldown("/environment", {"kind": "air", "field": "pm25"}),
    target=50.0,
    value_fn=aqi_values,
    folds=(AIR,),
)

SPECS: tuple[KpiSpec, ...] = (VN_AQI,)
