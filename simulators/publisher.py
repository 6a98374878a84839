"""Publish a simulation over real MQTT: `run_simulation(SimConfig) -> SimResult`.

Data go through one paho 2.x connection (VERSION2 callbacks, MQTT v5 by default or v3.1.1) at
QoS 1, paced by a token bucket at `rate` messages per second (or, with `speed`, by simulated
time: `speed=1` is real time), until `count` messages or `duration` seconds or `stop` is set or
Ctrl-C. Simulated time may so run ahead of the wall clock; collectors refuse readings more than
a day ahead of their receipt, so long fast runs from "now" should set `max_ahead_s` (publishing
then waits) or start in the past. A message counts as sent only once the broker acknowledged
it (PUBACK); at the end the publisher waits for every outstanding acknowledgement up to
`ack_timeout_s`. Each device also has its own status connection (`simulators.status`):
`online` retained at the start, `offline` as its Last Will and published explicitly at the end.

    run_simulation(config, progress=None, stop=None) -> SimResult
    SimConfig, SimProgress, SimResult

Errors: `ValueError` for a bad config (before any connection), `ioc.errors.BrokerError` /
`BrokerAuthError` when the broker cannot be reached or refuses us.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

import orjson
import paho.mqtt.client as mqtt

from ioc.errors import BrokerError
from ioc.feeds import FEEDS
from ioc.settings import parse_mqtt_url
from simulators.scenarios import get_scenario
from simulators.schedule import SimMessage, Simulation
from simulators.status import DeviceStatus, connect_error, make_client

log = logging.getLogger(__name__)

PROTOCOLS = {"mqttv5": mqtt.MQTTv5, "mqttv311": mqtt.MQTTv311}
FEED_KEYS = tuple(FEEDS)
PROGRESS_EVERY_S = 1.0
BURST_S = 0.05  # the token bucket holds at most this many seconds' worth of messages


@dataclass(frozen=True, slots=True)
class SimConfig:
    """What to simulate and where to publish it. Checked on creation (ValueError)."""

    mqtt_url: str = "mqtt://127.0.0.1:1883"
    mqtt_ca_file: str | None = None  # CA (PEM) to verify an mqtts:// broker; None = system CAs
    scenario: str = "normal"
    seed: int = 0
    start: datetime | None = None  # simulated start; None = now (UTC)
    rate: float = 100.0  # data messages per second (valid + bad)
    count: int | None = None  # stop after this many data messages
    duration: float | None = None  # stop after this many seconds
    speed: float | None = None  # pace by simulated time instead: simulated s per real s
    max_ahead_s: float | None = None  # never let simulated time run further ahead of the clock
    bad_ratio: float = 0.0
    flood_district: str | None = None  # the flood scenario's district
    protocol: str = "mqttv5"  # or "mqttv311"
    qos: int = 1
    client_id: str | None = None  # prefix of the client ids; None = ioc-sim-<random>
    device_status: bool = True  # one status connection per device
    device_logins: bool = False  # each status connection logs in as its device (user = id)
    max_inflight: int = 1000
    max_outstanding: int = 20_000  # published but unacknowledged before publishing waits
    keepalive_s: int = 60
    connect_timeout_s: float = 15.0
    ack_timeout_s: float = 30.0

    def __post_init__(self) -> None:
        parse_mqtt_url(self.mqtt_url)
        get_scenario(self.scenario, flood_district=self.flood_district)
        checks = {
            "rate": self.rate > 0,
            "count": self.count is None or self.count >= 0,
            "duration": self.duration is None or self.duration >= 0,
            "speed": self.speed is None or self.speed > 0,
            "max_ahead_s": self.max_ahead_s is None or self.max_ahead_s >= 0,
            "bad_ratio": 0.0 <= self.bad_ratio < 1.0,
            "protocol": self.protocol in PROTOCOLS,
            "qos": self.qos in (0, 1),
            "max_inflight": self.max_inflight >= 1,
            "max_outstanding": self.max_outstanding >= 1,
        }
        for name, ok in checks.items():
            if not ok:
                raise ValueError(f"SimConfig.{name} = {getattr(self, name)!r} is not valid")


@dataclass(frozen=True, slots=True)
class SimProgress:
    """Counts so far, handed to the progress callback about once a second."""

    sent: dict[str, int]
    bad: int
    published: int
    elapsed_s: float
    sim_time: datetime


@dataclass
class SimResult:
    """What the broker acknowledged. `last_by_source`: the last valid payload (JSON-object
    form) acknowledged per source id. `published` counts data messages handed to the client."""

    sent: dict[str, int]
    bad: int
    last_by_source: dict[str, dict[str, Any]]
    published: int = 0
    unacked: int = 0
    elapsed_s: float = 0.0
    sim_start: datetime | None = None
    sim_end: datetime | None = None
    interrupted: bool = False

    def to_json_line(self) -> str:
        """`{"sent": {"sensor": n, "camera": n, "servicedesk": n, "status": n}, "bad": n}`."""
        sent = {key: self.sent.get(key, 0) for key in FEED_KEYS}
        return orjson.dumps({"sent": sent, "bad": self.bad}).decode()


@dataclass
class _Outbox:
    """Published messages awaiting their PUBACK, and what was acknowledged."""

    cond: threading.Condition = field(default_factory=threading.Condition)
    pending: dict[int, SimMessage] = field(default_factory=dict)
    early: dict[int, bool] = field(default_factory=dict)  # acks that beat `track`
    sent: dict[str, int] = field(default_factory=lambda: dict.fromkeys(FEED_KEYS, 0))
    bad: int = 0
    last: dict[str, tuple[int, dict[str, Any]]] = field(default_factory=dict)

    def on_publish(self, client: mqtt.Client, userdata: Any, mid: int, rc: Any, props: Any) -> None:
        ok = not rc.is_failure
        with self.cond:
            msg = self.pending.pop(mid, None)
            if msg is None:
                self.early[mid] = ok
                return
            self._count(msg, ok)
            self.cond.notify_all()

    def track(self, mid: int, msg: SimMessage) -> None:
        # Never hold our lock while calling paho: it calls on_publish holding its own.
        with self.cond:
            ok = self.early.pop(mid, None)
            if ok is None:
                self.pending[mid] = msg
            else:
                self._count(msg, ok)

    def _count(self, msg: SimMessage, ok: bool) -> None:
        if not ok:
            return
        if not msg.valid:
            self.bad += 1
            return
        self.sent[msg.feed] += 1
        previous = self.last.get(msg.source)
        if previous is None or previous[0] <= msg.time_s:
            self.last[msg.source] = (msg.time_s, msg.data)

    def outstanding(self) -> int:
        with self.cond:
            return len(self.pending)

    def wait_below(self, limit: int, timeout: float) -> bool:
        """Wait until fewer than `limit` messages await their ack; False on timeout."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while len(self.pending) >= limit:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self.cond.wait(left)
            return True


