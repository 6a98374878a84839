"""The collector's inbox: messages from the network thread to the pipeline, bounded in bytes.

The broker bounds how many messages are out to us unacknowledged (MQTT 5 receive maximum,
`IOC_INBOX_SIZE`), but not their size: 20,000 messages of 1 MB were 20 GB. The inbox therefore
also counts the bytes (topic + payload) of every message from `put` until the pipeline has
stored it and calls `release`; `put` blocks the network thread while more than `max_bytes`
are held, so paho stops reading and TCP pushes back on the broker (which keeps the messages).
A single message larger than the bound is still let through when nothing else is held.

While blocked, the network thread sends no keepalive either: if storage stays down long enough
with the inbox full in bytes (large messages only), the broker drops the connection and later
redelivers what was not acknowledged — slower, never lost.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterable

from ioc.model import Message


def size_of(message: Message) -> int:
    return len(message.payload) + len(message.topic)


class Inbox:
    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._items: deque[Message] = deque()
        self._held = 0  # bytes put and not yet released
        self.peak_bytes = 0
        self._lock = threading.Lock()
        self._not_empty = threading.Condition(self._lock)
        self._room = threading.Condition(self._lock)
        self._closed = False

    @property
    def held_bytes(self) -> int:
        return self._held

    def __len__(self) -> int:
        return len(self._items)

    def put(self, message: Message) -> None:
        size = len(message.payload) + len(message.topic)
        with self._lock:
            while self._held and self._held + size > self.max_bytes and not self._closed:
                self._room.wait(0.5)
            self._items.append(message)
            self._held += size
            if self._held > self.peak_bytes:
                self.peak_bytes = self._held
            self._not_empty.notify()

    def get(self, timeout: float) -> Message | None:
        """The next message, waiting up to `timeout` s; None if none came."""
        with self._lock:
            if not self._items and not self._not_empty.wait(timeout) and not self._items:
                return None
            return self._items.popleft() if self._items else None

    def take(self, limit: int) -> list[Message]:
        """Up to `limit` messages that are already there, without waiting."""
        with self._lock:
            items = self._items
            n = min(limit, len(items))
            return [items.popleft() for _ in range(n)]

    def release(self, messages: Iterable[Message]) -> None:
        """The pipeline is done with these (stored, rejected or given back to the broker)."""
        freed = sum(size_of(m) for m in messages)
        with self._lock:
            self._held = max(0, self._held - freed)
            self._room.notify_all()

    def close(self) -> None:
        """Unblock `put` for good (stopping: what is left is redelivered by the broker)."""
        with self._lock:
            self._closed = True
            self._room.notify_all()
