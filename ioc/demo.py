"""`ioc demo`: the whole system in one process, with nothing but `pip install`.

The core starts what is its own: an MQTT broker (amqtt embedded on a free loopback port, or the
broker IOC_MQTT_URL names when it is set), storage (InfluxDB if IOC_INFLUX_URL is set, else an
SQLite file in the data directory — history survives restarts; checkpointed at stop), live
state (Redis if IOC_REDIS_URL is set, else in process) and the KPI engine (`ioc.engine`, in
process, fed by the live state's stored-batch stream — in process too without Redis — with the
alert notifications). Everything else is a *demo part* that a package registers through the
entry-point group `ioc.demo` — today the collector, the simulated province (a few hours of
back-fill at full speed, then real time) and the operations center on http://127.0.0.1:8050.
The core names none of them:

    [project.entry-points."ioc.demo"]
    collectors = "collectors.demo:CollectorPart"

A part is made with no arguments and follows `DemoPart`: parts start in `order` (then name) and
stop in reverse; the part that serves in the foreground (the dashboard) sets `DemoContext.serve`.
Ctrl-C stops it all cleanly.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from types import FrameType
from typing import Any, Protocol
from urllib.parse import urlsplit, urlunsplit

from ioc.devservices.ports import free_port
from ioc.embedded_broker import EmbeddedBroker, reachable
from ioc.errors import IocError
from ioc.live import LiveState
from ioc.settings import Settings, load_settings
from ioc.storage import Storage

Say = Callable[[str], None]
DEMO_GROUP = "ioc.demo"
DEMO_CLIENT_ID = "ioc-demo-collector"
LOOPBACK = "127.0.0.1"


@dataclass
class DemoOptions:
    host: str = "127.0.0.1"
    port: int = 8050
    data_dir: str | None = None
    scenario: str = "normal"
    seed: int = 0
    backfill_hours: float = 3.0
    backfill_rate: float = 2000.0


@dataclass
class DemoContext:
    """What the core gives every part: settings (with the broker's), storage, live state."""

    options: DemoOptions
    settings: Settings
    storage: Storage
    live: LiveState
    say: Say
    # Set by the one part that holds the foreground until Ctrl-C (the dashboard's web server).
    serve: Callable[[], None] | None = None
    # Set with `serve`: ends it from another thread (a signal handler asks for it).
    shutdown: Callable[[], None] | None = None
    extras: dict[str, Any] = field(default_factory=dict)


class DemoPart(Protocol):
    """One piece of the demo, contributed by a package (entry-point group `ioc.demo`)."""

    order: int  # lower starts first: 10 consumers, 20 producers, 90 the foreground server

    def start(self, ctx: DemoContext) -> None: ...

    def stop(self) -> None: ...


def demo_parts() -> list[DemoPart]:
    """Every registered part, made, in start order."""
    registered = sorted(entry_points(group=DEMO_GROUP), key=lambda e: e.name)
    if not registered:
        raise IocError(
            f"no package registers a demo part (entry points {DEMO_GROUP!r}): reinstall the "
            "project (scripts/setup.sh or pip install -e .)"
        )
    made: list[tuple[int, str, DemoPart]] = []
    for entry in registered:
        part: DemoPart = entry.load()()
        made.append((part.order, entry.name, part))
    return [part for _, _, part in sorted(made, key=lambda m: (m[0], m[1]))]


class Demo:
    """Starts the parts in order and stops them in reverse; usable from tests."""

    def __init__(self, options: DemoOptions, say: Say = print, **overrides: Any) -> None:
        self.options = options
        self.say = say
        if options.data_dir:
            overrides.setdefault("data_dir", options.data_dir)
        self.settings: Settings = load_settings(**overrides)
        self.broker: EmbeddedBroker | None = None
        self._closers: list[Callable[[], None]] = []

    def start(self, parts: list[DemoPart] | None = None) -> DemoContext:
        """Start broker, storage, live state, then every part; return what they share."""
        from ioc.engine import Engine
        from ioc.engine.runner import runner_from_settings
        from ioc.live import open_live_state
        from ioc.storage import open_storage

        parts = demo_parts() if parts is None else parts
        settings = self._broker_settings()
        storage = open_storage(settings)
        self._closers.append(storage.close)
        live = open_live_state(settings)
        self._closers.append(live.close)
        where = settings.influx_url or f"SQLite {getattr(storage, 'path', '')}"
        self.say(f"storage     {where}")
        self.say(f"live state  {settings.redis_url or 'in process'}")
        self.settings = settings
        runner = runner_from_settings(settings, live, storage)
        notifier = runner.notifier
        if notifier is not None:  # stopped after the engine that submits to it
            notifier.start()
            self._closers.append(notifier.stop)
            self.say("notify      alert notifications on (IOC_ALERT_RULES_FILE routes)")
        engine = Engine(settings, storage, live, runner=runner).start()
        self._closers.append(engine.stop)
        self.say("KPI engine  in process, folding the stored-batch stream")
        ctx = DemoContext(self.options, settings, storage, live, self.say)
        for part in parts:
            part.start(ctx)
            self._closers.append(part.stop)
        return ctx

    def stop(self) -> None:
        for close in reversed(self._closers):
            try:
                close()
            except IocError as exc:
                self.say(f"while stopping: {exc}")
        self._closers.clear()
        if self.broker is not None:
            self.broker.stop()
        self.say("stopped")

    def _broker_settings(self) -> Settings:
        """The broker: the one IOC_MQTT_URL names when it is set explicitly (embedded amqtt
        on that address if nothing answers there), else our own embedded amqtt on a free
        loopback port — never a broker that merely happens to listen on 1883. The demo's
        collector uses its own client id (`ioc-demo-collector`) unless IOC_MQTT_CLIENT_ID is
        set, so it never takes over a production collector's session."""
        given = self.settings.model_fields_set
        update: dict[str, Any] = {}
        if "mqtt_client_id" not in given:
            update["mqtt_client_id"] = DEMO_CLIENT_ID
        client_id = update.get("mqtt_client_id", self.settings.mqtt_client_id)
        if "mqtt_url" in given:
            address = self.settings.mqtt
            if reachable(address.host, address.port):
                self.say(
                    f"broker      {_shown(self.settings.mqtt_url)} (IOC_MQTT_URL, already "
                    f"running; client id {client_id})"
                )
                return self.settings.model_copy(update=update)
            host, port = address.host, address.port
            why = "IOC_MQTT_URL, nothing answered there"
        else:
            host, port = LOOPBACK, free_port()
            why = "a free port; set IOC_MQTT_URL to use another broker"
        self.broker = EmbeddedBroker(host, port)
        self.broker.start()
        self.say(f"broker      {self.broker.url} (embedded amqtt, MQTT 3.1.1; {why})")
        update.update(mqtt_protocol="3.1.1", mqtt_url=self.broker.url)
        return self.settings.model_copy(update=update)


def _shown(url: str) -> str:
    """The URL without its password."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
    return urlunsplit(parts._replace(netloc=netloc))


def run_demo(options: DemoOptions, say: Say = print) -> None:
    """Run until Ctrl-C or SIGTERM. Both are handled here — also when SIGINT was inherited as
    ignored (`cmd &` in a script) —: the first one asks the foreground server to shut down
    (from another thread, no exception raised into arbitrary code), then everything stops in
    reverse order and "stopped" is said; later signals wait for that."""
    demo = Demo(options, say)
    stopping = threading.Event()
    started: list[DemoContext] = []

    def on_signal(signum: int, frame: FrameType | None) -> None:
        if stopping.is_set():
            return
        stopping.set()
        shutdown = started[0].shutdown if started else None
        if shutdown is not None:
            threading.Thread(target=shutdown, name="ioc-demo-shutdown", daemon=True).start()
        elif not started:
            raise KeyboardInterrupt  # still starting: unwind to the `finally` below

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        ctx = demo.start()
        started.append(ctx)
        if stopping.is_set():
            return
        if ctx.serve is not None:
            ctx.serve()
        else:
            say("running     (Ctrl-C to stop)")
            stopping.wait()
    finally:
        demo.stop()
        for signum, handler in previous.items():
            signal.signal(signum, handler)


__all__ = [
    "Demo",
    "DemoContext",
    "DemoOptions",
    "DemoPart",
    "demo_parts",
    "load_settings",
    "run_demo",
]
