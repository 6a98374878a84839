"""The part every dev service shares: run one server binary as a child process, safely.

A service is started in its own session with its output appended to `<workdir>/<name>.log`,
confirmed ready by polling a probe with a deadline (never a bare sleep), and stopped with SIGTERM
(SIGKILL after a grace period). If the process dies during start-up, `DevServiceError` carries the
tail of its log. Running services are stopped at interpreter exit (`atexit`) and, should this
process die without running its exit handlers, killed by the watchdog in `reaper`.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import signal
import subprocess
import threading
from abc import ABC, abstractmethod
from pathlib import Path
from types import TracebackType
from typing import ClassVar, Self

from ioc.devservices import reaper
from ioc.devservices.wait import wait_until

LOG_TAIL_LINES = 40


class DevServiceError(RuntimeError):
    """A dev service could not be started or used (missing binary, early exit, bad config...)."""


class ServiceProcess(ABC):
    """One server process in `workdir`; subclasses say how to prepare, run and probe it."""

    name: ClassVar[str]
    binary: ClassVar[str]
    start_timeout: ClassVar[float] = 30.0
    stop_timeout: ClassVar[float] = 15.0

    def __init__(self, workdir: Path) -> None:
        self.workdir = Path(workdir)
        self._proc: subprocess.Popen[bytes] | None = None
        self._log_offset = 0

    # -- what subclasses provide -------------------------------------------------------------

    @abstractmethod
    def _prepare(self) -> None:
        """Choose ports (first start only), create directories, write config files."""

    @abstractmethod
    def _arguments(self) -> list[str]:
        """The server's command-line arguments (without the binary)."""

    @abstractmethod
    def _is_ready(self) -> bool:
        """One cheap readiness probe; must not raise for "not yet"."""

    def _environment(self) -> dict[str, str]:
        return dict(os.environ)

    # -- lifecycle -----------------------------------------------------------------------------

    @property
    def log_path(self) -> Path:
        return self.workdir / f"{self.name}.log"

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    def start(self) -> None:
        """Start the server and wait until it answers. Does nothing if it is already running."""
        if self.running:
            return
        self._proc = None
        executable = shutil.which(self.binary)
        if executable is None:
            raise DevServiceError(f"{self.name}: `{self.binary}` not found on PATH")
        self.workdir.mkdir(parents=True, exist_ok=True)
        self._prepare()
        argv = [executable, *self._arguments()]
        self._log_offset = self.log_path.stat().st_size if self.log_path.exists() else 0
        with open(self.log_path, "ab") as log:
            proc = subprocess.Popen(
                argv,
                cwd=self.workdir,
                env=self._environment(),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self._proc = proc
        reaper.track(proc.pid)
        _running.add(self)
        try:
            wait_until(
                self._started,
                timeout=self.start_timeout,
                interval=0.01,
                message=f"{self.name} ready ({' '.join(argv)})",
            )
        except TimeoutError as exc:
            self.kill()
            raise DevServiceError(f"{exc}\n{self._log_tail()}") from None
        except DevServiceError:
            self._forget()
            raise

    def stop(self) -> None:
        """SIGTERM and wait (SIGKILL after `stop_timeout` s). Does nothing if not running."""
        proc = self._proc
        if proc is None:
            return
        if proc.poll() is None:
            self._signal(signal.SIGTERM)
            try:
                proc.wait(self.stop_timeout)
            except subprocess.TimeoutExpired:
                self._signal(signal.SIGKILL)
                proc.wait()
        self._forget()

    def kill(self) -> None:
        """SIGKILL (a crash: nothing is flushed) and wait. Does nothing if not running."""
        proc = self._proc
        if proc is None:
            return
        if proc.poll() is None:
            self._signal(signal.SIGKILL)
            proc.wait()
        self._forget()

    def restart(self) -> None:
        """Stop (gracefully) and start again on the same port(s) with the same data."""
        self.stop()
        self.start()

    def close(self) -> None:
        """Release everything this service holds. Here the same as `stop`."""
        self.stop()

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- helpers -------------------------------------------------------------------------------

    def _started(self) -> bool:
        proc = self._proc
        assert proc is not None
        code = proc.poll()
        if code is not None:
            raise DevServiceError(
                f"{self.name} exited with code {code} during start-up\n{self._log_tail()}"
            )
        return self._is_ready()

    def _signal(self, sig: signal.Signals) -> None:
        assert self._proc is not None
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self._proc.pid, sig)  # own session: pid == process-group id

    def _forget(self) -> None:
        if self._proc is not None:
            reaper.untrack(self._proc.pid)
        self._proc = None
        _running.discard(self)

    def _log_tail(self) -> str:
        try:
            with open(self.log_path, "rb") as log:
                log.seek(self._log_offset)
                text = log.read().decode("utf-8", "replace")
        except OSError as exc:
            return f"(no log: {exc})"
        lines = text.splitlines()[-LOG_TAIL_LINES:]
        return f"--- {self.log_path} (last {len(lines)} lines) ---\n" + "\n".join(lines)

    def _require_port(self, port: int | None) -> int:
        if port is None:
            raise DevServiceError(f"{self.name}: not started yet, no port chosen")
        return port


class _Running:
    """The services started and not yet stopped by this process, stopped at exit."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._services: set[ServiceProcess] = set()
        atexit.register(self.stop_all)

    def add(self, service: ServiceProcess) -> None:
        with self._lock:
            self._services.add(service)

    def discard(self, service: ServiceProcess) -> None:
        with self._lock:
            self._services.discard(service)

    def stop_all(self) -> None:
        with self._lock:
            services = list(self._services)
        for service in services:
            try:
                service.close()
            except Exception:  # best effort at exit: keep stopping the others
                service.kill()


_running = _Running()
