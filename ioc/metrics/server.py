"""`/metrics`, `/healthz`, `/readyz` as one WSGI app, served from a thread (wsgiref, as
prometheus_client's own server does) or mounted by the dashboard's Flask server.

- `/healthz` — 200 `ok` while the process serves requests (liveness: restart it if not).
- `/readyz` — 200 when every probe answers, else 503; the body is JSON
  `{"ready": bool, "checks": {"broker": {"ok": bool, "detail": "..."}, ...}}`.
- `/metrics` — the process's registry in the Prometheus text format.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any
from wsgiref.simple_server import WSGIRequestHandler, make_server

import orjson
from prometheus_client import CollectorRegistry, make_wsgi_app
from prometheus_client.exposition import ThreadingWSGIServer

from ioc.errors import ConfigError, IocError
from ioc.settings import Settings

if TYPE_CHECKING:
    from ioc.live import LiveState
    from ioc.storage import Storage

log = logging.getLogger(__name__)

# A probe returns a detail line when its service answers and raises IocError when it does not.
Probe = Callable[[], str]
StartResponse = Callable[..., Any]


def storage_probe(storage: Storage) -> Probe:
    def probe() -> str:
        storage.ping()
        return "answers"

    return probe


def live_probe(live: LiveState) -> Probe:
    def probe() -> str:
        live.ping()
        return "answers"

    return probe


def readiness(probes: Mapping[str, Probe]) -> tuple[bool, dict[str, dict[str, Any]]]:
    checks: dict[str, dict[str, Any]] = {}
    for name, probe in probes.items():
        try:
            checks[name] = {"ok": True, "detail": probe()}
        except IocError as exc:
            checks[name] = {"ok": False, "detail": str(exc)}
        except Exception as exc:  # a probe must answer, whatever its library raises
            checks[name] = {"ok": False, "detail": f"{type(exc).__name__}: {exc}"}
    return all(c["ok"] for c in checks.values()), checks


def health_app(
    registry: CollectorRegistry, probes: Mapping[str, Probe]
) -> Callable[[dict[str, Any], StartResponse], Iterable[bytes]]:
    metrics = make_wsgi_app(registry)

    def app(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == "/metrics":
            return metrics(environ, start_response)  # type: ignore[no-any-return]
        if path == "/healthz":
            start_response("200 OK", [("Content-Type", "text/plain; charset=utf-8")])
            return [b"ok\n"]
        if path == "/readyz":
            ready, checks = readiness(probes)
            status = "200 OK" if ready else "503 Service Unavailable"
            start_response(status, [("Content-Type", "application/json")])
            return [orjson.dumps({"ready": ready, "checks": checks})]
        start_response("404 Not Found", [("Content-Type", "text/plain; charset=utf-8")])
        return [b"/metrics, /healthz or /readyz\n"]

    return app


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # scrapes every few seconds
        log.debug("metrics: " + format, *args)


class MetricsServer:
    def __init__(self, server: ThreadingWSGIServer, thread: threading.Thread) -> None:
        self._server = server
        self._thread = thread

    @property
    def port(self) -> int:
        return int(self._server.server_port)

    @property
    def url(self) -> str:
        return f"http://{self._server.server_name}:{self.port}"

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)


def serve_metrics(
    host: str, port: int, registry: CollectorRegistry, probes: Mapping[str, Probe]
) -> MetricsServer:
    """Serve the app on host:port (0 = a free port) from a daemon thread."""
    try:
        server = make_server(
            host,
            port,
            health_app(registry, probes),
            ThreadingWSGIServer,
            handler_class=_QuietHandler,
        )
    except OSError as exc:
        raise ConfigError(
            "IOC_METRICS_PORT", port, f"cannot listen on {host}:{port}: {exc}"
        ) from None
    thread = threading.Thread(target=server.serve_forever, name="ioc-metrics", daemon=True)
    thread.start()
    log.info("metrics on http://%s:%d/metrics (/healthz, /readyz)", host, server.server_port)
    return MetricsServer(server, thread)


def start_metrics(
    settings: Settings, registry: CollectorRegistry, probes: Mapping[str, Probe]
) -> MetricsServer | None:
    """The metrics server on IOC_METRICS_HOST:IOC_METRICS_PORT, or None when that is unset."""
    if settings.metrics_port is None:
        return None
    return serve_metrics(settings.metrics_host, settings.metrics_port, registry, probes)
