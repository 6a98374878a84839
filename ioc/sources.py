"""The source catalogue: what is known of each device and desk beyond its messages.

A TOML file, `[source."<source_id>"]` with `feed`, `district`, `name_vi`, `lat`, `lon`, for a
camera the `site` it watches, and for a water gauge its flood alarm levels `bd1`, `bd2`, `bd3` (cm);
`[agency."<slug>"]` with `name_vi` names the agencies of security events, `[service."<slug>"]`
the public services of service-desk events.
The collectors reject (`source_mismatch`) a catalogued source's reading whose feed, district or
site is not its entry's; the broker's ACL is generated from it (`ioc devices acl`).
It is configuration, not code: `IOC_SOURCES_FILE` points at the province's own; the default
(`ioc/data/sources.toml`) describes the simulated province. Wiring a new device means adding
its entry; a source that has none still works everywhere — it is shown by its id and has no
alarm levels.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from ioc.errors import ConfigError
from ioc.feeds import FEEDS
from ioc.kpis.city import GaugeAlarmLevels

DEFAULT_SOURCES_FILE = Path(__file__).parent / "data" / "sources.toml"


@dataclass(frozen=True, slots=True)
class Source:
    source_id: str
    feed: str
    district: str
    name_vi: str
    lat: float | None = None
    lon: float | None = None
    alarm: GaugeAlarmLevels | None = None
    site: str | None = None


def load_sources(path: str | Path | None = None) -> dict[str, Source]:
    """source_id -> Source; a missing or malformed file raises ConfigError."""
    file = Path(path) if path else DEFAULT_SOURCES_FILE
    try:
        document = tomllib.loads(file.read_text(encoding="utf-8"))
        return {sid: _source(sid, entry) for sid, entry in document.get("source", {}).items()}
    except (OSError, tomllib.TOMLDecodeError, KeyError, TypeError, ValueError) as exc:
        raise ConfigError("IOC_SOURCES_FILE", str(file), f"cannot read sources: {exc}") from None


def _source(source_id: str, entry: dict[str, object]) -> Source:
    alarm = None
    if "bd1" in entry:
        alarm = GaugeAlarmLevels(float(entry["bd1"]), float(entry["bd2"]), float(entry["bd3"]))  # type: ignore[arg-type]
    lat, lon = entry.get("lat"), entry.get("lon")
    feed = str(entry["feed"])
    if feed not in FEEDS:
        raise ValueError(
            f"source {source_id!r} has feed {feed!r}, expected one of {', '.join(FEEDS)}"
        )
    return Source(
        source_id,
        feed,
        str(entry["district"]),
        str(entry.get("name_vi") or source_id),
        float(lat) if isinstance(lat, int | float) else None,
        float(lon) if isinstance(lon, int | float) else None,
        alarm,
        str(entry["site"]) if "site" in entry else None,
    )


def load_agencies(path: str | Path | None = None) -> dict[str, str]:
    """Agency slug -> Vietnamese name, from the catalogue's `[agency."<slug>"]` tables (the
    `agency` of security events); an agency missing there is shown by its slug."""
    return _names("agency", path)


def load_services(path: str | Path | None = None) -> dict[str, str]:
    """Public service slug -> Vietnamese name, from the catalogue's `[service."<slug>"]` tables
    (the `service` of service-desk events); a service missing there is shown by its slug."""
    return _names("service", path)


def _names(table: str, path: str | Path | None) -> dict[str, str]:
    file = Path(path) if path else DEFAULT_SOURCES_FILE
    try:
        document = tomllib.loads(file.read_text(encoding="utf-8"))
        return {slug: str(e["name_vi"]) for slug, e in document.get(table, {}).items()}
    except (OSError, tomllib.TOMLDecodeError, KeyError, TypeError) as exc:
        raise ConfigError(
            "IOC_SOURCES_FILE", str(file), f"cannot read {table} names: {exc}"
        ) from None


def gauge_levels(sources: dict[str, Source]) -> dict[str, GaugeAlarmLevels]:
    return {sid: s.alarm for sid, s in sources.items() if s.alarm is not None}


def names(sources: dict[str, Source]) -> dict[str, str]:
    return {sid: s.name_vi for sid, s in sources.items()}
