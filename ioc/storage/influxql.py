"""Building InfluxQL safely.

Only known identifiers (checked by `ioc.storage.base`) are interpolated, always double-quoted;
tag values are single-quoted string literals with `\\` and `'` escaped. Nothing else from a caller
reaches the query text. Times are integer epoch nanoseconds.
"""

from __future__ import annotations

from collections.abc import Sequence

from ioc.storage.base import TagFilter, TimeRange, check_name


def ident(name: str) -> str:
    """A checked identifier, double-quoted."""
    return '"' + check_name(name) + '"'


def literal(value: str) -> str:
    """A string literal: backslashes and single quotes escaped."""
    if not isinstance(value, str):
        raise TypeError(f"tag values are strings, not {type(value).__name__}")
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def where_clause(time_range: TimeRange | None, where: TagFilter | None) -> str:
    parts: list[str] = []
    if time_range is not None:
        parts.append(f"time >= {time_range.start_ns} AND time < {time_range.end_ns}")
    for key, wanted in sorted((where or {}).items()):
        values: Sequence[str] = [wanted] if isinstance(wanted, str) else list(wanted)
        if not values:
            continue
        alternatives = " OR ".join(f"{ident(key)} = {literal(v)}" for v in values)
        parts.append(f"({alternatives})" if len(values) > 1 else alternatives)
    return (" WHERE " + " AND ".join(parts)) if parts else ""


def group_by_clause(tags: Sequence[str], bucket_s: int | None = None) -> str:
    items = ([f"time({bucket_s}s)"] if bucket_s else []) + [ident(t) for t in tags]
    return (" GROUP BY " + ", ".join(items)) if items else ""
