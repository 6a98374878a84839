"""The shape of a feed, declared once: `FeedSpec` (measurement, tags, typed fields, topic layout,
expected interval, names) and `Schema` for a measurement that is not a feed (`ALERT`).

Every package reads these instead of repeating them: the parsers build readings that conform
(tests/test_conformance.py checks the golden samples and the simulator against them), the
storage writers refuse a declared field of the wrong type, the KPI frames turn storage rows back
into readings with the declared tags and types, the topic parser splits topics by the declared
layout, the dashboard's pages take units and aggregates from the fields.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from ioc.model import Reading

TOPIC_ROOT = "ioc"
MAX_PAYLOAD_BYTES = 64 * 1024
SOURCE_ID_RE = re.compile(r"[A-Za-z0-9_-]{1,64}")
COMMON_TAGS: tuple[str, ...] = ("district", "source")
SEVERITIES: tuple[str, ...] = ("info", "warning", "critical")

FieldType = Literal["float", "int", "str", "bool"]
PY_TYPES: dict[str, type] = {"float": float, "int": int, "str": str, "bool": bool}
Aggregate = Literal["mean", "sum", "max", "min", "count", "last"]
TopicSegment = Literal["district", "source"]


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """One field: its name, its type forever (floats stay floats), its display unit, how a
    history chart buckets it, and its label in Vietnamese and English (dashboards)."""

    name: str
    type: FieldType
    unit: str = ""
    aggregate: Aggregate = "mean"
    label_vi: str = ""
    label_en: str = ""

    def __post_init__(self) -> None:
        if self.type not in PY_TYPES:
            raise ValueError(f"field {self.name}: unknown type {self.type!r}")


def floats(
    names: tuple[str, ...], unit: str = "", aggregate: Aggregate = "mean"
) -> tuple[FieldSpec, ...]:
    return tuple(FieldSpec(n, "float", unit, aggregate) for n in names)


@dataclass(frozen=True, slots=True)
class Schema:
    """A measurement: its tags (beyond `district` and `source`) and its typed fields."""

    measurement: str
    tags: tuple[str, ...]
    fields: tuple[FieldSpec, ...]
    field_types: dict[str, FieldType] = field(init=False, compare=False, hash=False, repr=False)

    def __post_init__(self) -> None:
        names = [f.name for f in self.fields]
        if len(set(names)) != len(names):
            raise ValueError(f"measurement {self.measurement}: a field is declared twice")
        object.__setattr__(self, "field_types", {f.name: f.type for f in self.fields})

    @property
    def tag_keys(self) -> frozenset[str]:
        """Every tag key of its points (`district`, `source` and its own)."""
        return frozenset((*COMMON_TAGS, *self.tags))

    def violations(self, reading: Reading) -> list[str]:
        """What in `reading` does not fit this schema (empty when it conforms)."""
        out = []
        if reading.measurement != self.measurement:
            out.append(f"measurement {reading.measurement!r}, expected {self.measurement!r}")
        out += [f"undeclared tag {k!r}" for k in reading.tags if k not in self.tag_keys]
        out += [f"tag {k!r} missing" for k in COMMON_TAGS if k not in reading.tags]
        for name, value in reading.fields.items():
            kind = self.field_types.get(name)
            if kind is None:
                out.append(f"undeclared field {name!r}")
            elif type(value) is not PY_TYPES[kind]:
                out.append(f"field {name!r} is {type(value).__name__}, declared {kind}")
        return out

    def field(self, name: str) -> FieldSpec:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(f"measurement {self.measurement} has no field {name!r}")


@dataclass(frozen=True, slots=True)
class FeedSpec:
    """What is known about a feed without parsing anything.

    `topic` is the topic's layout after `ioc/<feed>/`: `("district", "source")` for
    `ioc/<feed>/<district>/<source_id>`, `("source",)` for `ioc/status/<source_id>`.
    `expected_interval_s` is how often one source normally speaks: a tile whose data is older
    is stale, a source silent for three intervals is offline. `periodic` feeds (one reading per
    interval, not per event) are rated for completeness. `count_fields`: counting them counts
    every reading (each reading has at least one of them). `order` places it in lists.
    """

    name: str
    schema: Schema
    name_vi: str
    name_en: str
    expected_interval_s: float
    order: int
    topic: tuple[TopicSegment, ...] = ("district", "source")
    periodic: bool = False
    count_fields: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if "source" not in self.topic:
            raise ValueError(f"feed {self.name}: its topic must name the source")
        unknown = set(self.count_fields) - set(self.schema.field_types)
        if unknown:
            raise ValueError(f"feed {self.name}: count_fields {sorted(unknown)} are not fields")

    @property
    def measurement(self) -> str:
        return self.schema.measurement

    @property
    def has_district(self) -> bool:
        return "district" in self.topic

    @property
    def topic_filter(self) -> str:
        return f"{TOPIC_ROOT}/{self.name}/#"

    @property
    def topic_pattern(self) -> str:
        """`ioc/sensor/<district>/<source>`, for messages and docs."""
        return "/".join([TOPIC_ROOT, self.name, *(f"<{s}>" for s in self.topic)])

    @property
    def deadletter_topic(self) -> str:
        return f"{TOPIC_ROOT}/deadletter/{self.name}"


# The one measurement that is not a feed: the alert audit trail the KPI engine writes
# (ioc.alerts.engine.AlertTransition.to_reading).
ALERT = Schema(
    "alert",
    tags=("rule", "severity", "scope", "state"),
    fields=(
        FieldSpec("alert_id", "str"),
        FieldSpec("value", "float"),
        FieldSpec("by", "str"),
        FieldSpec("comment", "str"),
    ),
)
