"""`/metrics`, `/healthz`, `/readyz` on the dashboard's own Flask server (what the collector and
the engine serve on IOC_METRICS_PORT, see ioc.metrics).

- `/readyz` — 200 when the live state (Redis) and storage (InfluxDB) answer, else 503, with the
  JSON of `ioc.metrics.server.readiness`; docker compose's healthcheck uses it.
- `/metrics` — process metrics plus `ioc_dashboard_requests_total{endpoint,status}` and
  `ioc_dashboard_request_seconds{endpoint}`. Under gunicorn each worker counts its own requests
  (a scrape reaches one worker).

These three answer without signing in: monitoring reads them, and they hold no data.
"""

from __future__ import annotations

import time

import flask
import orjson
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest

from dashboards import data
from ioc.errors import LiveStateError, StorageUnavailable
from ioc.metrics import new_registry
from ioc.metrics.families import SECONDS_BUCKETS
from ioc.metrics.server import readiness

PATHS = ("/metrics", "/healthz", "/readyz")
EXTENSION = "ioc_metrics"


def _live() -> str:
    backend = data.backend()
    if backend.live is None:
        raise LiveStateError(backend.live_problem or "no live state configured")
    backend.live.ping()
    return "answers"


def _storage() -> str:
    backend = data.backend()
    if backend.storage is None:
        raise StorageUnavailable(backend.storage_problem or "no storage configured")
    backend.storage.ping()
    return "answers"


def healthz() -> flask.Response:
    return flask.Response("ok\n", mimetype="text/plain")


def readyz() -> flask.Response:
    ready, checks = readiness({"live_state": _live, "storage": _storage})
    body = orjson.dumps({"ready": ready, "checks": checks})
    response = flask.Response(body, status=200 if ready else 503, mimetype="application/json")
    response.headers["Cache-Control"] = "no-store"
    return response


def metrics() -> flask.Response:
    registry = flask.current_app.extensions[EXTENSION]["registry"]
    return flask.Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)


def register(server: flask.Flask) -> None:
    registry = new_registry()
    requests = Counter(
        "ioc_dashboard_requests",
        "HTTP requests served",
        ["endpoint", "status"],
        registry=registry,
    )
    seconds = Histogram(
        "ioc_dashboard_request_seconds",
        "time to answer one request",
        ["endpoint"],
        buckets=SECONDS_BUCKETS,
        registry=registry,
    )
    server.extensions[EXTENSION] = {"registry": registry}
    server.add_url_rule("/healthz", "ioc_healthz", healthz, methods=["GET"])
    server.add_url_rule("/readyz", "ioc_readyz", readyz, methods=["GET"])
    server.add_url_rule("/metrics", "ioc_metrics", metrics, methods=["GET"])

    @server.before_request
    def _started() -> None:
        flask.g.ioc_started = time.perf_counter()

    @server.after_request
    def _count(response: flask.Response) -> flask.Response:
        # Dash's own routes are few and fixed (its callbacks all go to one endpoint)
        endpoint = flask.request.endpoint or "unknown"
        requests.labels(endpoint, str(response.status_code)).inc()
        started = flask.g.get("ioc_started")
        if started is not None:
            seconds.labels(endpoint).observe(time.perf_counter() - started)
        return response
