"""What every feed generator module (`simulators/feeds/<feed>.py`) provides, so the schedule and
the bad-message maker dispatch through one interface and never name a feed:

    FEED                          the feed's name (a key of ioc.feeds.FEEDS)
    generator(devices) -> Gen     per-run state (e.g. the ticket book of the desks)
      Gen.valid(device, t, rng, scenario, progress) -> (wire, data) | None
                                  the wire payload and its JSON-object form; None: silent now
      Gen.template(device, t, rng, scenario, progress) -> body
                                  a valid body to make a bad message from
    BAD_KINDS: {kind: reason}     the feed's own ways of being wrong (besides simulators.bad.COMMON)
    refuses(kind, body) -> str | None   why a kind cannot apply to this body (None: it can)
    mutate(kind, body, t, rng) -> body  apply one of wrong_type, unknown_name or BAD_KINDS
"""

from __future__ import annotations

import random
from typing import Any, Protocol

from simulators import rhythm
from simulators.scenarios import Scenario


class Generator(Protocol):
    def valid(
        self, device: Any, t: int, rng: random.Random, scenario: Scenario, progress: float
    ) -> tuple[Any, Any] | None: ...

    def template(
        self, device: Any, t: int, rng: random.Random, scenario: Scenario, progress: float
    ) -> Any: ...


def bad_ts(body: dict[str, Any], t: int, rng: random.Random) -> dict[str, Any]:
    """A JSON-object payload whose `ts` is not a time (words, or a time without offset)."""
    body["ts"] = rng.choice(["hôm qua", rhythm.local(t).strftime("%Y-%m-%d %H:%M:%S")])
    return body
