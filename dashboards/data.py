"""The one data module the callbacks call; the only one that talks to `ioc.live` and `ioc.storage`.

- The wall screen and `GET /api/v1/snapshot` read the **live state** (Redis) only: `read_live()`.
- Drill-down pages read **storage** (InfluxDB, InfluxQL bucketed by the storage layer):
  `history()`, `records()`.
- Supervisors' acknowledgements are queued in the live state for the KPI engine:
  `request_ack()`.

The clients live on the Flask app (`install()` at app creation, `backend()` inside a request), not
in module globals, so several apps (tests) and several gunicorn workers never share state. Opening
them touches no network; errors are returned as text for the page to show, never raised into
Dash.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import flask
import pandas as pd

from ioc.errors import ConfigError, IocError, StorageRejected
from ioc.feeds import FEEDS
from ioc.live import LiveState, open_live_state
from ioc.model import NS_PER_MS, NS_PER_S, Reading
from ioc.settings import Settings
from ioc.sources import Source, load_agencies, load_services, load_sources
from ioc.storage import Storage, TimeRange, open_storage

log = logging.getLogger(__name__)

EXTENSION = "ioc_dashboard"
MEASUREMENTS: tuple[str, ...] = tuple(spec.measurement for spec in FEEDS.values())
RECORDS_LIMIT = 1000


def now_ms() -> int:
    return time.time_ns() // NS_PER_MS


@dataclass
class Backend:
    """The clients of one app: created without touching the network."""

    settings: Settings
    live: LiveState | None = None
    storage: Storage | None = None
    live_problem: str = ""
    storage_problem: str = ""
    catalogue: dict[str, Source] = field(default_factory=dict)
    on_close: list[Callable[[], None]] = field(default_factory=list)  # first, at close()

    @classmethod
    def open(cls, settings: Settings) -> Backend:
        backend = cls(settings)
        try:
            backend.live = open_live_state(settings)
        except ConfigError as exc:
            backend.live_problem = str(exc)
        try:
            backend.storage = open_storage(settings)
        except ConfigError as exc:
            backend.storage_problem = str(exc)
        return backend

    def close(self) -> None:
        for stop in self.on_close:
            stop()
        if self.live is not None:
            self.live.close()
        if self.storage is not None:
            self.storage.close()


def install(
    server: flask.Flask,
    settings: Settings,
    *,
    live: LiveState | None = None,
    storage: Storage | None = None,
) -> Backend:
    """Give the app its clients: its own from the settings, or ones it shares with the
    collector of the same process (`ioc demo`, whose live state is in process)."""
    if live is not None and storage is not None:
        backend = Backend(settings, live, storage)
    else:
        backend = Backend.open(settings)
    try:
        backend.catalogue = load_sources(settings.sources_file or None)
    except ConfigError:
        backend.catalogue = {}  # names fall back to ids; the collector reports the bad file
    server.extensions[EXTENSION] = backend
    return backend


def backend() -> Backend:
    """The clients of the app serving the current request."""
    found: Backend = flask.current_app.extensions[EXTENSION]
    return found


# -- live state -----------------------------------------------------------------------------------


@dataclass
class LiveData:
    """One read of the live snapshot. `connected` False: `error` says why, the rest is empty."""

    read_ms: int
    connected: bool = True
    error: str = ""
    kpi_ts: int = 0
    kpis: list[dict[str, Any]] = field(default_factory=list)
    alerts: list[dict[str, Any]] = field(default_factory=list)
    latest: dict[str, dict[str, Reading]] = field(default_factory=dict)
    last_seen: dict[str, int] = field(default_factory=dict)
    districts: dict[str, str] = field(default_factory=dict)
    counters: dict[str, int] = field(default_factory=dict)
    sources: list[dict[str, Any]] = field(default_factory=list)  # the engine's per-source facts
    heartbeats: dict[str, dict[str, Any]] = field(default_factory=dict)


def read_live(at_ms: int | None = None) -> LiveData:
    """Everything the wall screen shows, from the live state; never raises."""
    read_at = now_ms() if at_ms is None else at_ms
    b = backend()
    if b.live is None:
        return LiveData(read_at, connected=False, error=b.live_problem)
    try:
        kpi_ts, kpis = b.live.kpis()
        return LiveData(
            read_at,
            kpi_ts=kpi_ts,
            kpis=kpis,
            alerts=b.live.alerts(),
            latest={m: b.live.latest(m) for m in MEASUREMENTS},
            last_seen=b.live.last_seen(),
            districts=b.live.districts(),
            counters=b.live.counters(),
            sources=b.live.sources(),
            heartbeats=b.live.heartbeats(),
        )
    except IocError as exc:
        return LiveData(read_at, connected=False, error=str(exc))


def catalogue() -> dict[str, Source]:
    """The source catalogue (names, positions) of the app serving the request."""
    return backend().catalogue


def source_names() -> dict[str, str]:
    return {sid: s.name_vi for sid, s in backend().catalogue.items()}


def read_alerts() -> tuple[list[dict[str, Any]], str]:
    """(alert states, error text)."""
    b = backend()
    if b.live is None:
        return [], b.live_problem
    try:
        return b.live.alerts(), ""
    except IocError as exc:
        return [], str(exc)


def read_deadletters(count: int = 200) -> tuple[list[dict[str, Any]], str]:
    b = backend()
    if b.live is None:
        return [], b.live_problem
    try:
        return b.live.deadletters(count), ""
    except IocError as exc:
        return [], str(exc)


def request_ack(alert_id: str, by: str, comment: str) -> str:
    """Queue an acknowledgement; returns "" when queued, else the reason (key or error text).

    Only an alert that is `active` right now can be acknowledged (the KPI engine checks again).
    """
    b = backend()
    if b.live is None:
        return b.live_problem
    try:
        states = {a.get("alert_id"): a for a in b.live.alerts()}
        if states.get(alert_id, {}).get("state") != "active":
            return "ack_not_active"
        b.live.request_ack(alert_id, by, comment, now_ms())
    except IocError as exc:
        return str(exc)
    return ""


# -- storage --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StorageResult:
    frame: pd.DataFrame
    error: str = ""


QUERY_REFUSED = (
    "Cơ sở dữ liệu từ chối truy vấn này — hãy chọn khoảng thời gian hoặc bộ lọc khác / "
    "The database refused this query — choose another time range or filter"
)


def _refused(exc: StorageRejected) -> str:
    """A sentence for the page; the database's own parser message goes to the log only."""
    log.warning("storage refused a drill-down query: %s", exc)
    return QUERY_REFUSED


