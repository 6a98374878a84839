"""The feed catalogue: `FEEDS`, name -> `FeedSpec`, one module per feed in this package.

Each module (`sensor`, `camera`, `servicedesk`, `status`, …) declares its feed's `SPEC` — its
measurement, tags, typed fields, topic layout and expected interval — and the vocabulary of its
payloads (sensor kinds, camera event types…). This package finds them itself: adding a feed
adds its module here, nothing in this file. Every package reads the catalogue: collectors parse
with it (`collectors/feeds/<feed>.py`, found by name), simulators generate for it
(`simulators/feeds/<feed>.py`), storage types fields by it, dashboards judge staleness with it.
The wire contract is in DESIGN.md.
"""

from __future__ import annotations

import importlib
import pkgutil

from ioc.feeds.schema import (
    ALERT,
    MAX_PAYLOAD_BYTES,
    SEVERITIES,
    SOURCE_ID_RE,
    TOPIC_ROOT,
    FeedSpec,
    FieldSpec,
    Schema,
)

_NOT_FEEDS = frozenset({"schema"})


def _discover() -> dict[str, FeedSpec]:
    specs = []
    for module in pkgutil.iter_modules(__path__):
        if module.name.startswith("_") or module.name in _NOT_FEEDS:
            continue
        spec = getattr(importlib.import_module(f"{__name__}.{module.name}"), "SPEC", None)
        if not isinstance(spec, FeedSpec) or spec.name != module.name:
            raise RuntimeError(
                f"ioc.feeds.{module.name} must declare SPEC = FeedSpec({module.name!r}, …)"
            )
        specs.append(spec)
    return {s.name: s for s in sorted(specs, key=lambda s: (s.order, s.name))}


FEEDS: dict[str, FeedSpec] = _discover()
# Every measurement's schema: one per feed, plus the alert audit trail.
SCHEMAS: dict[str, Schema] = {f.measurement: f.schema for f in FEEDS.values()} | {
    ALERT.measurement: ALERT
}

__all__ = [
    "ALERT",
    "FEEDS",
    "MAX_PAYLOAD_BYTES",
    "SCHEMAS",
    "SEVERITIES",
    "SOURCE_ID_RE",
    "TOPIC_ROOT",
    "FeedSpec",
    "FieldSpec",
    "Schema",
]
