"""Collectors: MQTT messages in, readings out to InfluxDB and Redis.

The pure parsing layer lives here and does no I/O:

- `collectors.topics`  — topic string → `Topic` (feed, district, source), one declared layout;
- `collectors.feeds`   — one module per feed (`sensor`, `camera`, `servicedesk`, `status`), each a
                         pure `parse(topic, payload, received_ns) -> list[Reading]`, registered in
                         the explicit `collectors.feeds.FEEDS` registry;
- `collectors.decode`  — the hot path: size check, topic, the feed's parser.

Every unusable message raises `ioc.errors.PayloadRejected` with a stable reason code; the consume
loop counts it and dead-letters it, it never stops a collector.
"""
