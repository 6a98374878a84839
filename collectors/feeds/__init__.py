"""The collectors' feed registry: for every feed of the catalogue (`ioc.feeds.FEEDS`), its
spec and the pure parser of its module here, `collectors/feeds/<feed>.py`, found by name.

Adding a feed touches its schema module in `ioc/feeds/`, its parser module here (a
`parse(topic, payload, received_ns)` function), its sample folder, its simulator generator and
its tests — nothing else. A feed without a parser module fails at import, naming it.
"""

from __future__ import annotations

import importlib

from collectors.feeds.base import Feed, Parser
from ioc import feeds as catalogue


def _parser(name: str) -> Parser:
    try:
        module = importlib.import_module(f"{__name__}.{name}")
    except ModuleNotFoundError as exc:
        if exc.name != f"{__name__}.{name}":
            raise
        raise RuntimeError(f"feed {name!r} has no parser: add collectors/feeds/{name}.py") from None
    parse: Parser = module.parse
    return parse


FEEDS: dict[str, Feed] = {name: Feed(spec, _parser(name)) for name, spec in catalogue.FEEDS.items()}

__all__ = ["FEEDS", "Feed"]
