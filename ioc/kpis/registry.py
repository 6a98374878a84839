"""The one KPI registry: `KPIS`, id -> `KpiSpec`. The wall screen renders tiles from it.

Targets and thresholds are first proposals, to be agreed with the province; changing one is a
one-line edit here. Percentages are 0–100. Formulas are implemented in `servicedesk.py`,
`air.py`, `city.py` and `health.py` of this package, each citing the spec it computes.
"""

from __future__ import annotations

from ioc.kpis.spec import Derives, Drilldown, KpiSpec, Thresholds

_SD_FIELDS = ("ticket_id", "due_ms")
_SD_NOTE = "ticket events received/assigned/resolved/rejected/reopened"
_SERVICES = "/services"
_HEALTH = "/devices"
_ALL_FEEDS = ("sensor", "camera", "servicedesk", "status")


def _sd(*fields: str, tags: tuple[str, ...] = ("event",)) -> Derives:
    return Derives(("servicedesk",), fields=(*_SD_FIELDS, *fields), tags=tags, note=_SD_NOTE)


_SPECS: tuple[KpiSpec, ...] = (
    # -- Public services (service desk) ------------------------------------------------------
    KpiSpec(
        id="servicedesk.on_time_rate",
        name_vi="Tỷ lệ hồ sơ giải quyết đúng hạn",
        name_en="Resolved on time",
        unit="%",
        formula="100 × (resolutions in the window with resolved time <= due) ÷ (resolutions in "
        "the window whose due is known). A ticket resolved exactly at its due time is on time. "
        "No resolution with a known due -> no value (not 0).",
        scopes=("province", "district"),
        windows=("today", "7d"),
        derives_from=_sd(),
        group="services",
        drilldown=Drilldown(_SERVICES, {"event": "resolved"}),
        target=95.0,
        thresholds=Thresholds("higher_is_better", warning=90.0, critical=80.0),
    ),
    KpiSpec(
        id="servicedesk.avg_handling_hours",
        name_vi="Thời gian xử lý trung bình",
        name_en="Average handling time",
        unit="h",
        formula="Mean of (resolved time − received time) in hours over the resolutions in the "
        "window whose received event is known (the latest one before the resolution).",
        scopes=("province", "district"),
        windows=("today", "7d"),
        derives_from=_sd(),
        group="services",
        drilldown=Drilldown(_SERVICES, {"event": "resolved"}),
        target=24.0,
        thresholds=Thresholds("lower_is_better", warning=72.0, critical=120.0),
    ),
    KpiSpec(
        id="servicedesk.backlog",
        name_vi="Hồ sơ đang xử lý",
        name_en="Open tickets",
        unit="tickets",
        formula="Tickets whose latest event up to now is received, assigned or reopened "
        "(= received − resolved − rejected + reopened), counted in that event's district.",
        scopes=("province", "district"),
        windows=("now",),
        derives_from=_sd(),
        group="services",
        drilldown=Drilldown(_SERVICES),
    ),
    KpiSpec(
        id="servicedesk.overdue",
        name_vi="Hồ sơ quá hạn",
        name_en="Overdue open tickets",
        unit="tickets",
        formula="Open tickets (see backlog) whose due is known and earlier than now.",
        scopes=("province", "district"),
        windows=("now",),
        derives_from=_sd(),
        group="services",
        drilldown=Drilldown(_SERVICES),
        target=0.0,
        thresholds=Thresholds("lower_is_better", warning=1.0, critical=10.0),
    ),
    KpiSpec(
        id="servicedesk.online_share",
        name_vi="Tỷ lệ hồ sơ trực tuyến",
        name_en="Received online",
        unit="%",
        formula="100 × (received events in the window with channel online_l3 or online_l4) ÷ "
        "(received events in the window). Nothing received -> no value.",
        scopes=("province", "district"),
        windows=("today", "7d"),
        derives_from=_sd(tags=("event", "channel")),
        group="services",
        drilldown=Drilldown(_SERVICES, {"event": "received"}),
        target=50.0,
        thresholds=Thresholds("higher_is_better", warning=30.0, critical=10.0),
    ),
    KpiSpec(
        id="servicedesk.satisfaction",
        name_vi="Mức độ hài lòng",
        name_en="Satisfaction",
        unit="/5",
        formula="Mean of the satisfaction scores (1–5) given with resolutions in the window.",
        scopes=("province", "district"),
        windows=("today", "7d"),
        derives_from=_sd("satisfaction"),
        group="services",
        drilldown=Drilldown(_SERVICES, {"event": "resolved", "field": "satisfaction"}),
        target=4.5,
        thresholds=Thresholds("higher_is_better", warning=4.0, critical=3.0),
    ),
    KpiSpec(
        id="servicedesk.hotline_1022",
        name_vi="Phản ánh qua tổng đài 1022",
        name_en="Hotline 1022 tickets",
        unit="tickets",
        formula="Received events in the window with channel hotline_1022.",
        scopes=("province", "district"),
        windows=("today", "7d"),
        derives_from=_sd(tags=("event", "channel")),
        group="services",
        drilldown=Drilldown(_SERVICES, {"event": "received", "channel": "hotline_1022"}),
    ),
    # -- City indicators ---------------------------------------------------------------------
    KpiSpec(
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
        thresholds=Thresholds("lower_is_better", warning=101.0, critical=151.0),
    ),
    KpiSpec(
        id="water.level_vs_alarm",
        name_vi="Mực nước so với báo động",
        name_en="Water level vs alarm levels",
        unit="BĐ",
        formula="Alarm index of the latest level_cm against the gauge's BĐ1/BĐ2/BĐ3: 0 at 0 cm, "
        "1 at BĐ1, 2 at BĐ2, 3 at BĐ3, linear in between (and beyond BĐ3 at the BĐ2–BĐ3 "
        "slope). Its integer part, capped at 3, is the alarm level reached.",
        scopes=("source",),
        windows=("now",),
        derives_from=Derives(
            ("sensor",),
            kind="water",
            fields=("level_cm",),
            note="alarm levels per gauge from the source catalogue",
        ),
        group="city",
        drilldown=Drilldown("/environment", {"kind": "water", "field": "level_cm"}),
        target=0.0,
        thresholds=Thresholds("lower_is_better", warning=1.0, critical=2.0),
    ),
    KpiSpec(
        id="traffic.congestion",
        name_vi="Mức độ ùn tắc",
        name_en="Traffic congestion",
        unit="/100",
        formula="Per camera: 100 × weighted mean of occupancy_pct/100 (weight 0.4), "
        "1 − avg_speed_kmh/50 clipped to 0–1 (0.4; skipped when no vehicle passed) and "
        "queue_m/200 clipped to 0–1 (0.2), over the terms present. Site: its most congested "
        "camera among fresh readings.",
        scopes=("site",),
        windows=("now",),
        derives_from=Derives(
            ("camera",),
            fields=("occupancy_pct", "avg_speed_kmh", "queue_m", "vehicles_total"),
            tags=("site",),
        ),
        group="city",
        drilldown=Drilldown("/traffic", {"field": "occupancy_pct"}),
        target=25.0,
        thresholds=Thresholds("lower_is_better", warning=50.0, critical=75.0),
    ),
    KpiSpec(
        id="tourism.visitors",
        name_vi="Lượt khách tham quan (ước tính)",
        name_en="Visitors (estimate)",
        unit="people",
        formula="Sum of the people counts reported by the site's cameras, by clock hour, over "
        "the window. An estimate of footfall: a person seen in several intervals or by several "
        "cameras counts several times.",
        scopes=("site",),
        windows=("today", "7d"),
        derives_from=Derives(("camera",), site="ban-gioc-waterfall", fields=("people",)),
        group="city",
        drilldown=Drilldown("/traffic", {"site": "ban-gioc-waterfall", "field": "people"}),
    ),
    KpiSpec(
        id="border.queue_m",
        name_vi="Chiều dài hàng chờ cửa khẩu",
        name_en="Border gate queue",
        unit="m",
        formula="Longest latest queue_m among the site's cameras with a fresh reading.",
        scopes=("site",),
        windows=("now",),
        derives_from=Derives(("camera",), site="ta-lung-border-gate", fields=("queue_m",)),
        group="city",
        drilldown=Drilldown("/traffic", {"site": "ta-lung-border-gate", "field": "queue_m"}),
        target=100.0,
        thresholds=Thresholds("lower_is_better", warning=300.0, critical=500.0),
    ),
    # -- Health ------------------------------------------------------------------------------
    KpiSpec(
        id="devices.online",
        name_vi="Thiết bị trực tuyến",
        name_en="Device online",
        unit="",
        formula="1 if the source is online, 0 if offline: offline when its last Last Will "
        "status is 'offline' and not older than its last reading, or when it has been silent "
        "longer than 3 × its feed's expected interval.",
        scopes=("source",),
        windows=("now",),
        derives_from=Derives(_ALL_FEEDS, note="each source's last reading; status (Last Will)"),
        group="health",
        drilldown=Drilldown(_HEALTH),
        target=1.0,
        thresholds=Thresholds("higher_is_better", warning=1.0, critical=1.0),
    ),
    KpiSpec(
        id="devices.online_ratio",
        name_vi="Tỷ lệ thiết bị trực tuyến",
        name_en="Devices online",
        unit="%",
        formula="100 × online sources ÷ known sources (heard from in the last 7 days), "
        "per feed and per feed and district; online as in devices.online.",
        scopes=("feed", "feed_district"),
        windows=("now",),
        derives_from=Derives(_ALL_FEEDS, note="each source's last reading; status (Last Will)"),
        group="health",
        drilldown=Drilldown(_HEALTH),
        target=100.0,
        thresholds=Thresholds("higher_is_better", warning=95.0, critical=80.0),
    ),
    KpiSpec(
        id="feeds.completeness",
        name_vi="Độ đầy đủ dữ liệu",
        name_en="Feed completeness",
        unit="%",
        formula="100 × received ÷ expected over the last 60 complete minutes, for the periodic "
        "feeds (sensor, camera): expected = known sources × 3600 / expected interval; each "
        "source's readings count up to its own expected number.",
        scopes=("feed",),
        windows=("1h",),
        derives_from=Derives(("sensor", "camera"), note="readings per source per minute"),
        group="health",
        drilldown=Drilldown(_HEALTH, {"field": "readings"}),
        target=100.0,
        thresholds=Thresholds("higher_is_better", warning=95.0, critical=80.0),
    ),
)

KPIS: dict[str, KpiSpec] = {spec.id: spec for spec in _SPECS}
