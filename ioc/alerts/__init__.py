"""Alerts: rules as data (`rules`), the pure state machine that runs them (`engine`) and the
status of a KPI value they give (`status`: the one threshold definition).

The caller (collector or dashboard data module) evaluates the rules against the KPI values of
`ioc.kpis`, keeps the states in the live state and writes the transitions to storage
(measurement `alert`). No I/O here.
"""

from ioc.alerts.engine import AlertState, AlertTransition, Evaluation, ack, evaluate
from ioc.alerts.rules import RULES, AlertRule, load_rules
from ioc.alerts.status import rate, value_status

__all__ = [
    "RULES",
    "AlertRule",
    "AlertState",
    "AlertTransition",
    "Evaluation",
    "ack",
    "evaluate",
    "load_rules",
    "rate",
    "value_status",
]
