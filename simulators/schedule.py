"""The deterministic event schedule: which device speaks next, in simulated time.

A priority queue holds (next simulated time, device index); popping it gives the next device to
speak, which is pushed back one `interval_s` later, so every device speaks at its own interval
and its timestamps strictly increase (whole seconds; a desk may stay silent at a turn). Devices
start at seeded offsets within their first interval so they do not all speak at once. Nothing
here knows MQTT or real time: the publisher pops messages at the requested real rate, so
simulated time may run faster (or slower) than the wall clock.

Reproducible: each device draws from its own `random.Random(f"{seed}:{source_id}")` and bad
messages from `random.Random(f"{seed}:bad")`, so the same seed, scenario and start give the same
sequence of (topic, payload bytes), and the valid messages do not depend on `bad_ratio`.

    Simulation(seed, scenario, start, horizon=None, bad_ratio=0.0)   an endless iterator
    iter_messages(seed, scenario, start, count=None, bad_ratio=0.0)  count messages (or endless)
    SimMessage                                                       one message to publish
"""

from __future__ import annotations

import heapq
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson

from simulators import bad, rhythm
from simulators.city import all_devices
from simulators.devices import Device
from simulators.feeds import GENERATORS
from simulators.scenarios import Scenario, get_scenario


@dataclass(frozen=True, slots=True)
class SimMessage:
    """One message to publish.

    `data` is the decoded payload of a valid message (for a SenML sensor, the equivalent JSON
    object form `{"ts", "kind", "values"}`); `reason` is, for an invalid one, the
    `PayloadRejected` reason a collector must give. `time_s` is its simulated epoch second.
    """

    feed: str
    topic: str
    payload: bytes
    valid: bool
    source: str
    time_s: int = 0
    data: Any = None
    reason: str = ""


class Simulation:
    """An endless, reproducible stream of `SimMessage`s for the province's devices.

    `horizon` is the number of messages the run will take, if known: the scenario's progress
    is then the fraction taken so far; without it, progress is simulated time modulo the
    scenario's `period_s`. `bad_ratio` is the probability that a message is a bad one.
    """

    def __init__(
        self,
        seed: int = 0,
        scenario: Scenario | str = "normal",
        start: datetime | None = None,
        *,
        horizon: int | None = None,
        bad_ratio: float = 0.0,
        devices: Sequence[Device] | None = None,
    ) -> None:
        if not 0.0 <= bad_ratio < 1.0:
            raise ValueError(f"bad_ratio must be in [0, 1), got {bad_ratio!r}")
        if horizon is not None and horizon <= 0:
            raise ValueError(f"horizon must be positive, got {horizon!r}")
        self.scenario = scenario if isinstance(scenario, Scenario) else get_scenario(scenario)
        self.devices: tuple[Device, ...] = tuple(devices) if devices is not None else all_devices()
        if len({d.source_id for d in self.devices}) != len(self.devices):
            raise ValueError("device source ids must be unique")
        self.start_s = rhythm.epoch(start if start is not None else datetime.now(UTC))
        self.horizon = horizon
        self.bad_ratio = bad_ratio
        self.emitted = 0
        self.now_s = self.start_s
        self._bad_rng = random.Random(f"{seed}:bad")
        self._rngs = [random.Random(f"{seed}:{d.source_id}") for d in self.devices]
        # one generator per feed (simulators/feeds/<feed>.py), with its devices
        self._gens = {
            feed: module.generator([d for d in self.devices if d.feed == feed])
            for feed, module in GENERATORS.items()
        }
        offsets = random.Random(f"{seed}:schedule")
        self._queue = [
            (self.start_s + offsets.randrange(d.interval_s), i) for i, d in enumerate(self.devices)
        ]
        heapq.heapify(self._queue)

    @property
    def sim_time(self) -> datetime:
        """Simulated time of the latest message (the start before the first)."""
        return datetime.fromtimestamp(self.now_s, UTC)

    def progress(self) -> float:
        """How far the run is along its scenario, 0–1."""
        if self.horizon is not None:
            return min(1.0, self.emitted / self.horizon)
        period = self.scenario.period_s
        return ((self.now_s - self.start_s) % period) / period

    def __iter__(self) -> Iterator[SimMessage]:
        return self

    def __next__(self) -> SimMessage:
        p = self.progress()
        if self.bad_ratio and self._bad_rng.random() < self.bad_ratio:
            msg = self._bad(p)
        else:
            msg = self._valid(p)
        self.emitted += 1
        return msg

    def _valid(self, p: float) -> SimMessage:
        while True:
            t, i = self._queue[0]
            device = self.devices[i]
            heapq.heapreplace(self._queue, (t + device.interval_s, i))
            made = self._gens[device.feed].valid(device, t, self._rngs[i], self.scenario, p)
            if made is None:  # silent at this turn
                continue
            wire, data = made
            self.now_s = t
            return SimMessage(
                feed=device.feed,
                topic=device.topic,
                payload=orjson.dumps(wire),
                valid=True,
                source=device.source_id,
                time_s=t,
                data=data,
            )

    def _bad(self, p: float) -> SimMessage:
        rng = self._bad_rng
        device = rng.choice(self.devices)
        t = self.now_s
        template = self._gens[device.feed].template(device, t, rng, self.scenario, p)
        b = bad.make_bad(device, t, template, rng)
        return SimMessage(device.feed, b.topic, b.payload, False, b.source, t, None, b.reason)


def iter_messages(
    seed: int,
    scenario: Scenario | str = "normal",
    start: datetime | None = None,
    count: int | None = None,
    bad_ratio: float = 0.0,
) -> Iterator[SimMessage]:
    """`count` messages of a fresh simulation (endless if None), with no MQTT involved."""
    sim = Simulation(seed, scenario, start, horizon=count, bad_ratio=bad_ratio)
    if count is None:
        yield from sim
        return
    for _ in range(count):
        yield next(sim)
