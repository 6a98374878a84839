"""`/admin` (admin: users, display sign-ins, API tokens — the same operations as `ioc users`,
`ioc displays`, `ioc tokens`) and `/audit` (supervisor and admin: the audit trail, filtered by
time, user and action; `/audit.csv` exports the same selection). Every change is audited; the
trail itself has no edit form (and its table refuses edits)."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime

import flask

from dashboards.auth import auth, record, require
from dashboards.auth.views import page_lang, render
from dashboards.i18n import t
from ioc.auth import ROLES
from ioc.auth.roles import ADMIN, AUDIT
from ioc.errors import AuthError
from ioc.localtime import LOCAL_TZ

blueprint = flask.Blueprint("ioc_admin", __name__, template_folder="templates")


def when(ms: int | None) -> str:
    return datetime.fromtimestamp(ms / 1000, LOCAL_TZ).strftime("%Y-%m-%d %H:%M:%S") if ms else "—"


def _admin_page(message: str = "", secret: str = "", status: int = 200) -> flask.Response:
    store = auth()
    return render(
        "admin.html",
        status,
        users=store.users.list(),
        displays=store.sessions.displays(),
        tokens=store.tokens.list(),
        roles=ROLES,
        message=message,
        secret=secret,
        when=when,
        base_url=flask.request.host_url.rstrip("/"),
    )


@blueprint.route("/admin", methods=["GET", "POST"])
def admin() -> flask.Response:
    session = require(ADMIN)
    if flask.request.method == "GET":
        return _admin_page()
    form = flask.request.form
    action, name = form.get("action", ""), (form.get("name") or "").strip().lower()
    store = auth()
    secret, lang = "", page_lang()
    try:
        if action == "user_add":
            role = form.get("role", "")
            store.users.add(name, role, form.get("password", ""))
            record(action, name, {"role": role})
        elif action == "user_role":
            role, before = form.get("role", ""), store.users.require(name).role
            store.users.set_role(name, role)
            record(action, name, {"from": before, "to": role})
        elif action == "user_password":
            store.users.set_password(name, form.get("password", ""))
            store.sessions.end_all(name)
            record(action, name)
        elif action in ("user_disable", "user_enable"):
            if name == session.user:
                raise AuthError("you cannot disable yourself")
            store.users.set_disabled(name, action == "user_disable")
            ended = store.sessions.end_all(name) if action == "user_disable" else 0
            record(action, name, {"sessions_ended": ended})
        elif action == "display_add":
            code = store.sessions.add_display(name, session.user)
            secret = f"{flask.request.host_url.rstrip('/')}/display/{code}"
            record(action, name)
        elif action == "display_revoke":
            record(action, name, {"sessions_ended": store.sessions.revoke_display(name)})
        elif action == "token_add":
            secret = store.tokens.add(name, session.user)
            record(action, name)
        elif action == "token_revoke":
            store.tokens.revoke(name)
            record(action, name)
        else:
            raise AuthError(f"unknown action {action!r}")
    except (AuthError, ValueError) as exc:
        return _admin_page(t("admin_error", lang, error=str(exc)), status=400)
    done = t("admin_done", lang, what=f"{action} {name}")
    return _admin_page(done, secret)


def _selection() -> tuple[dict[str, str], dict[str, object]]:
    """The filters from the query (shown back in the form) and the query's arguments."""
    args = flask.request.args
    shown = {k: (args.get(k) or "").strip()[:64] for k in ("since", "until", "actor", "action")}
    query: dict[str, object] = {"actor": shown["actor"], "action": shown["action"]}
    for key, field in (("since", "since_ms"), ("until", "until_ms")):
        if shown[key]:
            try:
                moment = datetime.fromisoformat(shown[key])
            except ValueError:
                shown[key] = ""
                continue
            moment = moment if moment.tzinfo else moment.replace(tzinfo=LOCAL_TZ)
            query[field] = int(moment.timestamp() * 1000)
    return shown, query


@blueprint.route("/audit")
def audit_page() -> flask.Response:
    require(AUDIT)
    shown, query = _selection()
    entries = auth().audit.query(limit=1000, **query)  # type: ignore[arg-type]
    export = flask.request.query_string.decode()
    return render("audit.html", entries=entries, shown=shown, when=when, export=export)


@blueprint.route("/audit.csv")
def audit_csv() -> flask.Response:
    require(AUDIT)
    shown, query = _selection()
    entries = auth().audit.query(**query)  # type: ignore[arg-type]
    record("audit_export", "audit", {k: v for k, v in shown.items() if v} | {"rows": len(entries)})
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["time", "actor", "action", "target", "client", "detail"])
    for e in entries:
        detail = json.dumps(e.detail, ensure_ascii=False)
        writer.writerow([when(e.ts_ms), e.actor, e.action, e.target, e.client, detail])
    response = flask.Response("\ufeff" + out.getvalue(), mimetype="text/csv")
    response.headers["Content-Disposition"] = "attachment; filename=audit.csv"
    return response
