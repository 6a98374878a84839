"""Alert rules as data: `RULES`, id -> `AlertRule`, and `load_rules()` for an operator's file.

A rule watches one KPI of the registry (ioc.kpis.registry.KPIS) in one window, for every value
whose scope matches one of its `scopes` patterns (fnmatch: `source:*`, `district:*`, `province`)
and whose `extra` matches `match` (e.g. only `feed` sensor or camera). Hysteresis and duration:

    above   raise when value >= raise_at, held for min_duration_s; clear when value < clear_at
    below   raise when value < raise_at,  held for min_duration_s; clear when value >= clear_at

so `clear_at` <= `raise_at` for "above" and >= for "below"; between the two the alert keeps its
state. With `value_key` the rule compares that number of the value's `extra` instead of the value
itself (e.g. `critical`, the open critical incidents behind `security.open_incidents`).
These rules are the one threshold definition: a KPI value's status (ok, warning, critical) is
that of the open alerts of the rules watching it (ioc.alerts.status), never the spec's own.
Messages are `str.format` templates; placeholders: {value} {unit} {scope} {target} (the
scope's name: the gauge, the district…), {raise_at} {clear_at}, and any key of the value's
`extra` ({band_vi}, {level_cm}…; "?" when absent).

An operator's file (TOML) has the same shape as `DEFAULT_RULES` below, one `[[rule]]` table per
rule, e.g.

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
    message_vi = "Hàng chờ tại cửa khẩu Tà Lùng dài {value} m"
    message_en = "Queue at Tà Lùng border gate is {value} m long"
"""

from __future__ import annotations

import string
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from ioc.feeds import SEVERITIES
from ioc.kpis.registry import FORMULA_MODULES, KPIS

Comparison = Literal["above", "below"]
Severity = Literal["info", "warning", "critical"]


@dataclass(frozen=True, slots=True)
class AlertRule:
    id: str
    kpi: str
    window: str
    scopes: tuple[str, ...]
    comparison: Comparison
    raise_at: float
    clear_at: float
    min_duration_s: float
    severity: Severity
    message_vi: str
    message_en: str
    match: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    description: str = ""
    value_key: str = ""

    def __post_init__(self) -> None:
        spec = KPIS.get(self.kpi)
        if spec is None:
            raise ValueError(f"rule {self.id}: unknown KPI {self.kpi!r}")
        if self.window not in spec.windows:
            raise ValueError(f"rule {self.id}: KPI {self.kpi} has no window {self.window!r}")
        if not self.scopes:
            raise ValueError(f"rule {self.id}: needs at least one scope pattern")
        if self.comparison not in ("above", "below"):
            raise ValueError(f"rule {self.id}: comparison must be 'above' or 'below'")
        if self.comparison == "above" and self.clear_at > self.raise_at:
            raise ValueError(f"rule {self.id}: 'above' needs clear_at <= raise_at")
        if self.comparison == "below" and self.clear_at < self.raise_at:
            raise ValueError(f"rule {self.id}: 'below' needs clear_at >= raise_at")
        if self.min_duration_s < 0:
            raise ValueError(f"rule {self.id}: min_duration_s must be >= 0")
        if self.severity not in SEVERITIES:
            raise ValueError(f"rule {self.id}: severity must be one of {SEVERITIES}")
        for template in (self.message_vi, self.message_en):
            for _, name, _, _ in string.Formatter().parse(template):
                if name is not None and not name.isidentifier():
                    raise ValueError(f"rule {self.id}: bad placeholder {{{name}}} in {template!r}")

    def value_of(self, value: float | None, extra: Mapping[str, Any]) -> float | None:
        """The number this rule compares: the KPI value, or `extra[value_key]`."""
        if not self.value_key:
            return value
        number = extra.get(self.value_key)
        if isinstance(number, bool) or not isinstance(number, int | float):
            return None
        return float(number)

    def raises(self, value: float) -> bool:
        return value >= self.raise_at if self.comparison == "above" else value < self.raise_at

    def clears(self, value: float) -> bool:
        return value < self.clear_at if self.comparison == "above" else value >= self.clear_at


def rule_from_dict(data: Mapping[str, Any]) -> AlertRule:
    """An AlertRule from its plain form (a `[[rule]]` table, or an entry of DEFAULT_RULES)."""
    known = set(AlertRule.__dataclass_fields__)
    unknown = set(data) - known
    if unknown:
        raise ValueError(f"rule {data.get('id')!r}: unknown keys {sorted(unknown)}")
    values = dict(data)
    values["scopes"] = tuple(values.get("scopes", ()))
    values["match"] = {k: tuple(v) for k, v in dict(values.get("match", {})).items()}
    for key in ("raise_at", "clear_at", "min_duration_s"):
        if key in values:
            values[key] = float(values[key])
    return AlertRule(**values)


def rules_by_id(rules: Iterable[AlertRule]) -> dict[str, AlertRule]:
    out: dict[str, AlertRule] = {}
    for rule in rules:
        if rule.id in out:
            raise ValueError(f"duplicate alert rule id {rule.id!r}")
        out[rule.id] = rule
    return out


def load_rules(path: str | Path) -> dict[str, AlertRule]:
    """Rules from a TOML file of `[[rule]]` tables (replacing the defaults, not merging). A
    file with no `[[rule]]` table at all — only notification channels and routes
    (ioc.notify.config) — keeps the built-in rules."""
    with open(path, "rb") as handle:
        document = tomllib.load(handle)
    if "rule" not in document:
        return dict(RULES)
    return rules_by_id(rule_from_dict(entry) for entry in document["rule"])


