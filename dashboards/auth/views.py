"""`/login` (form fields `username`, `password`), `/logout` (POST), `/display/<code>` (a wall
screen's one-time sign-in link: GET shows a button, POST uses the code), each audited.

The failure message is the same whether the name exists or not; after repeated failures the
page answers 429 with `Retry-After` (`ioc.auth.users` has the policy)."""

from __future__ import annotations

import flask

from dashboards.auth import COOKIE, auth, client, current, record
from dashboards.i18n import LANGS, lang_of, t

blueprint = flask.Blueprint("ioc_auth", __name__, template_folder="templates")


def page_lang() -> str:
    return lang_of(flask.request.values.get("lang"))


def render(template: str, status: int = 200, **values: object) -> flask.Response:
    lang = page_lang()
    other = LANGS[1] if lang == LANGS[0] else LANGS[0]
    text = lambda key, **v: t(key, lang, **v)  # noqa: E731
    body = flask.render_template(template, t=text, lang=lang, other=other, user=current(), **values)
    return flask.Response(body, status=status, mimetype="text/html")


def safe_next(value: str | None) -> str:
    """Only a path on this site (never `//host` or `https://…`), else the wall."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/"
    return value


def _set_cookie(response: flask.Response, secret: str, max_age: int | None) -> None:
    response.set_cookie(
        COOKIE, secret, max_age=max_age, httponly=True, samesite="Lax",
        secure=flask.request.is_secure, path="/",
    )  # fmt: skip


@blueprint.route("/login", methods=["GET", "POST"])
def login() -> flask.Response:
    next_path = safe_next(flask.request.values.get("next"))
    if flask.request.method == "GET":
        return render("login.html", next=next_path, message="", username="")
    name = (flask.request.form.get("username") or "").strip().lower()[:64]
    password = flask.request.form.get("password") or ""
    result = auth().users.authenticate(name, password)
    if result.outcome == "ok" and result.user is not None:
        old = flask.request.cookies.get(COOKIE)
        if old:
            auth().sessions.end(old)  # a new session id at every sign-in (no fixation)
        secret = auth().sessions.create(result.user.name)
        record("login", result.user.name, {"role": result.user.role}, actor=result.user.name)
        response = flask.redirect(next_path)
        _set_cookie(response, secret, None)
        return response  # type: ignore[return-value]
    if result.outcome == "refused":
        record("login_refused", name, {"retry_after_s": result.retry_after_s}, actor=name)
        message = t("login_refused", page_lang(), seconds=result.retry_after_s)
        response = render("login.html", 429, next=next_path, message=message, username=name)
        response.headers["Retry-After"] = str(result.retry_after_s)
        return response
    record("login_failed", name, {"locked_s": result.retry_after_s}, actor=name)
    message = t("login_failed", page_lang())
    return render("login.html", 401, next=next_path, message=message, username=name)


@blueprint.route("/logout", methods=["POST"])
def logout() -> flask.Response:
    session = current()
    secret = flask.request.cookies.get(COOKIE)
    if secret:
        auth().sessions.end(secret)
    if session is not None:
        record("logout", session.user)
    response = flask.redirect("/login")
    response.delete_cookie(COOKIE, path="/")
    return response  # type: ignore[return-value]


@blueprint.route("/display/<code>", methods=["GET", "POST"])
def display(code: str) -> flask.Response:
    if flask.request.method == "GET":
        return render("display.html", code=code, message="")
    redeemed = auth().sessions.redeem(code)
    if redeemed is None:
        auth().audit.record("anonymous", "display_login_failed", "", client())
        return render("display.html", 404, code=code, message=t("display_bad", page_lang()))
    name, secret = redeemed
    record("display_login", name, actor=f"display:{name}")
    response = flask.redirect("/?kiosk=1")
    _set_cookie(response, secret, auth().sessions.display_idle_s)
    return response  # type: ignore[return-value]
