"""`ioc users …`, `ioc tokens …`, `ioc displays …`, `ioc audit`: the auth store from the command
line (the same file the dashboard uses: IOC_AUTH_DB or <data dir>/auth.sqlite). Every change is
written to the audit trail with the operating-system user as actor and `cli` as the client."""

from __future__ import annotations

import getpass
import sys
from datetime import UTC, datetime, timedelta

import orjson
import typer

from ioc.auth.roles import ROLES
from ioc.auth.service import Auth
from ioc.errors import AuthError, ConfigError
from ioc.settings import load_settings

users_app = typer.Typer(no_args_is_help=True, help="Dashboard users and their roles.")
tokens_app = typer.Typer(no_args_is_help=True, help="API tokens for GET /api/v1/snapshot.")
displays_app = typer.Typer(no_args_is_help=True, help="Display sign-ins for wall screens.")
ROLE_HELP = "one of " + ", ".join(ROLES)


def _auth() -> Auth:
    try:
        return Auth.open(load_settings())
    except ConfigError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None


def cli_actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


def _fail(exc: Exception) -> typer.Exit:
    typer.echo(f"error: {exc}", err=True)
    return typer.Exit(1)


def _read_password(stdin: bool) -> str:
    if stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("Password: ")
    if first != getpass.getpass("Again: "):
        typer.echo("error: the passwords differ", err=True)
        raise typer.Exit(1)
    return first


def _when(ms: int | None) -> str:
    if not ms:
        return "—"
    return datetime.fromtimestamp(ms / 1000, UTC).astimezone().strftime("%Y-%m-%d %H:%M:%S")


@users_app.command("add")
def users_add(
    name: str = typer.Argument(..., help="lower-case user name"),
    role: str = typer.Option(..., "--role", help=ROLE_HELP),
    password_stdin: bool = typer.Option(False, "--password-stdin", help="read it from stdin"),
) -> None:
    """Add a user (password from a prompt, or one line of standard input)."""
    auth = _auth()
    try:
        user = auth.users.add(name, role, _read_password(password_stdin))
    except (AuthError, ValueError) as exc:
        raise _fail(exc) from None
    auth.audit.record(cli_actor(), "user_add", name, "cli", {"role": user.role})
    typer.echo(f"added {user.name} ({user.role})")


@users_app.command("list")
def users_list() -> None:
    """List the users with their role and state."""
    for user in _auth().users.list():
        state = "disabled" if user.disabled else "active"
        typer.echo(f"{user.name:<24} {user.role:<11} {state:<9} since {_when(user.created_ms)}")


@users_app.command("disable")
def users_disable(name: str = typer.Argument(...)) -> None:
    """Disable a user: their sessions end at once; the name stays in the audit trail."""
    auth = _auth()
    try:
        auth.users.set_disabled(name, True)
    except AuthError as exc:
        raise _fail(exc) from None
    ended = auth.sessions.end_all(name)
    auth.audit.record(cli_actor(), "user_disable", name, "cli", {"sessions_ended": ended})
    typer.echo(f"disabled {name} ({ended} session(s) ended)")


@users_app.command("enable")
def users_enable(name: str = typer.Argument(...)) -> None:
    """Enable a disabled user again."""
    auth = _auth()
    try:
        auth.users.set_disabled(name, False)
    except AuthError as exc:
        raise _fail(exc) from None
    auth.audit.record(cli_actor(), "user_enable", name, "cli")
    typer.echo(f"enabled {name}")


@users_app.command("set-password")
def users_set_password(
    name: str = typer.Argument(...),
    password_stdin: bool = typer.Option(False, "--password-stdin", help="read it from stdin"),
) -> None:
    """Set a user's password (their sessions end; a lock from failed sign-ins is lifted)."""
    auth = _auth()
    try:
        auth.users.set_password(name, _read_password(password_stdin))
    except AuthError as exc:
        raise _fail(exc) from None
    auth.sessions.end_all(name)
    auth.audit.record(cli_actor(), "user_password", name, "cli")
    typer.echo(f"password of {name} changed")


@users_app.command("set-role")
def users_set_role(
    name: str = typer.Argument(...), role: str = typer.Argument(..., help=ROLE_HELP)
) -> None:
    """Give a user another role (it applies to their next request)."""
    auth = _auth()
    try:
        before = auth.users.require(name).role
        auth.users.set_role(name, role)
    except (AuthError, ValueError) as exc:
        raise _fail(exc) from None
    auth.audit.record(cli_actor(), "user_role", name, "cli", {"from": before, "to": role})
    typer.echo(f"{name}: {before} → {role}")


@tokens_app.command("add")
def tokens_add(name: str = typer.Argument(..., help="who uses it, e.g. lgsp")) -> None:
    """Create an API token and print it (once: only its hash is kept)."""
    auth = _auth()
    try:
        token = auth.tokens.add(name, cli_actor())
    except AuthError as exc:
        raise _fail(exc) from None
    auth.audit.record(cli_actor(), "token_add", name, "cli")
    typer.echo(token)


