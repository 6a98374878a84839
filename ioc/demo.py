"""`ioc demo`: the whole system in one process, with nothing but `pip install`.

An MQTT broker (the one at IOC_MQTT_URL if it answers, else amqtt embedded on that address),
the simulated province (a few hours of back-fill at full speed, then real time), the collector
with its KPI engine, storage (InfluxDB if IOC_INFLUX_URL is set, else an SQLite file in the data
directory — history survives restarts), live state (Redis if IOC_REDIS_URL is set, else in
process) and the operations center on http://127.0.0.1:8050. Ctrl-C stops it all cleanly.

Like `ioc.cli`, this is a composition root: it wires collectors, simulators and dashboards
together, importing them inside functions.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from ioc.embedded_broker import EmbeddedBroker, reachable
from ioc.errors import IocError
from ioc.settings import Settings, load_settings

Say = Callable[[str], None]


@dataclass
class DemoOptions:
    host: str = "127.0.0.1"
    port: int = 8050
    data_dir: str | None = None
    scenario: str = "normal"
    seed: int = 0
    backfill_hours: float = 3.0
    backfill_rate: float = 2000.0


class Demo:
    """Starts the parts in order and stops them in reverse; usable from tests."""

    def __init__(self, options: DemoOptions, say: Say = print, **overrides: Any) -> None:
        self.options = options
        self.say = say
        if options.data_dir:
            overrides.setdefault("data_dir", options.data_dir)
        self.settings: Settings = load_settings(**overrides)
        self.broker: EmbeddedBroker | None = None
        self._stop_simulation = threading.Event()
        self._threads: list[threading.Thread] = []
        self._closers: list[Callable[[], None]] = []

    def start(self) -> Any:
        """Start broker, storage, live state, collector and simulator; return the Dash app."""
        from collectors.collector import Collector
        from dashboards.app import create_app
        from ioc.kpis.runner import runner_from_settings
        from ioc.live import open_live_state
        from ioc.storage import open_storage

        settings = self._broker_settings()
        storage = open_storage(settings)
        self._closers.append(storage.close)
        live = open_live_state(settings)
        self._closers.append(live.close)
        where = settings.influx_url or f"SQLite {getattr(storage, 'path', '')}"
        self.say(f"storage     {where}")
        self.say(f"live state  {settings.redis_url or 'in process'}")

        collector = Collector(
            settings, storage, live, runner_from_settings(settings, live, storage)
        )
        collector.start()
        self._closers.append(collector.stop)
        if not collector.transport.wait_connected(15):
            raise IocError(f"the collector could not subscribe at {settings.mqtt_url}")
        self.say("collector   subscribed; KPI engine on")

        backfill = storage.latest("sensor").empty and self.options.backfill_hours > 0
        self._start_simulator(settings, backfill)
        app = create_app(settings, live=live, storage=storage)
        self.settings = settings
        return app

    def stop(self) -> None:
        self._stop_simulation.set()
        for thread in self._threads:
            thread.join(30)
        for close in reversed(self._closers):
            try:
                close()
            except IocError as exc:
                self.say(f"while stopping: {exc}")
        if self.broker is not None:
            self.broker.stop()
        self.say("stopped")

    def _broker_settings(self) -> Settings:
        address = self.settings.mqtt
        if reachable(address.host, address.port):
            self.say(f"broker      {self.settings.mqtt_url} (already running)")
            return self.settings
        self.broker = EmbeddedBroker(address.host, address.port)
        self.broker.start()
        self.say(f"broker      {self.broker.url} (embedded amqtt, MQTT 3.1.1)")
        return self.settings.model_copy(
            update={"mqtt_protocol": "3.1.1", "mqtt_client_id": "ioc-demo-collector"}
        )

    def _start_simulator(self, settings: Settings, backfill: bool) -> None:
        from simulators.publisher import SimConfig, run_simulation

        hours = self.options.backfill_hours if backfill else 0.0
        config = SimConfig(
            mqtt_url=settings.mqtt_url,
            scenario=self.options.scenario,
            seed=self.options.seed if backfill else int(time.time()),
            start=datetime.now(UTC) - timedelta(hours=hours),
            rate=self.options.backfill_rate,
            max_ahead_s=0.0,  # after the back-fill, real time
            protocol="mqttv5" if settings.mqtt_protocol == "5" else "mqttv311",
        )
        thread = threading.Thread(
            target=run_simulation,
            args=(config,),
            kwargs={"stop": self._stop_simulation},
            name="ioc-demo-simulator",
            daemon=True,
        )
        thread.start()
        self._threads.append(thread)
        filled = f"{hours:g} h of history first, then " if hours else ""
        self.say(f"simulator   scenario {self.options.scenario}: {filled}real time")


def run_demo(options: DemoOptions, say: Say = print) -> None:
    """Run until Ctrl-C."""
    demo = Demo(options, say)
    try:
        app = demo.start()
        say(f"open        http://{options.host}:{options.port}/   (Ctrl-C to stop)")
        app.run(host=options.host, port=options.port, debug=False)
    finally:
        demo.stop()


__all__ = ["Demo", "DemoOptions", "load_settings", "run_demo"]
