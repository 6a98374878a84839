"""The collectors' feed registry: one line per feed, the catalogue spec and its pure parser.

Adding a feed touches its module here, its line below, its sample folder, its simulator
generator and its test — nothing else.
"""

from __future__ import annotations

from collectors.feeds import camera, sensor, servicedesk, status
from collectors.feeds.base import Feed
from ioc import feeds as catalogue

FEEDS: dict[str, Feed] = {
    "sensor": Feed(catalogue.FEEDS["sensor"], sensor.parse),
    "camera": Feed(catalogue.FEEDS["camera"], camera.parse),
    "servicedesk": Feed(catalogue.FEEDS["servicedesk"], servicedesk.parse),
    "status": Feed(catalogue.FEEDS["status"], status.parse),
}

__all__ = ["FEEDS", "Feed"]