def _empty() -> pd.DataFrame:
    return pd.DataFrame({"time": pd.Series([], dtype="datetime64[ns, UTC]")})


def history(
    measurement: str,
    field_name: str,
    time_range: TimeRange,
    *,
    where: Mapping[str, str | Sequence[str]] | None = None,
    group_by: Sequence[str] = (),
    aggregate: str = "mean",
    max_buckets: int = 300,
) -> StorageResult:
    """One field bucketed by the storage (InfluxQL GROUP BY time) into at most `max_buckets`."""
    b = backend()
    if b.storage is None:
        return StorageResult(_empty(), b.storage_problem)
    try:
        frame = b.storage.history(
            measurement,
            field_name,
            time_range,
            where=where or None,
            group_by=group_by,
            aggregate=aggregate,
            max_buckets=max_buckets,
        )
    except StorageRejected as exc:
        return StorageResult(_empty(), _refused(exc))
    except (IocError, ValueError) as exc:
        return StorageResult(_empty(), str(exc))
    return StorageResult(frame)


def records(
    measurement: str,
    time_range: TimeRange,
    *,
    where: Mapping[str, str | Sequence[str]] | None = None,
    limit: int = RECORDS_LIMIT,
    offset: int = 0,
) -> StorageResult:
    """Raw points, newest first (`offset`: skip that many of the newest, for paging)."""
    b = backend()
    if b.storage is None:
        return StorageResult(_empty(), b.storage_problem)
    try:
        frame = b.storage.records(
            measurement, time_range, where=where or None, limit=limit, offset=offset
        )
    except StorageRejected as exc:
        return StorageResult(_empty(), _refused(exc))
    except (IocError, ValueError) as exc:
        return StorageResult(_empty(), str(exc))
    return StorageResult(frame)


SLICE_MIN_S = 60
SLICE_START_S = 3600
SLICE_TARGET_ROWS = 20_000


def iter_records(
    measurement: str,
    time_range: TimeRange,
    *,
    where: Mapping[str, str | Sequence[str]] | None = None,
) -> Iterator[pd.DataFrame]:
    """Every point of the range, newest first, in time slices whose length adapts to keep each
    near `SLICE_TARGET_ROWS` rows (memory stays bounded however long the range). Storage errors
    raise (IocError): a half-written export must fail visibly, not end early and look whole."""
    b = backend()
    if b.storage is None:
        raise IocError(b.storage_problem or "no storage configured")
    storage = b.storage
    end = time_range.end_ns
    step_ns = SLICE_START_S * NS_PER_S
    while end > time_range.start_ns:
        start = max(time_range.start_ns, end - step_ns)
        frame = storage.records(measurement, TimeRange(start, end), where=where or None, limit=0)
        if not frame.empty:
            yield frame
        end = start
        if len(frame) > SLICE_TARGET_ROWS:
            step_ns = max(SLICE_MIN_S * NS_PER_S, step_ns // 2)
        elif len(frame) < SLICE_TARGET_ROWS // 4:
            step_ns *= 2


def agency_name(slug: str) -> str:
    """The Vietnamese name of a security event's agency (source catalogue), else its slug."""
    return agency_names().get(slug, slug) if slug else ""


def agency_names() -> dict[str, str]:
    """Agency slug -> Vietnamese name (source catalogue)."""
    return _agencies(backend().settings.sources_file)


def tag_names() -> dict[str, dict[str, str]]:
    """Names of the slugs readings carry as tags, per tag: agencies and public services (source
    catalogue)."""
    return {"agency": agency_names(), "service": _services(backend().settings.sources_file)}


@functools.cache
def _agencies(path: str | None) -> dict[str, str]:
    try:
        return load_agencies(path or None)
    except ConfigError:
        return {}


@functools.cache
def _services(path: str | None) -> dict[str, str]:
    try:
        return load_services(path or None)
    except ConfigError:
        return {}
