"""Web-portal KPIs: availability, response time, portals down now, certificates expiring.

Folds over the `portal` measurement (ioc.feeds.portal):

- `portal_checks` — checks per clock hour, keyed by district, site and up (1) or down (0);
  kept 31 days (availability over 30 days).
- `portal_times` — the response times of the up checks of the last 24 hours, per site.
- `portal_latest` — per site, its latest check: time, district, up, consecutive failed checks
  ending there, certificate days left.

Definitions:

- portal.availability (24h, 30d): up checks ÷ checks × 100 of the window (None without checks).
- portal.response_p95_ms (24h): the 95th percentile (nearest rank) of response_ms of the up
  checks of the window.
- portal.down (now): per site, the number of consecutive failed checks ending at its latest
  check (0 when that check was up); per district and the province, the number of sites with
  two or more (down: two consecutive failed checks — one failure can be a blip).
- portal.tls_expiring (now): per site 1 when its latest check reported fewer than 14 days left
  on the certificate, else 0 (`days_left` in extra); per district and the province, the number of
  such sites. A latest check older than three check intervals counts for neither (the site is
  offline: device health says so).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from ioc.feeds.portal import SPEC as PORTAL_FEED
from ioc.kpis.fold import Fold, HistoryRead, KpiContext
from ioc.kpis.health import offline_after_ms
from ioc.kpis.spec import (
    DAY_MS,
    HOUR_MS,
    PROVINCE,
    Derives,
    Drilldown,
    KpiSpec,
    KpiValue,
    Window,
    make_value,
    scope_district,
    scope_source,
    window_start_ms,
)
from ioc.kpis.tally import BucketSums
from ioc.model import Reading

MEASUREMENT = PORTAL_FEED.measurement
CHECKS_LOOKBACK_MS = 31 * DAY_MS
TIMES_LOOKBACK_MS = DAY_MS
LATEST_LOOKBACK_MS = 2 * HOUR_MS
DOWN_AFTER_FAILURES = 2
TLS_WARN_DAYS = 14
P95 = 0.95


def _readings(readings: Sequence[Reading]) -> list[Reading]:
    return sorted((r for r in readings if "up" in r.fields), key=lambda r: r.time_ns)


def _add_checks(checks: BucketSums, readings: Sequence[Reading]) -> BucketSums:
    for r in _readings(readings):
        checks.add(f"{r.tags['district']}|{r.tags['source']}|{r.fields['up']}", r.time_ms)
    return checks


CHECKS: Fold[BucketSums] = Fold(
    name="portal_checks",
    measurements=frozenset({MEASUREMENT}),
    new=lambda: BucketSums(HOUR_MS),
    add=_add_checks,
    to_dict=BucketSums.to_dict,
    from_dict=BucketSums.from_dict,
    history=(HistoryRead(MEASUREMENT, CHECKS_LOOKBACK_MS),),
    prune=lambda part, now_ms: part.prune(now_ms - CHECKS_LOOKBACK_MS),
)

# site -> [district, [[ts_ms, response_ms], …]]
Times = dict[str, list[Any]]


def _add_times(times: Times, readings: Sequence[Reading]) -> Times:
    for r in _readings(readings):
        response = r.fields.get("response_ms")
        if r.fields["up"] == 1 and isinstance(response, float):
            entry = times.setdefault(r.tags["source"], [r.tags["district"], []])
            entry[1].append([r.time_ms, response])
    return times


def _prune_times(times: Times, now_ms: int) -> None:
    for site in list(times):
        kept = [p for p in times[site][1] if p[0] >= now_ms - TIMES_LOOKBACK_MS]
        if kept:
            times[site][1] = kept
        else:
            del times[site]


TIMES: Fold[Times] = Fold(
    name="portal_times",
    measurements=frozenset({MEASUREMENT}),
    new=dict,
    add=_add_times,
    to_dict=dict,
    from_dict=dict,
    history=(HistoryRead(MEASUREMENT, TIMES_LOOKBACK_MS),),
    prune=_prune_times,
)

# site -> [ts_ms, district, up, consecutive failures, tls_days_left or None]
Latest = dict[str, list[Any]]


def _add_latest(latest: Latest, readings: Sequence[Reading]) -> Latest:
    for r in _readings(readings):
        site = r.tags["source"]
        known = latest.get(site)
        if known is not None and known[0] >= r.time_ms:
            continue  # older, or the same check again
        up = r.fields["up"] == 1
        failures = 0 if up else (known[3] if known is not None else 0) + 1
        days = r.fields.get("tls_days_left")
        if days is None and known is not None and not up:
            days = known[4]  # a failed check says nothing about the certificate
        latest[site] = [r.time_ms, r.tags["district"], int(up), failures, days]
    return latest


LATEST: Fold[Latest] = Fold(
    name="portal_latest",
    measurements=frozenset({MEASUREMENT}),
    new=dict,
    add=_add_latest,
    to_dict=dict,
    from_dict=dict,
    history=(HistoryRead(MEASUREMENT, LATEST_LOOKBACK_MS),),
)


def _scopes(district: str, site: str | None = None) -> list[str]:
    out = [PROVINCE, scope_district(district)]
    return out if site is None else [*out, scope_source(site)]


def availability_kpis(checks: BucketSums, now_ms: int) -> list[KpiValue]:
    out = []
    windows: tuple[Window, ...] = ("24h", "30d")
    for window in windows:
        start = window_start_ms(window, now_ms)
        counts: dict[str, list[int]] = {}
        for key in checks.keys():  # noqa: SIM118 (BucketSums is not a dict)
            district, site, up = key.split("|")
            n = checks.count(key, start, now_ms)
            if not n:
                continue
            for scope in _scopes(district, site):
                cell = counts.setdefault(scope, [0, 0])
                cell[0] += n
                cell[1] += n if up == "1" else 0
        counts.setdefault(PROVINCE, [0, 0])
        for scope, (n, up_n) in sorted(counts.items()):
            share = 100.0 * up_n / n if n else None
            out.append(make_value(AVAILABILITY, scope, window, share, now_ms, checks=n, up=up_n))
    return out


def p95(values: Sequence[float]) -> float | None:
    """Nearest-rank 95th percentile (None for no values)."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(P95 * len(ordered)) - 1)]


