"""Device health: last seen per source, the offline rule, `devices.*` and `feeds.completeness`.

A source is **offline** when
1. its last Last Will / status message says `offline` and is not older than its last reading
   (a device that speaks again after its Last Will is back online), or
2. it has been silent for longer than 3 × its feed's `expected_interval_s` (ioc.feeds.FEEDS);
   a status `online` counts as speaking.
Otherwise it is online. A source is **known** while it was heard from (reading or status) in the
last 7 days; older ones drop out of every ratio. Sources never seen on a data feed (only their
status) have no feed and are not rated.

`feeds.completeness` for the periodic feeds (sensor, camera): readings received in the last 60
complete minutes ÷ expected, expected = known sources × 3600 / interval; each source's readings
count at most up to its own expected number, so a chatty source cannot hide a silent one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

from ioc.feeds import FEEDS
from ioc.kpis.fold import RECENT_LOOKBACK_MS, Fold, HistoryRead, KpiContext, only
from ioc.kpis.spec import (
    DAY_MS,
    Derives,
    Drilldown,
    KpiSpec,
    KpiValue,
    make_value,
    scope_feed,
    scope_source,
)
from ioc.kpis.tally import BucketSums
from ioc.model import Reading

OFFLINE_AFTER_INTERVALS = 3  # a source silent for three of its feed's intervals is offline
KNOWN_FOR_MS = 7 * DAY_MS
MINUTE_MS = 60_000
COMPLETENESS_FEEDS: tuple[str, ...] = tuple(n for n, f in FEEDS.items() if f.periodic)
DATA_FEEDS = frozenset(f.measurement for f in FEEDS.values() if f.name != "status")
OfflineReason = Literal["last_will", "silent"]


def offline_after_ms(feed: str) -> int:
    """How long a source of `feed` may be silent before it counts as offline."""
    return int(OFFLINE_AFTER_INTERVALS * FEEDS[feed].expected_interval_s * 1000)


@dataclass(frozen=True, slots=True)
class SourceSeen:
    """What is known of one source: its feed and district, last reading, last status message."""

    source: str
    feed: str | None = None
    district: str = ""
    last_seen_ms: int | None = None
    status: str | None = None  # "online" / "offline", from ioc/status/<source>
    status_ms: int | None = None

    def seen(self, reading: Reading) -> SourceSeen:
        """This record updated with one reading (a data feed's, or a `status` one)."""
        ts = reading.time_ms
        if reading.measurement == "status":
            if self.status_ms is not None and ts < self.status_ms:
                return self
            state = "online" if reading.fields.get("online") else "offline"
            district = self.district or reading.district
            return replace(self, status=state, status_ms=ts, district=district)
        if reading.measurement not in DATA_FEEDS:
            return self
        if self.last_seen_ms is not None and ts < self.last_seen_ms:
            return self if self.district else replace(self, district=reading.district)
        return replace(self, feed=reading.measurement, district=reading.district, last_seen_ms=ts)

    @property
    def heard_ms(self) -> int | None:
        """Last time it spoke: a reading, or a status `online`."""
        times = [self.last_seen_ms]
        if self.status == "online":
            times.append(self.status_ms)
        present = [t for t in times if t is not None]
        return max(present) if present else None

    def offline_reason(self, now_ms: int) -> OfflineReason | None:
        """Why the source is offline at `now_ms`, None when it is online."""
        if (
            self.status == "offline"
            and self.status_ms is not None
            and (self.last_seen_ms is None or self.status_ms >= self.last_seen_ms)
        ):
            return "last_will"
        heard = self.heard_ms
        if heard is None or self.feed is None:
            return "silent"
        return "silent" if now_ms - heard > offline_after_ms(self.feed) else None

    def is_known(self, now_ms: int) -> bool:
        times = [t for t in (self.heard_ms, self.status_ms) if t is not None]
        return self.feed is not None and bool(times) and max(times) >= now_ms - KNOWN_FOR_MS

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "feed": self.feed,
            "district": self.district,
            "last_seen_ms": self.last_seen_ms,
            "status": self.status,
            "status_ms": self.status_ms,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SourceSeen:
        return cls(**data)


def device_kpis(seen: Iterable[SourceSeen], now_ms: int) -> list[KpiValue]:
    """devices.online per known source, and devices.online_ratio per feed and feed + district."""
    online_spec, ratio_spec = DEVICE_ONLINE, ONLINE_RATIO
    values: list[KpiValue] = []
    groups: dict[str, list[bool]] = {}
    for s in sorted(seen, key=lambda s: s.source):
        if not s.is_known(now_ms) or s.feed is None:
            continue
        reason = s.offline_reason(now_ms)
        online = reason is None
        values.append(
            make_value(
                online_spec,
                scope_source(s.source),
                "now",
                float(online),
                now_ms,
                feed=s.feed,
                district=s.district,
                reason=reason,
                last_seen=s.heard_ms,
            )
        )
        groups.setdefault(scope_feed(s.feed), []).append(online)
        if s.district:
            groups.setdefault(scope_feed(s.feed, s.district), []).append(online)
    for scope, states in sorted(groups.items()):
        ratio = 100.0 * sum(states) / len(states)
        values.append(
            make_value(
                ratio_spec, scope, "now", ratio, now_ms, online=sum(states), known=len(states)
            )
        )
    return values


def completeness_kpis(
    received: BucketSums, seen: Iterable[SourceSeen], now_ms: int
) -> list[KpiValue]:
    """feeds.completeness per periodic feed; `received` counts readings per source per minute."""
    spec = COMPLETENESS
    last_minute = now_ms // MINUTE_MS * MINUTE_MS - MINUTE_MS
    first_minute = last_minute - 59 * MINUTE_MS
    known = [s for s in seen if s.is_known(now_ms)]
    values = []
    for feed in COMPLETENESS_FEEDS:
        per_source = 3600.0 / FEEDS[feed].expected_interval_s
        sources = [s.source for s in known if s.feed == feed]
        got = sum(min(received.count(s, first_minute, last_minute), per_source) for s in sources)
        expected = per_source * len(sources)
        value = 100.0 * got / expected if expected else None
        values.append(
            make_value(
                spec,
                scope_feed(feed),
                "1h",
                value,
                now_ms,
                received=got,
                expected=expected,
                sources=len(sources),
            )
        )
    return values


# -- the folds and the KPIs -----------------------------------------------------------------------


def _new_received() -> BucketSums:
    return BucketSums(MINUTE_MS)


def _add_received(received: BucketSums, readings: Sequence[Reading]) -> BucketSums:
    for reading in readings:
        received.add(reading.source, reading.time_ms)
    return received


def _prune_received(received: BucketSums, now_ms: int) -> None:
    received.prune(now_ms - RECENT_LOOKBACK_MS)


RECEIVED: Fold[BucketSums] = Fold(
    name="received",  # readings per source per minute of the periodic feeds
    measurements=frozenset(FEEDS[f].measurement for f in COMPLETENESS_FEEDS),
    new=_new_received,
    add=_add_received,
    to_dict=BucketSums.to_dict,
    from_dict=BucketSums.from_dict,
    history=tuple(
        HistoryRead(FEEDS[f].measurement, RECENT_LOOKBACK_MS) for f in COMPLETENESS_FEEDS
    ),
    prune=_prune_received,
)

Seen = dict[str, SourceSeen]


def _add_seen(seen: Seen, readings: Sequence[Reading]) -> Seen:
    # Only the newest data reading and the newest status per source matter: folding just those
    # (data first, then status, as one by one with the newest last on ties) gives the same state.
    newest: dict[tuple[str, bool], Reading] = {}
    for reading in readings:
        key = (reading.source, reading.measurement == "status")
        kept = newest.get(key)
        if kept is None or reading.time_ns >= kept.time_ns:
            newest[key] = reading
    for (source, _), reading in sorted(newest.items(), key=lambda item: item[0][1]):
        current = seen.get(source) or SourceSeen(source)
        seen[source] = current.seen(reading)
    return seen


def _seen_to_dict(seen: Seen) -> list[dict[str, Any]]:
    return [s.to_dict() for _, s in sorted(seen.items())]


def _seen_from_dict(data: Any) -> Seen:
    return {s["source"]: SourceSeen.from_dict(s) for s in data}


SEEN: Fold[Seen] = Fold(
    name="seen",  # per source: feed, district, last reading, last status
    measurements=frozenset(f.measurement for f in FEEDS.values()),
    new=dict,
    add=_add_seen,
    to_dict=_seen_to_dict,
    from_dict=_seen_from_dict,
    history=tuple(HistoryRead(f.measurement, latest=True) for f in FEEDS.values()),
)


def _devices(ctx: KpiContext) -> list[KpiValue]:
    seen = ctx.part(SEEN)
    return ctx.memo("devices", lambda: device_kpis(seen.values(), ctx.now_ms))


_HEALTH = "/devices"
_ALL_FEEDS = tuple(FEEDS)


DEVICE_ONLINE: KpiSpec = KpiSpec(
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
    direction="higher_is_better",
    value_fn=lambda ctx: only("devices.online", _devices(ctx)),
    folds=(SEEN,),
)

ONLINE_RATIO: KpiSpec = KpiSpec(
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
    direction="higher_is_better",
    value_fn=lambda ctx: only("devices.online_ratio", _devices(ctx)),
    folds=(SEEN,),
)

COMPLETENESS: KpiSpec = KpiSpec(
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
    direction="higher_is_better",
    value_fn=lambda ctx: completeness_kpis(ctx.part(RECEIVED), ctx.part(SEEN).values(), ctx.now_ms),
    folds=(RECEIVED, SEEN),
)

SPECS: tuple[KpiSpec, ...] = (DEVICE_ONLINE, ONLINE_RATIO, COMPLETENESS)