def _horizon(cfg: SimConfig) -> int | None:
    if cfg.count is not None:
        return max(1, cfg.count)
    if cfg.duration is not None and cfg.speed is None:
        return max(1, round(cfg.rate * cfg.duration))
    return None


def _connect(client: mqtt.Client, cfg: SimConfig) -> None:
    address = replace(parse_mqtt_url(cfg.mqtt_url), ca_file=cfg.mqtt_ca_file)
    connected = threading.Event()
    outcome: list[Any] = []

    def on_connect(c: mqtt.Client, userdata: Any, flags: Any, rc: Any, props: Any) -> None:
        outcome.append(rc)
        connected.set()

    client.on_connect = on_connect
    try:
        client.connect(address.host, address.port, cfg.keepalive_s)
    except OSError as exc:
        raise BrokerError(
            f"cannot reach the MQTT broker at {address.host}:{address.port}: {exc}"
        ) from None
    client.loop_start()
    if not connected.wait(cfg.connect_timeout_s):
        client.loop_stop()
        raise BrokerError(
            f"no answer (CONNACK) from the MQTT broker within {cfg.connect_timeout_s:g} s"
        )
    if outcome[0].is_failure:
        client.disconnect()
        client.loop_stop()
        raise connect_error(outcome[0])


class _Run:
    """One publishing run: the pump loop and its clean finish."""

    def __init__(
        self,
        cfg: SimConfig,
        progress: Callable[[SimProgress], None] | None,
        stop: threading.Event | None,
    ) -> None:
        self.cfg = cfg
        self.progress = progress
        self.stop = stop or threading.Event()
        scenario = get_scenario(cfg.scenario, flood_district=cfg.flood_district)
        self.sim = Simulation(
            cfg.seed, scenario, cfg.start, horizon=_horizon(cfg), bad_ratio=cfg.bad_ratio
        )
        self.outbox = _Outbox()
        self.published = 0
        self.started = time.monotonic()
        self.prefix = cfg.client_id or f"ioc-sim-{uuid.uuid4().hex[:8]}"
        address = replace(parse_mqtt_url(cfg.mqtt_url), ca_file=cfg.mqtt_ca_file)
        protocol = PROTOCOLS[cfg.protocol]
        self.client = make_client(address, self.prefix, protocol)
        self.client.max_inflight_messages_set(cfg.max_inflight)
        self.client.max_queued_messages_set(0)
        self.client.on_publish = self.outbox.on_publish
        self.statuses = (
            DeviceStatus(
                address,
                self.sim.devices,
                client_prefix=self.prefix,
                protocol=protocol,
                keepalive_s=cfg.keepalive_s,
                device_logins=cfg.device_logins,
            )
            if cfg.device_status
            else None
        )

    def _time_left(self) -> float:
        if self.cfg.duration is None:
            return float("inf")
        return self.cfg.duration - (time.monotonic() - self.started)

    def _done(self) -> bool:
        count = self.cfg.count
        return (
            self.stop.is_set()
            or (count is not None and self.published >= count)
            or self._time_left() <= 0
        )

    def report(self) -> None:
        if self.progress is None:
            return
        with self.outbox.cond:
            sent, bad = dict(self.outbox.sent), self.outbox.bad
        if self.statuses is not None:
            sent["status"] = self.statuses.sent
        elapsed = time.monotonic() - self.started
        self.progress(SimProgress(sent, bad, self.published, elapsed, self.sim.sim_time))

    def _due(self, msg: SimMessage) -> float:
        """The monotonic time before which `msg` must not be published (speed, max_ahead_s)."""
        due = 0.0
        if self.cfg.speed is not None:
            due = self.started + (msg.time_s - self.sim.start_s) / self.cfg.speed
        if self.cfg.max_ahead_s is not None:
            ahead = msg.time_s - time.time() - self.cfg.max_ahead_s
            due = max(due, time.monotonic() + ahead)
        return due

    def _wait_due(self, msg: SimMessage) -> bool:
        """Wait until `msg` may be published; False if the run ended first."""
        due = self._due(msg)
        while (wait := due - time.monotonic()) > 0:
            if self._done():
                return False
            time.sleep(min(wait, 0.25, max(self._time_left(), 0.0)))
        return True

    def pump(self) -> None:
        cfg = self.cfg
        burst = max(1.0, cfg.rate * BURST_S)
        tokens, last = 1.0, time.monotonic()
        next_report = last + PROGRESS_EVERY_S
        while not self._done():
            now = time.monotonic()
            if now >= next_report:
                self.report()
                next_report = now + PROGRESS_EVERY_S
            tokens = min(burst, tokens + (now - last) * cfg.rate)
            last = now
            if tokens < 1.0:
                time.sleep(min((1.0 - tokens) / cfg.rate, 0.1, max(self._time_left(), 0.0)))
                continue
            if not self.outbox.wait_below(cfg.max_outstanding, 0.1):
                continue
            batch = int(tokens)
            if cfg.count is not None:
                batch = min(batch, cfg.count - self.published)
            for _ in range(batch):
                msg = next(self.sim)
                if (cfg.speed or cfg.max_ahead_s is not None) and not self._wait_due(msg):
                    return
                info = self.client.publish(msg.topic, msg.payload, qos=cfg.qos)
                self.published += 1
                if info.rc != mqtt.MQTT_ERR_QUEUE_SIZE:
                    self.outbox.track(info.mid, msg)
            tokens -= batch

    def finish(self) -> None:
        """Wait for outstanding acks, say every device is offline, disconnect."""
        deadline = time.monotonic() + self.cfg.ack_timeout_s
        if not self.outbox.wait_below(1, self.cfg.ack_timeout_s):
            log.warning(
                "%d messages not acknowledged within %g s",
                self.outbox.outstanding(),
                self.cfg.ack_timeout_s,
            )
        try:
            if self.statuses is not None:
                self.statuses.stop(max(1.0, deadline - time.monotonic()))
        except BrokerError as exc:
            log.warning("device status: %s", exc)
        finally:
            self.client.disconnect()
            self.client.loop_stop()

    def result(self, interrupted: bool) -> SimResult:
        with self.outbox.cond:
            sent = dict(self.outbox.sent)
            sent["status"] = self.statuses.sent if self.statuses is not None else 0
            return SimResult(
                sent=sent,
                bad=self.outbox.bad,
                last_by_source={src: data for src, (_, data) in self.outbox.last.items()},
                published=self.published,
                unacked=len(self.outbox.pending),
                elapsed_s=time.monotonic() - self.started,
                sim_start=datetime.fromtimestamp(self.sim.start_s, UTC),
                sim_end=self.sim.sim_time,
                interrupted=interrupted,
            )


def run_simulation(
    config: SimConfig,
    progress: Callable[[SimProgress], None] | None = None,
    stop: threading.Event | None = None,
) -> SimResult:
    """Publish the simulation `config` describes; return what the broker acknowledged.

    `progress` is called about once a second from this thread; setting `stop` (from another
    thread) or Ctrl-C ends the run cleanly, and the result is still returned.
    """
    run = _Run(config, progress, stop)
    _connect(run.client, config)
    interrupted = False
    try:
        try:
            if run.statuses is not None:
                run.statuses.start(config.connect_timeout_s)
            run.started = time.monotonic()
            run.pump()
        except KeyboardInterrupt:
            interrupted = True
    finally:
        try:
            run.finish()
            run.report()
        except KeyboardInterrupt:
            interrupted = True
    return run.result(interrupted)
