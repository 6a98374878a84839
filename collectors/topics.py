"""MQTT topics of the wire contract, turned into typed tags by one declared layout.

    ioc/<feed>/<district>/<source_id>     sensor, camera, servicedesk (source = agency for desks)
    ioc/status/<source_id>                status (no district in the topic)

Each feed declares its layout once (`FeedSpec.topic` in `ioc/feeds/<feed>.py`); this module is
the only place that splits topic strings by it.
"""

from __future__ import annotations

from dataclasses import dataclass

from ioc.errors import PayloadRejected
from ioc.feeds import FEEDS, SOURCE_ID_RE, TOPIC_ROOT
from ioc.places import DISTRICTS

FEED_SEGMENT = 1
FIRST_TAG_SEGMENT = 2  # segment 0 is TOPIC_ROOT, 1 the feed, then the feed's declared layout


@dataclass(frozen=True, slots=True)
class Topic:
    """A topic that passed the wire contract: known feed, known district, valid source id."""

    feed: str
    district: str | None
    source: str
    raw: str


# Derived once from each feed's declared layout: segment position per tag, number of segments.
_LAYOUT_OF: dict[str, tuple[dict[str, int], int]] = {
    name: (
        {tag: FIRST_TAG_SEGMENT + i for i, tag in enumerate(spec.topic)},
        FIRST_TAG_SEGMENT + len(spec.topic),
    )
    for name, spec in FEEDS.items()
}
_match_source = SOURCE_ID_RE.fullmatch


def parse_topic(topic: str) -> Topic:
    """Split `topic` by the declared layout; `PayloadRejected("bad_topic")` if it does not fit."""
    parts = topic.split("/")
    if len(parts) < 2 or parts[0] != TOPIC_ROOT:
        raise PayloadRejected(
            "bad_topic", f"topic {topic!r} does not start with '{TOPIC_ROOT}/<feed>/'"
        )
    feed = parts[FEED_SEGMENT]
    found = _LAYOUT_OF.get(feed)
    if found is None:
        known = ", ".join(FEEDS)
        raise PayloadRejected(
            "bad_topic", f"topic {topic!r} names feed {feed!r}, expected one of {known}"
        )
    layout, expected = found
    if len(parts) != expected:
        shape = "/".join([TOPIC_ROOT, feed, *(f"<{tag}>" for tag in layout)])
        raise PayloadRejected(
            "bad_topic",
            f"topic {topic!r} has {len(parts)} segments, expected {expected} ({shape})",
        )
    district: str | None = None
    if "district" in layout:
        district = parts[layout["district"]]
        if district not in DISTRICTS:
            raise PayloadRejected(
                "bad_topic", f"topic {topic!r} names unknown district slug {district!r}"
            )
    source = parts[layout["source"]]
    if not _match_source(source):
        raise PayloadRejected(
            "bad_topic",
            f"topic {topic!r} has source id {source!r}, expected {SOURCE_ID_RE.pattern}",
        )
    return Topic(feed=feed, district=district, source=source, raw=topic)


def feed_of(topic: str) -> str:
    """The feed a (possibly bad) topic belongs to, for counting rejections: else "unknown"."""
    parts = topic.split("/", 2)
    if len(parts) > FEED_SEGMENT and parts[FEED_SEGMENT] in FEEDS:
        return parts[FEED_SEGMENT]
    return "unknown"
