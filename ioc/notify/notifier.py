"""`Notifier`: alert transitions → routed notices in the outbox → delivered by a worker thread.

- `submit(transitions, states)` — called by the KPI engine after each evaluation, before the
  alert states go to the live state (a crash in between re-sends nothing: the outbox already has
  it). Raised alerts become `raised`, or `escalated` when a lower-severity alert of the same KPI
  is open on the same scope; cleared ones `cleared`; acknowledgements are not notified.
  A transition of an episode already notified about (see ioc.notify.outbox) is not queued again.
- the worker (`start()`/`stop()`, or `deliver_due()` called directly) sends what is due; a
  failure is recorded and retried with exponential backoff (1 s, 2 s, 4 s … capped at
  IOC_NOTIFY_MAX_BACKOFF_S) until delivered, or failed for good when the receiver refuses it;
  a non-critical notice inside its channel's quiet hours waits until they end.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence

from ioc.alerts.engine import AlertState, AlertTransition, alert_key
from ioc.alerts.rules import AlertRule
from ioc.errors import DeliveryError
from ioc.kpis.registry import KPIS
from ioc.kpis.spec import DAY_MS
from ioc.localtime import LOCAL_OFFSET_MS
from ioc.model import NS_PER_MS
from ioc.notify.channels import Sender
from ioc.notify.config import Event, NotifyConfig
from ioc.notify.message import Notice, drilldown_link
from ioc.notify.outbox import Item, Outbox, Status

log = logging.getLogger(__name__)

SEVERITY_RANK = {"info": 0, "warning": 1, "critical": 2}
MINUTE_MS = 60_000
Observer = Callable[[str, str], None]  # (channel, outcome) outcome: delivered/retry/failed/deferred


def wall_clock_ms() -> int:
    return time.time_ns() // NS_PER_MS


class Notifier:
    def __init__(
        self,
        config: NotifyConfig,
        outbox: Outbox,
        senders: Mapping[str, Sender],
        *,
        rules: Mapping[str, AlertRule],
        public_url: str,
        clock: Callable[[], int] = wall_clock_ms,
        base_backoff_s: float = 1.0,
        max_backoff_s: float = 300.0,
    ) -> None:
        self.config = config
        self.outbox = outbox
        self.senders = dict(senders)
        self.rules = dict(rules)
        self.public_url = public_url
        self.clock = clock
        self.base_backoff_ms = int(base_backoff_s * 1000)
        self.max_backoff_ms = int(max_backoff_s * 1000)
        self.observers: list[Observer] = []
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- routing (engine thread) ------------------------------------------------------------

    def submit(
        self, transitions: Sequence[AlertTransition], states: Mapping[str, AlertState]
    ) -> int:
        """Queue the notices of these transitions; returns how many (channel × notice)."""
        queued = 0
        for t in transitions:
            event = self._event(t, states)
            if event is None:
                continue
            notice = Notice(
                event=event,
                alert_id=t.alert_id,
                rule=t.rule,
                scope=t.scope,
                severity=t.severity,
                at_ms=t.at_ms,
                value=t.value,
                message_vi=t.message_vi,
                message_en=t.message_en,
                link=drilldown_link(self.public_url, self._kpi(t.rule), t.scope),
                unit=KPIS[kpi].unit if (kpi := self._kpi(t.rule)) in KPIS else "",
            )
            channels = self.config.channels_for(t.rule, t.scope, t.severity, event)
            new = self.outbox.enqueue(
                alert_key(t.rule, t.scope), notice, [c.id for c in channels], self.clock()
            )
            for channel in new:
                log.info("notification queued: %s %s → %s", event, t.alert_id, channel)
            queued += len(new)
        if queued:
            self._wake.set()
        return queued

    def _kpi(self, rule: str) -> str:
        spec = self.rules.get(rule)
        return spec.kpi if spec is not None else ""

    def _event(self, t: AlertTransition, states: Mapping[str, AlertState]) -> Event | None:
        if t.state == "acknowledged":
            return None
        episode = self.outbox.episode(alert_key(t.rule, t.scope))
        last = episode[1] if episode else None
        if t.state == "cleared":
            if last == "cleared":
                log.info("already notified: %s cleared", t.alert_id)
                return None
            return "cleared"
        if last in ("raised", "escalated"):
            # e.g. an engine restarted without its alert states raises the same alert again
            log.info("already notified: %s (episode of %s still open)", t.alert_id, episode)
            return None
        kpi = self._kpi(t.rule)
        rank = SEVERITY_RANK.get(t.severity, 0)
        for other in states.values():
            if (
                other.scope == t.scope
                and other.rule != t.rule
                and other.state in ("active", "acknowledged")
                and self._kpi(other.rule) == kpi
                and SEVERITY_RANK.get(other.severity, 0) < rank
            ):
                return "escalated"
        return "raised"

    # -- delivery (worker thread) -------------------------------------------------------------

    def deliver_due(self, now_ms: int | None = None) -> int:
        """Attempt every notice that is due; returns how many were delivered."""
        now_ms = self.clock() if now_ms is None else now_ms
        delivered = 0
        for item in self.outbox.due(now_ms):
            delivered += self._attempt(item, now_ms)
        return delivered

    def _attempt(self, item: Item, now_ms: int) -> bool:
        channel = self.config.channels.get(item.channel)
        if channel is None:
            self._record(item, now_ms, "failed", "channel no longer configured", status="failed")
            return False
        notice = item.notice
        if channel.quiet_hours is not None and notice.severity != "critical":
            local_min = (now_ms + LOCAL_OFFSET_MS) % DAY_MS // MINUTE_MS
            if channel.quiet_hours.contains(local_min):
                wait_ms = channel.quiet_hours.minutes_left(local_min) * MINUTE_MS
                until = (now_ms // MINUTE_MS) * MINUTE_MS + wait_ms
                self._record(
                    item, now_ms, "deferred", "deferred: quiet hours", next_ms=until, counts=False
                )
                return False
        sender = self.senders.get(channel.kind)
        if sender is None:
            self._record(item, now_ms, "failed", f"no {channel.kind} sender", status="failed")
            return False
        try:
            sender(channel, notice)
        except DeliveryError as exc:
            if not exc.retryable:
                log.error("notification %s → %s refused: %s", notice.alert_id, channel.id, exc)
                self._record(item, now_ms, "failed", str(exc), status="failed")
                return False
            backoff = min(self.base_backoff_ms * 2**item.attempts, self.max_backoff_ms)
            log.warning(
                "notification %s → %s not delivered (attempt %d: %s); retrying in %.0f s",
                notice.alert_id,
                channel.id,
                item.attempts + 1,
                exc,
                backoff / 1000,
            )
            self._record(item, now_ms, "retry", str(exc), next_ms=now_ms + backoff)
            return False
        log.info(
            "notification delivered: %s %s → %s (attempt %d)",
            notice.event,
            notice.alert_id,
            channel.id,
            item.attempts + 1,
        )
        self._record(item, now_ms, "delivered", "delivered", status="delivered", ok=True)
        return True

    def _record(
        self,
        item: Item,
        now_ms: int,
        outcome: str,
        detail: str,
        *,
        status: Status = "pending",
        next_ms: int | None = None,
        ok: bool = False,
        counts: bool = True,
    ) -> None:
        self.outbox.record(
            item,
            now_ms,
            ok=ok,
            detail=detail,
            status=status,
            next_ms=next_ms,
            counts=counts,
        )
        for observe in self.observers:
            observe(item.channel, outcome)

    # -- the worker ---------------------------------------------------------------------------

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="ioc-notifier", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.deliver_due()
                next_ms = self.outbox.next_due_ms()
            except Exception:  # the worker must survive anything (e.g. a locked outbox)
                log.exception("notification worker: unexpected error; going on")
                next_ms = None
            wait_s = 1.0 if next_ms is None else (next_ms - self.clock()) / 1000
            self._wake.wait(min(max(wait_s, 0.01), 1.0))
            self._wake.clear()
