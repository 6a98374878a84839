"""Prometheus metrics and health endpoints of every long-running process.

    families.py  the metric families (all named `ioc_…`), grouped by who updates them
    server.py    `/metrics`, `/healthz` (alive), `/readyz` (broker, storage, live state answer)
                 as a WSGI app: served on IOC_METRICS_PORT by `ioc collect` / `ioc engine`,
                 mounted on its own Flask server by the dashboard

Each process keeps its own `CollectorRegistry` (no global state: tests run several in one
process), with the standard process and platform collectors registered on it.
"""

from __future__ import annotations

from ioc.metrics.families import (
    EngineMetrics,
    NotifyMetrics,
    PipelineMetrics,
    ProbeMetrics,
    new_registry,
)
from ioc.metrics.server import (
    MetricsServer,
    Probe,
    health_app,
    live_probe,
    serve_metrics,
    start_metrics,
    storage_probe,
)

__all__ = [
    "EngineMetrics",
    "MetricsServer",
    "NotifyMetrics",
    "PipelineMetrics",
    "Probe",
    "ProbeMetrics",
    "health_app",
    "live_probe",
    "new_registry",
    "serve_metrics",
    "start_metrics",
    "storage_probe",
]