def response_kpis(times: Times, now_ms: int) -> list[KpiValue]:
    start = window_start_ms("24h", now_ms)
    samples: dict[str, list[float]] = {PROVINCE: []}
    for site, (district, points) in sorted(times.items()):
        values = [ms for ts, ms in points if start <= ts <= now_ms]
        for scope in _scopes(district, site):
            samples.setdefault(scope, []).extend(values)
    return [
        make_value(RESPONSE_P95, scope, "24h", p95(values), now_ms, checks=len(values))
        for scope, values in sorted(samples.items())
    ]


def latest_kpis(latest: Latest, now_ms: int) -> list[KpiValue]:
    fresh_after = now_ms - offline_after_ms(PORTAL_FEED.name)
    down: dict[str, int] = {PROVINCE: 0}
    expiring: dict[str, int] = {PROVINCE: 0}
    out = []
    for site, (ts, district, up, failures, days) in sorted(latest.items()):
        if ts < fresh_after:  # a check ahead of the clock counts (the collectors bound how far)
            continue
        soon = days is not None and days < TLS_WARN_DAYS
        for scope in _scopes(district):
            down[scope] = down.get(scope, 0) + (failures >= DOWN_AFTER_FAILURES)
            expiring[scope] = expiring.get(scope, 0) + soon
        source = scope_source(site)
        out.append(make_value(DOWN, source, "now", failures, now_ms, up=bool(up)))
        out.append(make_value(TLS_EXPIRING, source, "now", int(soon), now_ms, days_left=days))
    out += [make_value(DOWN, scope, "now", n, now_ms) for scope, n in sorted(down.items())]
    out += [make_value(TLS_EXPIRING, s, "now", n, now_ms) for s, n in sorted(expiring.items())]
    return out


def _derives(*fields: str) -> Derives:
    return Derives((MEASUREMENT,), fields=fields)


