"""`ioc collect --workers N`: N collector processes on one `$share` group, supervised.

One Python process drains one MQTT connection on one core (the GIL); N worker processes on one
share group split the load, each with its own persistent session. Worker `i` (1…N) is an
ordinary `ioc collect` with these settings changed from the supervisor's:

- `IOC_MQTT_CLIENT_ID`: `<client id>-<i>`;
- the user in `IOC_MQTT_URL`: `<user>-<i>` (same password) — the broker ties each client id to
  its user (`use_username_as_clientid`), so every replica signs in as its own user: with
  `mqtt://collector:…@…` the workers are `collector-1`, `collector-2`, … as in
  deploy/mosquitto/acl;
- `IOC_MQTT_SHARE_GROUP`: the supervisor's, or `collectors` when it has none (N sessions without
  a share group would each store every message);
- `IOC_METRICS_PORT`: `<port> + i - 1` when set, so each worker serves its own /metrics.

The supervisor restarts a worker that exits (after 1 s, doubling to 30 s while it keeps dying
within a minute), stops them all — SIGTERM, each stores and acknowledges its current batch — on
SIGTERM or Ctrl-C, and gives up (stopping the others) when a worker exits 2: a configuration or
credential error that restarting cannot fix.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from urllib.parse import quote, unquote, urlsplit, urlunsplit

from ioc.settings import Settings

log = logging.getLogger(__name__)

DEFAULT_GROUP = "collectors"
FATAL_EXIT = 2
RESTART_MIN_S = 1.0
RESTART_MAX_S = 30.0
HEALTHY_AFTER_S = 60.0
STOP_WAIT_S = 30.0
WORKER_COMMAND = (sys.executable, "-c", "from ioc.cli import main; main()", "collect")


def worker_url(url: str, number: int) -> str:
    """The MQTT URL with `-<number>` appended to its user (unchanged without a user)."""
    parts = urlsplit(url)
    if not parts.username:
        return url
    user = quote(f"{unquote(parts.username)}-{number}", safe="")
    secret = parts.password
    password = f":{quote(unquote(secret), safe='')}" if secret is not None else ""
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    port = f":{parts.port}" if parts.port is not None else ""
    return urlunsplit((parts.scheme, f"{user}{password}@{host}{port}", parts.path, "", ""))


def worker_env(settings: Settings, number: int) -> dict[str, str]:
    """The environment changes for worker `number` (see the module docstring)."""
    env = {
        "IOC_MQTT_CLIENT_ID": f"{settings.mqtt_client_id}-{number}",
        "IOC_MQTT_URL": worker_url(settings.mqtt_url, number),
        "IOC_MQTT_SHARE_GROUP": settings.mqtt_share_group or DEFAULT_GROUP,
    }
    if settings.metrics_port:
        env["IOC_METRICS_PORT"] = str(settings.metrics_port + number - 1)
    return env


@dataclass
class _Worker:
    number: int
    env: Mapping[str, str]
    process: subprocess.Popen[bytes] | None = None
    started: float = 0.0
    delay: float = RESTART_MIN_S
    due: float = 0.0
    restarts: int = field(default=0)


class Supervisor:
    def __init__(
        self,
        settings: Settings,
        workers: int,
        command: Sequence[str] = WORKER_COMMAND,
        base_env: Mapping[str, str] | None = None,
    ) -> None:
        base = dict(os.environ if base_env is None else base_env)
        self.command = list(command)
        self.workers = [
            _Worker(i, {**base, **worker_env(settings, i)}) for i in range(1, workers + 1)
        ]
        self._stop = threading.Event()

    @property
    def pids(self) -> list[int]:
        return [w.process.pid for w in self.workers if w.process and w.process.poll() is None]

    def run(self) -> int:
        """Until `stop()` (0) or a worker's fatal exit (2)."""
        try:
            for worker in self.workers:
                self._spawn(worker)
            while not self._stop.wait(0.2):
                code = self._check()
                if code:
                    return code
            return 0
        finally:
            self._stop_all()

    def stop(self) -> None:
        self._stop.set()

    def _spawn(self, worker: _Worker) -> None:
        # Its own session: Ctrl-C reaches the supervisor only, which stops the workers in order.
        worker.process = subprocess.Popen(
            self.command, env=dict(worker.env), start_new_session=True
        )
        worker.started = time.monotonic()
        log.info(
            "worker %d started (pid %d, client id %s)",
            worker.number,
            worker.process.pid,
            worker.env["IOC_MQTT_CLIENT_ID"],
        )

    def _check(self) -> int:
        now = time.monotonic()
        for worker in self.workers:
            process = worker.process
            if process is None:
                if now >= worker.due:
                    self._spawn(worker)
                continue
            code = process.poll()
            if code is None:
                continue
            if code == FATAL_EXIT:
                log.error(
                    "worker %d exited %d (settings or credentials): stopping", worker.number, code
                )
                return FATAL_EXIT
            ran = now - worker.started
            worker.delay = RESTART_MIN_S if ran >= HEALTHY_AFTER_S else worker.delay
            log.warning(
                "worker %d exited %d after %.1f s; restarting in %.0f s",
                worker.number,
                code,
                ran,
                worker.delay,
            )
            worker.process = None
            worker.due = now + worker.delay
            worker.delay = min(worker.delay * 2, RESTART_MAX_S)
            worker.restarts += 1
        return 0

    def _stop_all(self) -> None:
        running = [w.process for w in self.workers if w.process and w.process.poll() is None]
        for process in running:
            process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_WAIT_S
        for process in running:
            try:
                process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                log.warning(
                    "worker pid %d did not stop in %.0f s: killed", process.pid, STOP_WAIT_S
                )
                process.kill()
                process.wait()
