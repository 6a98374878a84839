"""Callback values as the server may rely on them, whatever a crafted request sends.

Dash passes on whatever JSON the browser (or anyone replaying `/_dash-update-component`) put in
a callback's inputs: a number where a string belongs, a list of objects, a string where a dict
belongs. These turn anything into the type the callback expects, dropping what does not fit, so
bad input gives the page's own message, never an exception (HTTP 500).
"""

from __future__ import annotations

from typing import Any

MAX_TEXT = 2000


def text(value: object, limit: int = MAX_TEXT) -> str:
    """A string (cut to `limit`), or "" for anything else."""
    return value[:limit] if isinstance(value, str) else ""


def texts(value: object) -> list[str]:
    """The strings of a list (a lone string counts as one), or []."""
    if isinstance(value, str):
        return [value[:MAX_TEXT]]
    if isinstance(value, list | tuple):
        return [v[:MAX_TEXT] for v in value if isinstance(v, str)]
    return []


def mapping(value: object) -> dict[str, Any]:
    """A dict with string keys, or {}."""
    if not isinstance(value, dict):
        return {}
    return {k: v for k, v in value.items() if isinstance(k, str)}


def lang(base: object) -> str:
    value = mapping(base).get("lang")
    return value if value in ("vi", "en") else "vi"


def control(value: object) -> str | list[str] | None:
    """A control's value: a string, a list of strings, or None."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, list | tuple):
        return texts(value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return None