AVAILABILITY = KpiSpec(
    id="portal.availability",
    name_vi="Độ sẵn sàng cổng thông tin",
    name_en="Portal availability",
    unit="%",
    formula="Checks with up = 1 ÷ all checks of the window × 100.",
    scopes=("province", "district", "source"),
    windows=("24h", "30d"),
    derives_from=_derives("up"),
    group="security",
    drilldown=Drilldown("/security", {"feed": "portal", "field": "up", "range": "24h"}),
    target=99.5,
    direction="higher_is_better",
    value_fn=lambda ctx: availability_kpis(ctx.part(CHECKS), ctx.now_ms),
    folds=(CHECKS,),
)
RESPONSE_P95 = KpiSpec(
    id="portal.response_p95_ms",
    name_vi="Thời gian phản hồi (p95)",
    name_en="Response time (p95)",
    unit="ms",
    formula="95th percentile (nearest rank) of response_ms over the up checks of the last 24 h.",
    scopes=("province", "district", "source"),
    windows=("24h",),
    derives_from=_derives("response_ms"),
    group="security",
    drilldown=Drilldown("/security", {"feed": "portal", "field": "response_ms", "range": "24h"}),
    target=1000.0,
    value_fn=lambda ctx: response_kpis(ctx.part(TIMES), ctx.now_ms),
    folds=(TIMES,),
)
DOWN = KpiSpec(
    id="portal.down",
    name_vi="Cổng thông tin đang gián đoạn",
    name_en="Portals down",
    unit="portals",
    formula="Per site: consecutive failed checks ending at its latest check. Per district and "
    "province: sites with two or more consecutive failed checks.",
    scopes=("province", "district", "source"),
    windows=("now",),
    derives_from=_derives("up"),
    group="security",
    drilldown=Drilldown("/security", {"feed": "portal", "field": "up", "range": "24h"}),
    target=0.0,
    value_fn=lambda ctx: _latest(ctx, "portal.down"),
    folds=(LATEST,),
)
TLS_EXPIRING = KpiSpec(
    id="portal.tls_expiring",
    name_vi="Chứng thư số sắp hết hạn",
    name_en="Certificates expiring",
    unit="portals",
    formula="Per site: 1 when its latest check reported tls_days_left < 14, else 0. Per district "
    "and province: the number of such sites.",
    scopes=("province", "district", "source"),
    windows=("now",),
    derives_from=_derives("tls_days_left"),
    group="security",
    drilldown=Drilldown("/security", {"feed": "portal", "field": "tls_days_left"}),
    target=0.0,
    value_fn=lambda ctx: _latest(ctx, "portal.tls_expiring"),
    folds=(LATEST,),
)


def _latest(ctx: KpiContext, kpi_id: str) -> list[KpiValue]:
    values = ctx.memo("portal.latest", lambda: latest_kpis(ctx.part(LATEST), ctx.now_ms))
    return [v for v in values if v.id == kpi_id]


SPECS: tuple[KpiSpec, ...] = (AVAILABILITY, RESPONSE_P95, DOWN, TLS_EXPIRING)

# Default alert rules of these KPIs (ioc.alerts.rules collects them).
ALERT_RULES: tuple[dict[str, object], ...] = (
    {
        "id": "portal.down",
        "description": "A portal down: two consecutive failed checks; clears on an up check.",
        "kpi": "portal.down",
        "window": "now",
        "scopes": ["source:*"],
        "comparison": "above",
        "raise_at": DOWN_AFTER_FAILURES,
        "clear_at": 1,
        "min_duration_s": 0,
        "severity": "critical",
        "message_vi": "Cổng {target} không truy cập được ({value} lần kiểm tra liên tiếp)",
        "message_en": "Portal {target} unreachable ({value} consecutive checks)",
    },
    {
        "id": "portal.tls_expiring",
        "description": "A portal's certificate expires within 14 days.",
        "kpi": "portal.tls_expiring",
        "window": "now",
        "scopes": ["source:*"],
        "comparison": "above",
        "raise_at": 1,
        "clear_at": 1,
        "min_duration_s": 0,
        "severity": "warning",
        "message_vi": "Chứng thư số của {target} còn {days_left} ngày",
        "message_en": "Certificate of {target} expires in {days_left} days",
    },
)
