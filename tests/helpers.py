"""Small helpers shared by the end-to-end tests (no fixtures here: those are in conftest.py)."""

from __future__ import annotations

import threading

from ioc.settings import Settings, load_settings
from simulators.publisher import SimConfig, SimResult, run_simulation


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
