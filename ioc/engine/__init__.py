"""The KPI engine as its own service: it folds what the collectors stored, exactly once.

Collectors store a batch, then — in the same round trip as their live update, before they
acknowledge it to the broker — append it to the bounded stored-batch stream (`ioc.live.stream`).
The one engine (`ioc engine`) reads that stream through a consumer group and folds every reading
into the KPI state; it never subscribes to MQTT, so what it folds is exactly what storage holds.

Exactly once, across restarts
-----------------------------
The engine keeps its state in memory; at start (and whenever the stream cannot vouch for
storage) it rebuilds:

1. the cut: the consumer group is recreated at the stream's current end (`stored_group_reset`);
   every entry appended after this instant is read afterwards, none before it;
2. storage is read (`KpiState.history_queries`) and folded; the identity (measurement, tags,
   time) of every row is remembered with the parts of the state it fed (`FoldFilter`);
3. reading resumes after the cut. A reading of an entry appended after the cut was stored
   before it was appended, so either the rebuild already saw it (the write came before the
   storage read) or it did not: the filter tells which — by identity, per part — and the reading
   is folded into exactly the parts still missing it.

So nothing stored before the cut is missed (storage is the source), nothing after it is missed
(the group hands out every entry after the cut), and nothing is folded twice (the filter).

Readings stored while the engine was down are in storage: the rebuild at start folds them
(their alerts are raised at the first evaluation after it), however long the engine was down.
The stream does not have to hold them: entries appended while the engine was away and trimmed
by MAXLEN are simply not needed — everything before the cut comes from storage. What the
stream must hold is what arrives while the engine runs; if the engine falls behind by more than
`IOC_STORED_STREAM_MAXLEN` entries, `read_stored` reports entries trimmed unread and the engine
rebuilds (a new cut), again without loss.

Also folded once: the same message redelivered by the broker (a collector died after appending
but before acknowledging) is stored again as the identical point and appended again; the
filter remembers what it folded for `IOC_ENGINE_DEDUPE_S` (600 s) and drops the repeat. Limits,
stated: a repeat arriving later than that (a collector that stays away longer with one
unacknowledged batch) is folded again — storage still holds it once and the next rebuild
corrects the counts; a collector whose backlog overflowed while Redis was down appends a gap
marker, and an entry stored before the last rebuild arriving after the filter forgot that
rebuild is not trusted either: both make the engine rebuild.

The per-source facts (latest reading, last seen, district, online) are computed here once
(`ioc.engine.facts`) and published to the live state; `Engine` is in `ioc.engine.service`.
"""

from ioc.engine.service import Engine

__all__ = ["Engine"]
