"""`GET /api/v1/snapshot`: the live snapshot the wall screen shows, as JSON, for other provincial
systems and for monitoring. Read from the live state only (never InfluxDB).

200 with the snapshot (see `dashboards.snapshot.build_snapshot`: KPI values, tiles with their
data time, age and staleness, alerts, sources, counters); 503 with the same shape and
`live.connected = false` when the live state cannot be read. Never cached.
"""

from __future__ import annotations

import flask
import orjson

from dashboards import data
from dashboards.snapshot import build_snapshot

SNAPSHOT_PATH = "/api/v1/snapshot"


def snapshot_view() -> flask.Response:
    live = data.read_live()
    body = build_snapshot(live, live.read_ms)
    response = flask.Response(
        orjson.dumps(body, option=orjson.OPT_SERIALIZE_NUMPY),
        status=200 if live.connected else 503,
        mimetype="application/json",
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def register(server: flask.Flask) -> None:
    server.add_url_rule(SNAPSHOT_PATH, "ioc_snapshot", snapshot_view, methods=["GET"])
