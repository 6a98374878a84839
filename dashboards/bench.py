"""`ioc bench history`: how fast are the drill-down queries on a province ten times ours?

On its own InfluxDB (1.6 + v2 shim), Redis and SQLite file (temporary, free loopback ports):
1. N synthetic sensor sources (air, water, weather, noise; the ten districts), one point every
   `interval` seconds, up to the last whole hour. The last `raw_days` days are raw points (as
   with `IOC_RAW_RETENTION_DAYS`); the rollup tiers are loaded as the keeper leaves them
   (5-min buckets over the raw days, hourly and 6-hour buckets over every day, per source and
   merged over sources, aggregated from the same generator; on InfluxDB written as line
   protocol straight to the engine), and `rebuild()` of the last 6 hours from raw points is
   timed; InfluxDB is then left to finish compacting what was loaded (the wait is printed);
2. the environment drill-down's queries for 24 h / 7 d / 30 d / 90 d (/ 1 y): the history chart
   (air, PM2.5 mean per district, 300 buckets), the per-district breakdown (48 buckets), one
   station's chart, the newest 1,000 raw records, and the whole page view (`compute_view`: all of
   them plus the figures); `latest` from the live state (Redis) — each `repeat` times after one
   warm-up; with a browser, headless Chromium from navigation to the drawn history chart;
3. references measured in the same run: the history chart from raw points only
   (`rollups=False`) where the raw points cover the range, and `latest` as a storage scan.
"""

from __future__ import annotations

import functools
import logging
import math
import statistics
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import urllib3

from ioc.devservices import InfluxDB, Redis
from ioc.live.base import LiveState, LiveUpdate
from ioc.live.redis import RedisLiveState
from ioc.model import NS_PER_S, Reading
from ioc.places import DISTRICTS
from ioc.settings import load_settings
from ioc.storage.base import Storage, TimeRange
from ioc.storage.influx import InfluxStorage
from ioc.storage.rollups import FIVE_MIN_S, HOUR_S, TIERS, rebuild, rollup_name
from ioc.storage.sqlite import SqliteStorage

FIELDS: dict[str, tuple[str, ...]] = {
    "air": ("pm25", "pm10"),
    "water": ("level_cm", "rain_mm"),
    "weather": ("temp_c", "humidity_pct"),
    "noise": ("laeq_db",),
}
KINDS = tuple(FIELDS)
BASE = {"pm25": 35.0, "pm10": 60.0, "level_cm": 180.0, "rain_mm": 0.4, "temp_c": 22.0,
        "humidity_pct": 75.0, "laeq_db": 58.0}  # fmt: skip
RANGES = {"24h": 1, "7d": 7, "30d": 30, "90d": 90, "1y": 365}
DAY_NS = 86400 * NS_PER_S
Progress = Callable[[str], None]


@dataclass(frozen=True)
class Source:
    index: int
    kind: str
    district: str
    name: str

    @property
    def tags(self) -> dict[str, str]:
        return {"district": self.district, "kind": self.kind, "source": self.name}


