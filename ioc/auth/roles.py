"""Roles, lowest first; each has every right of the ones before it.

- `viewer` — the wall screen and the drill-downs, read only (also every display sign-in).
- `operator` — also acknowledges alerts.
- `supervisor` — also exports records and reads the audit trail.
- `admin` — also manages users, display sign-ins and API tokens.
"""

from __future__ import annotations

from typing import Literal, get_args

Role = Literal["viewer", "operator", "supervisor", "admin"]
ROLES: tuple[Role, ...] = get_args(Role)

# What each action needs (the server checks these; the UI only hides what a role cannot do).
ACK = "operator"
EXPORT = "supervisor"
AUDIT = "supervisor"
ADMIN = "admin"


def check_role(value: str) -> Role:
    """`value` as a Role; ValueError naming the roles otherwise."""
    if value not in ROLES:
        raise ValueError(f"unknown role {value!r}; one of {', '.join(ROLES)}")
    return value


def allows(role: str | None, needed: str) -> bool:
    """Whether `role` has the rights of `needed` (unknown roles have none)."""
    if role not in ROLES or needed not in ROLES:
        return False
    return ROLES.index(role) >= ROLES.index(needed)