@tokens_app.command("revoke")
def tokens_revoke(name: str = typer.Argument(...)) -> None:
    """Revoke an API token: it is refused from the next request on."""
    auth = _auth()
    try:
        auth.tokens.revoke(name)
    except AuthError as exc:
        raise _fail(exc) from None
    auth.audit.record(cli_actor(), "token_revoke", name, "cli")
    typer.echo(f"revoked {name}")


@tokens_app.command("list")
def tokens_list() -> None:
    """List the API tokens (names and use, never the tokens)."""
    for token in _auth().tokens.list():
        typer.echo(
            f"{token.name:<24} by {token.created_by:<16} last used {_when(token.last_used_ms)}"
        )


@displays_app.command("add")
def displays_add(
    name: str = typer.Argument(..., help="the screen, e.g. wall-1"),
    url: str = typer.Option("http://127.0.0.1:8050", help="the dashboard's address"),
) -> None:
    """Make a one-time sign-in link for a wall screen (valid 24 h; opening it signs that
    browser in as a viewer for IOC_AUTH_DISPLAY_DAYS)."""
    auth = _auth()
    try:
        code = auth.sessions.add_display(name, cli_actor())
    except AuthError as exc:
        raise _fail(exc) from None
    auth.audit.record(cli_actor(), "display_add", name, "cli")
    typer.echo(f"{url.rstrip('/')}/display/{code}")


@displays_app.command("revoke")
def displays_revoke(name: str = typer.Argument(...)) -> None:
    """Revoke a wall screen's sign-in: it is signed out at its next request."""
    auth = _auth()
    try:
        ended = auth.sessions.revoke_display(name)
    except AuthError as exc:
        raise _fail(exc) from None
    auth.audit.record(cli_actor(), "display_revoke", name, "cli", {"sessions_ended": ended})
    typer.echo(f"revoked {name} ({ended} session(s) ended)")


@displays_app.command("list")
def displays_list() -> None:
    """List the wall screens with a display sign-in."""
    for d in _auth().sessions.displays():
        pending = "  (link not used yet)" if d.code_pending else ""
        typer.echo(f"{d.name:<24} signed-in browsers {d.sessions}{pending}")


def parse_since(value: str, now: datetime | None = None) -> datetime:
    """`30m`, `2h`, `7d` ago, or an ISO 8601 time (naive = local time)."""
    now = now or datetime.now(UTC)
    units = {"m": 60, "h": 3600, "d": 86400}
    if value[-1:] in units and value[:-1].isdigit():
        return now - timedelta(seconds=int(value[:-1]) * units[value[-1]])
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r}: use 30m, 2h, 7d or an ISO 8601 time") from None
    return parsed if parsed.tzinfo else parsed.astimezone()


def audit(
    since: str | None = typer.Option(None, help="30m, 2h, 7d or an ISO 8601 time"),
    actor: str = typer.Option("", help="only this user"),
    action: str = typer.Option("", help="only actions starting with this, e.g. login"),
    limit: int = typer.Option(1000, help="at most this many, newest first"),
    as_json: bool = typer.Option(False, "--json", help='one JSON object: {"audit": [...]}'),
) -> None:
    """Print the audit trail: sign-ins, acknowledgements, user/token changes, exports."""
    since_ms = int(parse_since(since).timestamp() * 1000) if since else None
    entries = _auth().audit.query(since_ms=since_ms, actor=actor, action=action, limit=limit)
    if as_json:
        typer.echo(orjson.dumps({"audit": [e.as_dict() for e in entries]}).decode())
        return
    for e in entries:
        detail = " ".join(f"{k}={v}" for k, v in e.detail.items())
        typer.echo(
            f"{_when(e.ts_ms)}  {e.actor:<20} {e.action:<15} {e.target:<24} {e.client:<15} {detail}"
        )


def register(app: typer.Typer) -> None:
    app.add_typer(users_app, name="users")
    app.add_typer(tokens_app, name="tokens")
    app.add_typer(displays_app, name="displays")
    app.command("audit")(audit)
    app.command("certs")(certs)


def certs(
    folder: str = typer.Option("deploy/tls", "--dir", help="where the certificates live"),
    host: list[str] = typer.Option(  # noqa: B008 - typer's way to declare a repeated option
        ["localhost", "127.0.0.1"], "--host", help="name or address the servers answer on"
    ),
) -> None:
    """Make a self-signed CA and the broker's and dashboard's certificates if missing
    (an existing file — e.g. the operator's own certificate — is kept)."""
    from pathlib import Path

    from ioc.tls import ensure_certificates

    written = ensure_certificates(Path(folder), host)
    if written:
        typer.echo(f"made {', '.join(written)} in {folder} for {', '.join(host)}")
    else:
        typer.echo(f"{folder}: certificates already there, nothing made")