def sources(n: int) -> list[Source]:
    slugs = list(DISTRICTS)
    return [
        Source(i, KINDS[i % 4], slugs[(i // 4) % len(slugs)], f"bench-{KINDS[i % 4]}-{i:04d}")
        for i in range(n)
    ]


def values(name: str, index: np.ndarray, t_s: np.ndarray) -> np.ndarray:
    """Deterministic values: a daily wave per source plus hashed noise; shape (sources, times)."""
    phase = index[:, None] * 0.37
    wave = np.sin(2 * math.pi * (t_s[None, :] % 86400) / 86400 + phase)
    noise = ((index[:, None] * 7919 + (t_s[None, :] // 60) * 104729) % 1000) / 1000.0
    out: np.ndarray = np.round(BASE[name] * (1 + 0.3 * wave + 0.2 * noise), 3)
    return out


@dataclass
class Timings:
    samples: dict[str, list[float]] = field(default_factory=dict)

    def measure(self, name: str, call: Callable[[], object], repeat: int) -> None:
        call()  # warm-up, not counted
        for _ in range(repeat):
            began = time.perf_counter()
            call()
            self.samples.setdefault(name, []).append((time.perf_counter() - began) * 1000)

    def p(self, name: str, q: float) -> float:
        ordered = sorted(self.samples[name])
        return ordered[min(len(ordered) - 1, math.ceil(q * len(ordered)) - 1)]

    def p50(self, name: str) -> float:
        return statistics.median(self.samples[name])


@dataclass
class BackendRun:
    name: str
    load_s: dict[str, float] = field(default_factory=dict)
    timings: Timings = field(default_factory=Timings)
    references: Timings = field(default_factory=Timings)


# -- loading --------------------------------------------------------------------------------------


def _raw_chunks(
    srcs: list[Source], start_ns: int, end_ns: int, interval_s: int
) -> Iterator[list[Reading]]:
    by_kind = {k: [s for s in srcs if s.kind == k] for k in KINDS}
    step = 6 * 3600 * NS_PER_S
    for at in range(start_ns, end_ns, step):
        t_ns = np.arange(at, min(end_ns, at + step), interval_s * NS_PER_S, dtype=np.int64)
        t_s = t_ns // NS_PER_S
        chunk: list[Reading] = []
        for kind, group in by_kind.items():
            if not group:
                continue
            index = np.array([s.index for s in group])
            columns = {f: values(f, index, t_s).tolist() for f in FIELDS[kind]}
            times = t_ns.tolist()
            for row, src in enumerate(group):
                tags = src.tags
                series = [columns[f][row] for f in FIELDS[kind]]
                names = FIELDS[kind]
                chunk += [
                    Reading("sensor", t, tags, dict(zip(names, vs, strict=True)))
                    for t, *vs in zip(times, *series, strict=True)
                ]
        yield chunk


def _raw_lines(srcs: list[Source], start_ns: int, end_ns: int, interval_s: int) -> Iterator[bytes]:
    """The same points as `_raw_chunks`, as InfluxDB line protocol (no `Reading`s: faster)."""
    by_kind = {k: [s for s in srcs if s.kind == k] for k in KINDS}
    step = 6 * 3600 * NS_PER_S
    for at in range(start_ns, end_ns, step):
        t_ns = np.arange(at, min(end_ns, at + step), interval_s * NS_PER_S, dtype=np.int64)
        t_s = t_ns // NS_PER_S
        times = t_ns.tolist()
        for kind, group in by_kind.items():
            if not group:
                continue
            index = np.array([s.index for s in group])
            columns = [values(f, index, t_s).tolist() for f in FIELDS[kind]]
            lines: list[str] = []
            for row, src in enumerate(group):
                fmt = (
                    f"sensor,district={src.district},kind={kind},source={src.name} "
                    + ",".join(f"{f}=%r" for f in FIELDS[kind])
                    + " %d"
                )
                lines += map(fmt.__mod__, zip(*(c[row] for c in columns), times, strict=True))
            yield "\n".join(lines).encode()


def _tier_lines(
    srcs: list[Source], start_ns: int, end_ns: int, interval_s: int, width_s: int
) -> Iterator[bytes]:
    """The same tier buckets as `_tier_rollups`, as line protocol (`sensor_1h`…, with means),
    and the tier merged over sources (`sensor_1h_merged`: per district and kind), as
    `merge_rollups` would compute it — written at once instead of queried back."""
    by_kind = {k: [s for s in srcs if s.kind == k] for k in KINDS}
    per_bucket = width_s // interval_s
    buckets = 86400 // width_s
    name = rollup_name("sensor", width_s)
    merged = rollup_name("sensor", width_s, merged=True)
    cut = end_ns - end_ns % (width_s * NS_PER_S)  # whole buckets only
    for day in range(start_ns - start_ns % DAY_NS, cut, DAY_NS):
        t_s = np.arange(day, day + DAY_NS, interval_s * NS_PER_S, dtype=np.int64) // NS_PER_S
        starts = [day + b * width_s * NS_PER_S for b in range(buckets)]
        keep = [b for b, at in enumerate(starts) if start_ns <= at < cut]
        kept = [starts[b] for b in keep]
        lines: list[str] = []
        for kind, group in by_kind.items():
            if not group:
                continue
            index = np.array([s.index for s in group])
            members: dict[str, list[int]] = {}
            for row, src in enumerate(group):
                members.setdefault(src.district, []).append(row)
            columns, merged_columns = [], []
            for f in FIELDS[kind]:
                v = values(f, index, t_s).reshape(len(group), buckets, per_bucket)[:, keep]
                lo, hi, total = v.min(axis=2), v.max(axis=2), v.sum(axis=2)
                columns += [lo.tolist(), hi.tolist(), total.tolist(), (total / per_bucket).tolist()]
                for rows in members.values():
                    d_total = total[rows].sum(axis=0)
                    merged_columns.append([lo[rows].min(axis=0).tolist(),
                        hi[rows].max(axis=0).tolist(), d_total.tolist(),
                        (d_total / (len(rows) * per_bucket)).tolist()])  # fmt: skip
            fields = ",".join(
                f"{f}_min=%r,{f}_max=%r,{f}_sum=%r,{f}_mean=%r,{f}_count={{count}}i"
                for f in FIELDS[kind]
            )
            for row, src in enumerate(group):
                fmt = f"{name},district={src.district},kind={kind},source={src.name} {fields} %d"
                fmt = fmt.replace("{count}", str(per_bucket))
                cells = [c[row] for c in columns]
                lines += map(fmt.__mod__, zip(*cells, kept, strict=True))
            for i, (district, rows) in enumerate(members.items()):
                fmt = f"{merged},district={district},kind={kind} {fields} %d"
                fmt = fmt.replace("{count}", str(len(rows) * per_bucket))
                cells = [c for m in merged_columns[i :: len(members)] for c in m]
                lines += map(fmt.__mod__, zip(*cells, kept, strict=True))
        yield "\n".join(lines).encode()


def _tier_rollups(
    srcs: list[Source], start_ns: int, end_ns: int, interval_s: int, width_s: int
) -> Iterator[list[Reading]]:
    """Tier buckets of the same series (as if rolled up before the raw points expired)."""
    by_kind = {k: [s for s in srcs if s.kind == k] for k in KINDS}
    per_bucket = width_s // interval_s
    buckets = 86400 // width_s
    cut = end_ns - end_ns % (width_s * NS_PER_S)  # whole buckets only
    for day in range(start_ns - start_ns % DAY_NS, cut, DAY_NS):
        t_s = np.arange(day, day + DAY_NS, interval_s * NS_PER_S, dtype=np.int64) // NS_PER_S
        starts = [day + b * width_s * NS_PER_S for b in range(buckets)]
        keep = [b for b, at in enumerate(starts) if start_ns <= at < cut]
        chunk: list[Reading] = []
        for kind, group in by_kind.items():
            if not group:
                continue
            index = np.array([s.index for s in group])
            parts = {}
            for f in FIELDS[kind]:
                v = values(f, index, t_s).reshape(len(group), buckets, per_bucket)
                parts[f] = (v.min(axis=2).tolist(), v.max(axis=2).tolist(), v.sum(axis=2).tolist())
            for row, src in enumerate(group):
                for b in keep:
                    bucket_ns = starts[b]
                    fields: dict[str, float | int] = {}
                    for f, (lo, hi, total) in parts.items():
                        fields[f + "_min"] = lo[row][b]
                        fields[f + "_max"] = hi[row][b]
                        fields[f + "_sum"] = total[row][b]
                        fields[f + "_count"] = per_bucket
                    chunk.append(Reading("sensor", bucket_ns, src.tags, fields))
        yield chunk


def load(
    storage: Storage,
    srcs: list[Source],
    now_ns: int,
    days: int,
    raw_days: int,
    interval_s: int,
    progress: Progress,
    label: str,
    write_lines: Callable[[bytes, str], None] | None = None,
) -> dict[str, float]:
    """Load the synthetic history; `write_lines(body, rp)` writes line protocol straight to
    InfluxDB (faster than `Storage.write`, which is not what is measured here)."""
    end = now_ns - now_ns % (HOUR_S * NS_PER_S)  # history up to the last whole hour
    raw_start = end - raw_days * DAY_NS
    first = end - days * DAY_NS
    began = time.monotonic()
    points = 0
    if write_lines is not None:
        for body in _raw_lines(srcs, raw_start, end, interval_s):
            write_lines(body, "")
            points += body.count(b"\n") + 1
    else:
        for chunk in _raw_chunks(srcs, raw_start, end, interval_s):
            for at in range(0, len(chunk), 50_000):
                storage.write(chunk[at : at + 50_000])
            points += len(chunk)
    raw_s = time.monotonic() - began
    progress(f"{label}: {points:,} raw points in {raw_s:.0f} s")
    # The tiers as the keeper leaves them: 5-min buckets where raw points are kept, hourly and
    # 6-hour ones for every day (older days: as rolled up before their raw points expired).
    began = time.monotonic()
    rollups = 0
    storage.import_rollups(HOUR_S, [])  # creates the rollup retention policy (InfluxDB)
    for width in TIERS:
        since = raw_start if width == FIVE_MIN_S else first
        if write_lines is not None:
            rp = "" if width == FIVE_MIN_S else "rollup"
            for body in _tier_lines(srcs, since, end, interval_s, width):
                write_lines(body, rp)
                rollups += body.count(b"\n") + 1
        else:
            for chunk in _tier_rollups(srcs, since, end, interval_s, width):
                storage.import_rollups(width, chunk)
                rollups += len(chunk)
        storage.set_rollup_done(width, end - end % (width * NS_PER_S))
    import_s = time.monotonic() - began
    progress(
        f"{label}: {rollups:,} rollup buckets (5 min, 1 h, 6 h; per source and merged over"
        f" sources) in {import_s:.0f} s"
    )
    began = time.monotonic()
    rows = rebuild(storage, TimeRange(end - 6 * 3600 * NS_PER_S, end), now_ns=end)
    rebuild_s = time.monotonic() - began
    progress(
        f"{label}: rebuild of the last 6 hours from raw points ({rows:,} rows): {rebuild_s:.1f} s"
    )
    return {"raw_points": points, "raw_s": raw_s, "rebuild_s": rebuild_s, "import_s": import_s}


# -- querying -------------------------------------------------------------------------------------


def measure(
    run: BackendRun,
    storage: Storage,
    live: LiveState,
    srcs: list[Source],
    now_ns: int,
    days: int,
    raw_days: int,
    repeat: int,
    browser: bool = False,
) -> None:
    from dashboards.app import create_app
    from dashboards.drilldown import compute_view
    from dashboards.pages import environment
    from dashboards.urlstate import ViewState

    clear = getattr(storage, "clear_caches", lambda: None)
    station = next(s.name for s in srcs if s.kind == "air")
    auth_dir = tempfile.mkdtemp(prefix="ioc-bench-auth-")
    settings = load_settings(auth_db=str(Path(auth_dir) / "auth.sqlite"))
    app = create_app(settings, live=live, storage=storage)
    air = {"kind": "air"}
    for name, range_days in RANGES.items():
        if range_days > days:
            continue
        span = TimeRange(now_ns - range_days * DAY_NS, now_ns)

        def history(span: TimeRange = span, rollups: bool = True) -> object:
            clear()
            return storage.history(
                "sensor", "pm25", span, where=air, group_by=["district"], rollups=rollups
            )

        def by_district(span: TimeRange = span) -> object:
            clear()
            return storage.history(
                "sensor", "pm25", span, where=air, group_by=["district"], max_buckets=48
            )

        def one_source(span: TimeRange = span) -> object:
            clear()
            return storage.history(
                "sensor", "pm25", span, where={"source": station}, group_by=["source"]
            )

        def records(span: TimeRange = span) -> object:
            return storage.records("sensor", span, where=air, limit=1000)

        def page(name: str = name) -> object:
            clear()
            state = environment.SPEC.normalise(ViewState.from_query({"range": name}))
            with app.server.test_request_context():
                return compute_view(environment.SPEC, state, now_ns)

        t = run.timings
        t.measure(f"history_{name}", history, repeat)
        t.measure(f"by_district_{name}", by_district, repeat)
        t.measure(f"source_{name}", one_source, repeat)
        t.measure(f"records_{name}", records, repeat)
        t.measure(f"page_{name}", page, max(3, repeat // 4))
        if range_days <= raw_days:
            raw = functools.partial(history, span, False)
            run.references.measure(f"history_{name}", raw, max(2, repeat // 8))

    def live_latest() -> object:
        return live.latest("sensor")

    def scan_latest() -> object:
        return storage.latest("sensor")

    run.timings.measure("latest", live_latest, repeat)
    run.references.measure("latest", scan_latest, max(2, repeat // 8))
    if browser:
        names = [n for n, d in RANGES.items() if d <= days and n in ("24h", "90d", "30d")]
        browser_timings(run.timings, app.server, names, max(3, repeat // 4))


# Where the browser's time went: navigation start → load event (HTML, Dash and Plotly bundles),
# and → the page's figures received (the end of its largest callback answer, the view); the
# rest of `browser_<range>` is drawing them (Plotly, the grid) in the browser.
PARTS_JS = """
const nav = performance.getEntriesByType('navigation')[0];
const cbs = performance.getEntriesByType('resource')
    .filter(e => e.name.includes('_dash-update-component'))
    .sort((a, b) => b.encodedBodySize - a.encodedBodySize);
return [nav.loadEventEnd, cbs.length ? cbs[0].responseEnd : 0];
"""


def browser_timings(timings: Timings, server: Any, ranges: list[str], repeat: int) -> None:
    """Headless Chromium at 1920×1080: navigation to the environment page until its history
    chart has its traces drawn (`browser_<range>`), with its parts (`browser_load_<range>`:
    to the load event; `browser_figures_<range>`: to the view's figures received, see
    `PARTS_JS`); the first load of each range is a warm-up."""
    from selenium import webdriver
    from werkzeug.serving import make_server

    from dashboards import ids
    from ioc.devservices.wait import wait_until

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    http = make_server("127.0.0.1", 0, server, threaded=True)
    thread = threading.Thread(target=http.serve_forever, name="bench-http", daemon=True)
    thread.start()
    options = webdriver.ChromeOptions()
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1920,1080"):
        options.add_argument(arg)  # type: ignore[no-untyped-call]
    driver = webdriver.Chrome(options=options)
    base = f"http://127.0.0.1:{http.server_port}"
    _sign_in(driver, server, base)
    graph = ids.page_part("environment", ids.HISTORY)
    script = f"return document.querySelectorAll('#{graph} .scatterlayer .trace').length"

    def drawn() -> Any:
        return driver.execute_script(script)  # type: ignore[no-untyped-call]

    try:
        for name in ranges:
            url = f"{base}/environment?range={name}"
            for i in range(repeat + 1):
                driver.get("about:blank")
                began = time.perf_counter()
                driver.get(url)
                try:
                    wait_until(drawn, timeout=60, interval=0.01, message=f"chart of {url}")
                except TimeoutError as exc:  # reported, the other figures still printed
                    logging.getLogger(__name__).warning("browser: %s", exc)
                    timings.samples.setdefault(f"browser_{name}", []).append(60_000.0)
                    break
                if i:
                    timings.samples.setdefault(f"browser_{name}", []).append(
                        (time.perf_counter() - began) * 1000
                    )
                    loaded, figures = driver.execute_script(PARTS_JS)  # type: ignore[no-untyped-call]
                    timings.samples.setdefault(f"browser_load_{name}", []).append(loaded)
                    timings.samples.setdefault(f"browser_figures_{name}", []).append(figures)
    finally:
        driver.quit()
        http.shutdown()
        thread.join(timeout=10)


def _sign_in(driver: Any, server: Any, base: str) -> None:
    """A viewer in the app's own (temporary) auth store, signed in through the /login form."""
    import secrets

    from selenium.webdriver.common.by import By

    from dashboards.auth import EXTENSION
    from ioc.devservices.wait import wait_until

    password = secrets.token_urlsafe(18)
    server.extensions[EXTENSION].users.add("bench", "viewer", password)
    driver.get(f"{base}/login?next=/")
    driver.find_element(By.ID, "username").send_keys("bench")
    driver.find_element(By.ID, "password").send_keys(password)
    driver.find_element(By.ID, "login-submit").click()
    wait_until(lambda: "/login" not in driver.current_url, timeout=30, message="signed in")


def feed_live(live: LiveState, srcs: list[Source], now_ns: int) -> None:
    update = LiveUpdate()
    t_s = np.array([now_ns // NS_PER_S])
    readings = []
    for kind in KINDS:
        group = [s for s in srcs if s.kind == kind]
        if not group:
            continue
        index = np.array([s.index for s in group])
        cols = {f: values(f, index, t_s)[:, 0].tolist() for f in FIELDS[kind]}
        readings += [
            Reading("sensor", now_ns, s.tags, {f: cols[f][row] for f in FIELDS[kind]})
            for row, s in enumerate(group)
        ]
    update.add_readings(readings)
    live.apply(update)


def run_history(
    n_sources: int,
    days: int,
    *,
    raw_days: int,
    interval_s: int,
    repeat: int,
    backends: tuple[str, ...],
    progress: Progress,
    browser: bool = True,
) -> dict[str, BackendRun]:
    srcs = sources(n_sources)
    now_ns = time.time_ns()
    runs: dict[str, BackendRun] = {}
    with tempfile.TemporaryDirectory(prefix="ioc-bench-history-") as tmp:
        work = Path(tmp)
        with Redis(work / "redis") as redis_server:
            live = RedisLiveState(redis_server.url)
            feed_live(live, srcs, now_ns)
            for name in backends:
                run = BackendRun(name)
                if name == "influxdb":
                    with InfluxDB(work / "influxdb") as influxdb:
                        influxdb.create_database("ioc")
                        storage: Storage = InfluxStorage(
                            influxdb.url, "bench", "ioc", "ioc", timeout_ms=300_000
                        )
                        _one(run, storage, live, srcs, now_ns, days, raw_days, interval_s,
                             repeat, progress, browser, _engine_writer(influxdb),
                             functools.partial(_settle, influxdb))  # fmt: skip
                else:
                    storage = SqliteStorage(work / "ioc.sqlite3")
                    _one(run, storage, live, srcs, now_ns, days, raw_days, interval_s, repeat,
                         progress, browser, None)  # fmt: skip
                runs[name] = run
            live.close()
    return runs


def _one(
    run: BackendRun,
    storage: Storage,
    live: LiveState,
    srcs: list[Source],
    now_ns: int,
    days: int,
    raw_days: int,
    interval_s: int,
    repeat: int,
    progress: Progress,
    browser: bool,
    write_lines: Callable[[bytes, str], None] | None,
    settle: Callable[[], float] | None = None,
) -> None:
    try:
        run.load_s = load(
            storage, srcs, now_ns, days, raw_days, interval_s, progress, run.name, write_lines
        )
        if settle is not None:
            run.load_s["settle_s"] = waited = settle()
            progress(f"{run.name}: compactions of the loaded shards done after {waited:.0f} s")
        progress(f"{run.name}: querying")
        measure(run, storage, live, srcs, now_ns, days, raw_days, repeat, browser)
    finally:
        storage.close()


def _settle(influxdb: InfluxDB, timeout_s: float = 600) -> float:
    """Wait until the engine has no compaction running or queued (three polls in a row), so the
    queries measure the steady state, not a bulk load's background compactions; seconds waited
    (at most `timeout_s`)."""
    http = urllib3.PoolManager(timeout=urllib3.Timeout(total=30), retries=False)
    began = time.monotonic()
    quiet = 0
    while quiet < 3 and time.monotonic() - began < timeout_s:
        response = http.request(
            "POST", f"{influxdb.engine_url}/query", fields={"q": "SHOW STATS"},
            encode_multipart=False,
        )  # fmt: skip
        busy = 0
        for series in orjson.loads(response.data)["results"][0].get("series", []):
            if series["name"] == "tsm1_engine":
                wanted = [
                    i for i, c in enumerate(series["columns"]) if c.endswith(("Active", "Queue"))
                ]
                busy += sum(row[i] for row in series["values"] for i in wanted)
        quiet = quiet + 1 if busy == 0 else 0
        time.sleep(1)
    return time.monotonic() - began


def _engine_writer(influxdb: InfluxDB, database: str = "ioc") -> Callable[[bytes, str], None]:
    http = urllib3.PoolManager(timeout=urllib3.Timeout(total=300), retries=False)

    def write(body: bytes, rp: str) -> None:
        url = f"{influxdb.engine_url}/write?db={database}&precision=ns" + (
            f"&rp={rp}" if rp else ""
        )
        at = 0
        while at < len(body):  # pieces under InfluxDB's 25 MB body limit, at line ends
            cut = (
                len(body) if len(body) - at <= 8_000_000 else body.rindex(b"\n", at, at + 8_000_000)
            )
            response = http.request("POST", url, body=body[at:cut])
            if response.status != 204:
                raise RuntimeError(f"InfluxDB /write: {response.status} {response.data[:300]!r}")
            at = cut + 1

    return write


def summary(n_sources: int, days: int, runs: dict[str, BackendRun]) -> dict[str, Any]:
    return {
        "sources": n_sources,
        "days": days,
        "p95_ms": {
            name: {q: round(run.timings.p(q, 0.95), 1) for q in run.timings.samples}
            for name, run in runs.items()
        },
    }


def table(runs: dict[str, BackendRun]) -> list[str]:
    lines = [f"{'query':<18} {'backend':<9} {'p50 ms':>8} {'p95 ms':>8}   reference (raw) p50/p95"]
    for name, run in runs.items():
        for q in run.timings.samples:
            ref = ""
            if q in run.references.samples:
                r = run.references
                ref = f"   {r.p50(q):8.1f} / {r.p(q, 0.95):8.1f}"
            lines.append(
                f"{q:<18} {name:<9} {run.timings.p50(q):8.1f} {run.timings.p(q, 0.95):8.1f}{ref}"
            )
    return lines
