"""The simulators' part of `ioc demo` (entry-point group `ioc.demo`, see `ioc.demo`): the
province played over MQTT — a few hours of history at full speed when storage is empty, then
real time."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

from ioc.demo import DemoContext
from simulators.publisher import SimConfig, run_simulation


class SimulatorPart:
    order = 20  # after the consumers have subscribed

    def __init__(self) -> None:
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self, ctx: DemoContext) -> None:
        options = ctx.options
        backfill = ctx.storage.latest("sensor").empty and options.backfill_hours > 0
        hours = options.backfill_hours if backfill else 0.0
        config = SimConfig(
            mqtt_url=ctx.settings.mqtt_url,
            mqtt_ca_file=ctx.settings.mqtt.ca_file,
            scenario=options.scenario,
            seed=options.seed if backfill else int(time.time()),
            start=datetime.now(UTC) - timedelta(hours=hours),
            rate=options.backfill_rate,
            max_ahead_s=0.0,  # after the back-fill, real time
            protocol="mqttv5" if ctx.settings.mqtt_protocol == "5" else "mqttv311",
        )
        self._thread = threading.Thread(
            target=run_simulation,
            args=(config,),
            kwargs={"stop": self._stop},
            name="ioc-demo-simulator",
            daemon=True,
        )
        self._thread.start()
        filled = f"{hours:g} h of history first, then " if hours else ""
        ctx.say(f"simulator   scenario {options.scenario}: {filled}real time")

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(30)
            self._thread = None