_ABOVE_THE_BAND = "VN_AQI {value} ({band_vi}) tại trạm {target}"
DEFAULT_RULES: tuple[dict[str, Any], ...] = (
    {
        "id": "air.aqi_bad",
        "description": "An air station's hourly VN_AQI in the band Xấu (151-200) or worse.",
        "kpi": "air.vn_aqi",
        "window": "nowcast",
        "scopes": ["source:*"],
        "comparison": "above",
        "raise_at": 151,
        "clear_at": 141,
        "min_duration_s": 900,
        "severity": "warning",
        "message_vi": _ABOVE_THE_BAND,
        "message_en": "VN_AQI {value} ({band_en}) at station {target}",
    },
    {
        "id": "air.aqi_very_bad",
        "description": "An air station's hourly VN_AQI in the band Rất xấu (201-300) or worse.",
        "kpi": "air.vn_aqi",
        "window": "nowcast",
        "scopes": ["source:*"],
        "comparison": "above",
        "raise_at": 201,
        "clear_at": 191,
        "min_duration_s": 900,
        "severity": "critical",
        "message_vi": _ABOVE_THE_BAND,
        "message_en": "VN_AQI {value} ({band_en}) at station {target}",
    },
    {
        "id": "water.bd2",
        "description": "A gauge at alarm level 2 (index 2.0 = BĐ2); clears 10 % of the BĐ1-BĐ2 "
        "gap below BĐ2.",
        "kpi": "water.level_vs_alarm",
        "window": "now",
        "scopes": ["source:*"],
        "comparison": "above",
        "raise_at": 2.0,
        "clear_at": 1.9,
        "min_duration_s": 120,
        "severity": "warning",
        "message_vi": "Mực nước tại {target} vượt báo động 2: {level_cm} cm",
        "message_en": "Water at {target} above alarm level 2: {level_cm} cm",
    },
    {
        "id": "water.bd3",
        "description": "A gauge at alarm level 3 (index 3.0 = BĐ3).",
        "kpi": "water.level_vs_alarm",
        "window": "now",
        "scopes": ["source:*"],
        "comparison": "above",
        "raise_at": 3.0,
        "clear_at": 2.9,
        "min_duration_s": 120,
        "severity": "critical",
        "message_vi": "Mực nước tại {target} vượt báo động 3: {level_cm} cm",
        "message_en": "Water at {target} above alarm level 3: {level_cm} cm",
    },
    {
        "id": "border.queue_long",
        "description": "The queue at Tà Lùng border gate longer than 500 m for 10 minutes.",
        "kpi": "border.queue_m",
        "window": "now",
        "scopes": ["site:ta-lung-border-gate"],
        "comparison": "above",
        "raise_at": 500,
        "clear_at": 400,
        "min_duration_s": 600,
        "severity": "warning",
        "message_vi": "Hàng chờ tại cửa khẩu Tà Lùng dài {value} m",
        "message_en": "Queue at Tà Lùng border gate is {value} m long",
    },
    {
        "id": "traffic.congestion_high",
        "description": "A camera site congested (index 75/100 or more) for 5 minutes; clears "
        "below 65.",
        "kpi": "traffic.congestion",
        "window": "now",
        "scopes": ["site:*"],
        "comparison": "above",
        "raise_at": 75,
        "clear_at": 65,
        "min_duration_s": 300,
        "severity": "warning",
        "message_vi": "Ùn tắc tại {target}: {value}/100",
        "message_en": "Congestion at {target}: {value}/100",
    },
    {
        "id": "traffic.congestion_severe",
        "description": "A camera site severely congested (index 85/100 or more) for 5 minutes; "
        "clears below 75.",
        "kpi": "traffic.congestion",
        "window": "now",
        "scopes": ["site:*"],
        "comparison": "above",
        "raise_at": 85,
        "clear_at": 75,
        "min_duration_s": 300,
        "severity": "critical",
        "message_vi": "Ùn tắc nghiêm trọng tại {target}: {value}/100",
        "message_en": "Severe congestion at {target}: {value}/100",
    },
    {
        "id": "device.offline",
        "description": "A sensor or camera offline (Last Will, or silent > 3 intervals).",
        "kpi": "devices.online",
        "window": "now",
        "scopes": ["source:*"],
        "match": {"feed": ["sensor", "camera"]},
        "comparison": "below",
        "raise_at": 1,
        "clear_at": 1,
        "min_duration_s": 0,
        "severity": "warning",
        "message_vi": "Thiết bị {target} mất kết nối",
        "message_en": "Device {target} is offline",
    },
    {
        "id": "servicedesk.overdue_many",
        "description": "More than 10 overdue open tickets in a district or the province.",
        "kpi": "servicedesk.overdue",
        "window": "now",
        "scopes": ["district:*", "province"],
        "comparison": "above",
        "raise_at": 11,
        "clear_at": 8,
        "min_duration_s": 0,
        "severity": "warning",
        "message_vi": "{value} hồ sơ quá hạn ({target})",
        "message_en": "{value} overdue tickets ({target})",
    },
    {
        "id": "feeds.completeness_low",
        "description": "A periodic feed delivered less than 80 % of its expected readings over "
        "the last hour, for 5 minutes; clears at 90 %.",
        "kpi": "feeds.completeness",
        "window": "1h",
        "scopes": ["feed:*"],
        "comparison": "below",
        "raise_at": 80,
        "clear_at": 90,
        "min_duration_s": 300,
        "severity": "warning",
        "message_vi": "Dữ liệu {target} chỉ đầy đủ {value} %",
        "message_en": "Feed {target} only {value} % complete",
    },
)

# A formula module may declare the default rules of its KPIs beside them (`ALERT_RULES`).
DEFAULT_RULES += tuple(r for m in FORMULA_MODULES for r in getattr(m, "ALERT_RULES", ()))

RULES: dict[str, AlertRule] = rules_by_id(rule_from_dict(r) for r in DEFAULT_RULES)
