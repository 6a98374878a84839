"""Payload generators, one module per feed: device + simulated time + rng + scenario → payload.

    sensor.payload(sensor, t, rng, scenario, progress)      JSON object or SenML array
    camera.payload(camera, t, rng, scenario, progress)      JSON object (epoch-ms `ts`)
    servicedesk.DeskSimulator(desk, tickets).step(t, ...)   a ticket event, or None

`t` is simulated epoch seconds; `progress` (0–1) is how far the run is along its scenario.
Each module also provides the generator interface of `simulators.feeds.base` (`generator`,
`BAD_KINDS`, `refuses`, `mutate`); `GENERATORS` finds the module of every catalogue feed by its
name (`status` has none: the publisher's device clients send it), so the schedule and the
bad-message maker never name a feed.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from ioc.feeds import FEEDS


def _module(name: str) -> ModuleType | None:
    try:
        return importlib.import_module(f"{__name__}.{name}")
    except ModuleNotFoundError as exc:
        if exc.name != f"{__name__}.{name}":
            raise
        return None


GENERATORS: dict[str, ModuleType] = {
    name: module for name in FEEDS if (module := _module(name)) is not None
}
