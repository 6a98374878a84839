"""Checks of decoded readings against what the collector knows beyond the payload.

    Guard(sources, max_future_s).check(readings, received_ns)     raises PayloadRejected

- `future_time`: a reading dated more than `IOC_MAX_FUTURE_S` (default 300 s) after the
  collector received it. (The parsers' own sanity bound, one day, stays `bad_time`.)
- `source_mismatch`: a source of the catalogue (`IOC_SOURCES_FILE`) publishing a reading of
  another feed, another district, or another site than its entry says — e.g. an air sensor
  sending camera counts for the Bản Giốc waterfall under its own id. The broker's ACL refuses
  those topics too; this is the second line, for brokers configured otherwise. A source not in
  the catalogue is not checked (it is shown by its id, see ioc.sources).

Pure: no I/O; the catalogue is given.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ioc.errors import PayloadRejected
from ioc.feeds import FEEDS
from ioc.model import NS_PER_S, Reading
from ioc.sources import Source

# Status points (ioc/status/<id>) may come from any catalogued source, whatever its feed.
_ANY_FEED = frozenset(spec.measurement for spec in FEEDS.values() if not spec.has_district)


class Guard:
    def __init__(self, sources: Mapping[str, Source], max_future_s: float) -> None:
        self._sources = dict(sources)
        self._max_future_ns = int(max_future_s * NS_PER_S)
        self._measurement = {name: spec.measurement for name, spec in FEEDS.items()}

    def check(self, readings: Sequence[Reading], received_ns: int) -> None:
        limit = received_ns + self._max_future_ns
        for reading in readings:
            if reading.time_ns > limit:
                ahead = (reading.time_ns - received_ns) / NS_PER_S
                raise PayloadRejected(
                    "future_time",
                    f"the reading is dated {ahead:,.0f} s after it was received, more than the "
                    f"{self._max_future_ns // NS_PER_S} s allowed (IOC_MAX_FUTURE_S)",
                )
            source = self._sources.get(reading.tags.get("source", ""))
            if source is not None:
                self._check_source(reading, source)

    def _check_source(self, reading: Reading, source: Source) -> None:
        tags = reading.tags
        problem = ""
        if reading.measurement in _ANY_FEED:
            return
        if reading.measurement != self._measurement.get(source.feed, source.feed):
            problem = f"feed {reading.measurement!r}, but it is a {source.feed!r} source"
        elif "district" in tags and tags["district"] != source.district:
            problem = f"district {tags['district']!r}, but it is in {source.district!r}"
        elif "site" in tags and tags["site"] != source.site:
            expected = repr(source.site) if source.site else "no site"
            problem = f"site {tags['site'][:64]!r}, but the catalogue gives it {expected}"
        if problem:
            raise PayloadRejected(
                "source_mismatch",
                f"catalogued source {source.source_id!r} sent a reading of {problem}",
            )
