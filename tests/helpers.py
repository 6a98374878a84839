"""Small helpers shared by the end-to-end tests (no fixtures here: those are in conftest.py)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from ioc.settings import Settings, load_settings
from ioc.storage.base import TimeRange
from simulators.feeds import GENERATORS
from simulators.publisher import SimConfig, SimResult, run_simulation

if TYPE_CHECKING:
    from ioc.engine import Engine
    from ioc.live import LiveState
    from ioc.model import Reading
    from ioc.storage import Storage

# A Monday morning in Cao Bằng (08:00 +07:00), two days back: desks are open, nothing is "ahead".
_two_days_ago = datetime.now(UTC).replace(hour=1, minute=0, second=0, microsecond=0) - timedelta(2)
SIM_START = _two_days_ago - timedelta(days=_two_days_ago.weekday())
EVERYTHING = TimeRange(
    int((SIM_START - timedelta(days=1)).timestamp() * 1e9),
    int((datetime.now(UTC) + timedelta(days=2)).timestamp() * 1e9),
)
# Every feed the simulator generates (status comes from the device connections).
DATA_FEEDS: tuple[str, ...] = tuple(GENERATORS)


def settings_from_env(env: dict[str, str]) -> Settings:
    """Settings from `IOC_*` variables, without reading the process environment's own."""
    return load_settings(**{k.removeprefix("IOC_").lower(): v for k, v in env.items()})


class Background:
    """Run a simulation in a thread; `result()` joins and re-raises its error, if any."""

    def __init__(self, config: SimConfig) -> None:
        self._outcome: dict[str, object] = {}
        self._thread = threading.Thread(target=self._run, args=(config,))

    def _run(self, config: SimConfig) -> None:
        try:
            self._outcome["result"] = run_simulation(config)
        except BaseException as exc:
            self._outcome["error"] = exc

    def start(self) -> Background:
        self._thread.start()
        return self

    def result(self, timeout: float = 120.0) -> SimResult:
        self._thread.join(timeout)
        assert not self._thread.is_alive(), "simulation did not finish"
        if "error" in self._outcome:
            raise self._outcome["error"]  # type: ignore[misc]
        result = self._outcome["result"]
        assert isinstance(result, SimResult)
        return result


class EngineThread:
    """The KPI engine (`ioc.engine.Engine`) in a thread of the test, started rebuilt."""

    def __init__(self, settings: Settings, storage: Storage, live: LiveState, **kw: Any) -> None:
        from ioc.engine import Engine

        self.engine = Engine(settings, storage, live, **kw)

    def __enter__(self) -> Engine:
        self.engine.start()
        assert self.engine.wait_rebuilt(30), "the engine did not rebuild"
        return self.engine

    def __exit__(self, *exc: object) -> None:
        self.engine.stop()


def publish_as_engine(live: LiveState, readings: list[Reading], now_ms: int) -> None:
    """Put readings into the live state as the KPI engine publishes them: latest values, last
    seen, districts and the per-source facts (for tests that fill the live state directly)."""
    from ioc.engine.facts import SourceFacts
    from ioc.kpis.state import KpiState

    state = KpiState()
    state.add(readings)
    facts = SourceFacts()
    facts.add(readings)
    live.apply(facts.changes(everything=True))
    live.set_sources(facts.rows(state.seen, now_ms))
