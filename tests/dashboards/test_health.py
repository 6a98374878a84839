"""The dashboard's own `/healthz`, `/readyz` and `/metrics` (dashboards/health.py), on real
Redis and InfluxDB: ready while both answer, 503 naming the live state when Redis stops, ready
again when it is back; requests counted by endpoint."""

import orjson
import pytest
from prometheus_client.parser import text_string_to_metric_families

from dashboards.app import create_app
from ioc.devservices import wait_until
from tests.dashboards.conftest import bearer

pytestmark = pytest.mark.services


def samples(client) -> dict:
    text = client.get("/metrics").get_data(as_text=True)
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def test_dashboard_health_readiness_and_metrics(settings, redis_server):
    app = create_app(settings)
    with app.server.test_client() as client:
        assert client.get("/healthz").get_data(as_text=True) == "ok\n"
        ready = client.get("/readyz")
        assert ready.status_code == 200, ready.data
        assert orjson.loads(ready.data)["checks"]["storage"]["ok"] is True
        for _ in range(3):
            assert client.get("/api/v1/snapshot", headers=bearer(app)).status_code == 200
        redis_server.stop()
        try:
            down = client.get("/readyz")
            assert down.status_code == 503
            body = orjson.loads(down.data)
            assert body["ready"] is False
            assert body["checks"]["live_state"]["ok"] is False
            assert "Redis" in body["checks"]["live_state"]["detail"]
            assert body["checks"]["storage"]["ok"] is True
            assert client.get("/healthz").status_code == 200
        finally:
            redis_server.start()
        answers = [503]  # the one above; then polled until ready (the live state's breaker
        wait_until(  # keeps answering "not ready" for a moment after Redis is back)
            lambda: answers.append(client.get("/readyz").status_code) or answers[-1] == 200,
            timeout=20,
        )
        found = samples(client)
        snapshot = (("endpoint", "ioc_snapshot"), ("status", "200"))
        assert found[("ioc_dashboard_requests_total", snapshot)] == 3
        assert (
            found[("ioc_dashboard_requests_total", (("endpoint", "ioc_readyz"), ("status", "503")))]
            == answers.count(503)  # every refusal counted, exactly
        )
        assert found[("process_resident_memory_bytes", ())] > 0
