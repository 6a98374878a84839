"""The audit trail: who did what, when, from where. Append-only (the table's triggers refuse
UPDATE and DELETE, so neither the UI nor a bug can rewrite it); read by the audit page and
`ioc audit`.

Actions: `login`, `login_failed`, `login_refused`, `logout`, `display_login`, `ack`,
`ack_refused`, `export`, `user_add`, `user_disable`, `user_enable`, `user_role`,
`user_password`, `token_add`, `token_revoke`, `display_add`, `display_revoke`, `audit_export`.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any

from ioc.auth.db import AuthDb, now_ms

CLI_CLIENT = "cli"
MAX_ROWS = 10_000


@dataclass(frozen=True, slots=True)
class AuditEntry:
    id: int
    ts_ms: int
    actor: str
    action: str
    target: str
    client: str
    detail: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class AuditLog:
    def __init__(self, db: AuthDb) -> None:
        self.db = db

    def record(
        self,
        actor: str,
        action: str,
        target: str = "",
        client: str = "",
        detail: dict[str, Any] | None = None,
        ts_ms: int | None = None,
    ) -> None:
        with self.db.connect() as conn:
            conn.execute(
                "INSERT INTO audit(ts_ms, actor, action, target, client, detail) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (
                    now_ms() if ts_ms is None else ts_ms,
                    actor[:100],
                    action,
                    target[:200],
                    client[:100],
                    json.dumps(detail or {}, ensure_ascii=False)[:2000],
                ),
            )

    def query(
        self,
        *,
        since_ms: int | None = None,
        until_ms: int | None = None,
        actor: str = "",
        action: str = "",
        limit: int = MAX_ROWS,
    ) -> list[AuditEntry]:
        """Newest first, filtered by time, actor (exact) and action (prefix)."""
        where: list[str] = []
        args: list[object] = []
        if since_ms is not None:
            where.append("ts_ms >= ?")
            args.append(since_ms)
        if until_ms is not None:
            where.append("ts_ms < ?")
            args.append(until_ms)
        if actor:
            where.append("actor = ?")
            args.append(actor)
        if action:
            where.append("action LIKE ? ESCAPE '\\'")
            args.append(action.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%")
        sql = "SELECT * FROM audit"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY id DESC LIMIT ?"
        args.append(max(1, min(limit, MAX_ROWS)))
        with self.db.connect() as conn:
            rows = conn.execute(sql, args).fetchall()
        return [
            AuditEntry(r["id"], r["ts_ms"], r["actor"], r["action"], r["target"], r["client"],
                       json.loads(r["detail"] or "{}"))
            for r in rows
        ]  # fmt: skip
