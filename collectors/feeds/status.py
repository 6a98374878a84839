"""Status feed: a device's online/offline state, retained, usually its MQTT Last Will.

Topic `ioc/status/<source_id>` (no district in the topic). Payload: the UTF-8 text `online` or
`offline`, surrounding whitespace stripped, case-sensitive; anything else (empty, JSON,
`ONLINE`) is `bad_value`, non-UTF-8 is `bad_encoding`.

Measurement `status`; tags `source` and `district` = "" — the topic does not name the district,
so the pipeline fills it from what it knows about the source (its last reading on another feed)
before writing; fields `online` int (1 online, 0 offline); time = the receive time (status
messages carry no timestamp).
"""

from __future__ import annotations

from collectors.feeds.base import not_utf8
from collectors.topics import Topic
from ioc.errors import PayloadRejected
from ioc.feeds.status import SPEC
from ioc.model import Reading

MEASUREMENT = SPEC.measurement
ONLINE: dict[str, int] = {"online": 1, "offline": 0}


def parse(topic: Topic, payload: bytes, received_ns: int) -> list[Reading]:
    """Turn one status message into one reading."""
    try:
        text = payload.decode("utf-8")
    except UnicodeDecodeError as bad:
        raise not_utf8(payload, bad, "status payload") from None
    state = text.strip()
    online = ONLINE.get(state)
    if online is None:
        shown = state if len(state) <= 40 else state[:37] + "..."
        raise PayloadRejected(
            "bad_value", f"status payload is {shown!r}, expected 'online' or 'offline'"
        )
    tags = {"district": "", "source": topic.source}
    return [Reading(MEASUREMENT, received_ns, tags, {"online": online})]
