"""The Dash app: `create_app(settings=None) -> Dash`. Importing this module creates nothing; the
WSGI object production servers load is in `dashboards.wsgi`:

    gunicorn --workers 4 --worker-class gthread --threads 64 --bind 0.0.0.0:8050 \
        dashboards.wsgi:server

`create_app` opens no connection and reads no data: the live state and storage clients are made
(lazily connecting) and kept on the Flask app, pages and callbacks are registered on this app
only (no `dash.callback` globals), so every gunicorn worker and every test app is independent.

Dash 4 signs callback requests with the Flask `secret_key`; set `IOC_DASHBOARD_SECRET_KEY` to the
same random value for every worker behind one address (otherwise each process makes its own).
Debug mode is off unless `ioc dashboard --debug`.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

import dash
from dash import Input, Output, State, dcc, html

from dashboards import api, auth, callbackguard, data, export, health, ids, reports
from dashboards.i18n import LANGS, t
from dashboards.pages import devices, environment, security, services, traffic, wall
from dashboards.reports import REPORT
from dashboards.urlstate import ViewState
from ioc.auth.roles import ADMIN, AUDIT
from ioc.live import LiveState
from ioc.localtime import LOCAL_OFFSET_MS
from ioc.settings import Settings, load_settings
from ioc.storage import Storage

SECRET_ENV = "IOC_DASHBOARD_SECRET_KEY"
PAGES = (wall, environment, traffic, services, security, devices)
NAV_PAGES: tuple[tuple[str, str], ...] = (
    ("/", "page_wall"),
    *(
        (f"/{p.PAGE}", f"page_{p.PAGE}")
        for p in (environment, traffic, services, security, devices)
    ),
)
ROTATION = [path for path, _ in NAV_PAGES]
ASSETS = Path(__file__).parent / "assets"


def shell() -> html.Div:
    """The frame around every page: header with title, navigation and language switch."""
    return html.Div(
        [
            dcc.Location(id=ids.URL),
            html.Header(
                [
                    html.Div("", id=ids.NAV_TITLE, className="shell__title"),
                    html.Nav([], id=ids.NAV, className="shell__nav"),
                    html.Div("", id=ids.CLOCK, className="shell__clock"),
                    html.Div([], id=ids.SHELL_USER, className="shell__user"),
                    html.Button("", id=ids.LANG_SWITCH, className="shell__lang", n_clicks=0),
                ],
                className="shell__header",
            ),
            html.Main(dash.page_container, className="shell__main"),
            dcc.Interval(id=ids.CLOCK_TIMER, interval=1000),
            dcc.Interval(id=ids.ROTATE_TIMER, interval=60_000, disabled=True),
            dcc.Store(id=ids.ROTATE_PAGES, data=ROTATION),
            html.Div(id=ids.SHELL_SINK, hidden=True),
        ],
        id=ids.SHELL,
        className="shell",
    )


def update_shell(pathname: str | None, search: str | None) -> tuple[object, ...]:
    """Title, navigation, language-switch label, kiosk class and rotation from the URL."""
    from urllib.parse import parse_qsl

    state = ViewState.from_query(dict(parse_qsl((search or "").lstrip("?"))))
    lang = state.lang
    query = ViewState(lang=lang, kiosk=state.kiosk, rotate=state.rotate).to_query()
    current = pathname or "/"
    nav = [
        dcc.Link(
            t(key, lang),
            href=f"{path}{query}",
            className="shell__link shell__link--active" if path == current else "shell__link",
        )
        for path, key in NAV_PAGES
    ]
    other = LANGS[1] if lang == LANGS[0] else LANGS[0]
    classes = "shell kiosk" if state.kiosk else "shell"
    return (
        # the full name where the navigation is hidden (kiosk: the wall); beside the
        # navigation the short one, so the header never scrolls sideways
        t("app_title" if state.kiosk else "app_short", lang),
        nav,
        t("switch_lang", lang),
        other,
        classes,
        max(state.rotate, 5) * 1000,
        state.rotate <= 0,
    )


def user_area(search: str | None) -> list[Any]:
    """Who is signed in (and their role), the admin/audit pages they may open, sign-out."""
    from urllib.parse import parse_qsl

    lang = ViewState.from_query(dict(parse_qsl((search or "").lstrip("?")))).lang
    session = auth.current()
    if session is None:
        return []
    links: list[Any] = []
    if auth.can(REPORT):
        links.append(
            html.A(t("page_reports", lang), href=f"/reports?lang={lang}", id="nav-reports")
        )
    if auth.can(AUDIT):
        links.append(html.A(t("page_audit", lang), href=f"/audit?lang={lang}", id="nav-audit"))
    if auth.can(ADMIN):
        links.append(html.A(t("page_admin", lang), href=f"/admin?lang={lang}", id="nav-admin"))
    who = t("signed_in_as", lang, user=session.user, role=t(f"role_{session.role}", lang))
    logout = html.Form(
        html.Button(t("logout", lang), type="submit", className="shell__logout", id="nav-logout"),
        action="/logout",
        method="POST",
    )
    # a small menu (no script: <details>), so the header keeps its room on the wall
    return [
        html.Details(
            [
                html.Summary(session.user, className="shell__who", id="nav-user", title=who),
                html.Div(
                    [html.Div(who, className="shell__role", id="nav-role"), *links, logout],
                    className="shell__menu",
                ),
            ],
            className="shell__account",
        )
    ]


# Client side: the clock (browser time in +07:00), the language switch (keeps every other query
# parameter, including the filters a drill-down wrote into the address bar) and page rotation.
_CLOCK_JS = """
function(n) {
  const now = new Date(Date.now() + LOCAL_OFFSET_MS);
  return now.toISOString().slice(11, 19);
}
""".replace("LOCAL_OFFSET_MS", str(LOCAL_OFFSET_MS))
_LANG_JS = """
function(n, lang) {
  if (!n) { return window.dash_clientside.no_update; }
  const url = new URL(window.location.href);
  url.searchParams.set('lang', lang);
  window.location.assign(url.toString());
  return window.dash_clientside.no_update;
}
"""
_ROTATE_JS = """
function(n, pages) {
  if (!n) { return window.dash_clientside.no_update; }
  const url = new URL(window.location.href);
  const i = pages.indexOf(url.pathname);
  const next = new URL(pages[(i + 1) % pages.length], url.origin);
  for (const key of ['lang', 'kiosk', 'rotate']) {
    if (url.searchParams.has(key)) { next.searchParams.set(key, url.searchParams.get(key)); }
  }
  window.location.assign(next.toString());
  return window.dash_clientside.no_update;
}
"""


def create_app(
    settings: Settings | None = None,
    *,
    debug: bool = False,
    live: LiveState | None = None,
    storage: Storage | None = None,
) -> dash.Dash:
    """A new app with its own clients (or the given ones, shared with an in-process collector);
    no network is touched until a page asks for data."""
    settings = settings or load_settings()
    app = dash.Dash(
        __name__,
        use_pages=True,
        pages_folder="",
        assets_folder=str(ASSETS),
        serve_locally=True,
        title=t("app_short", "vi"),
        update_title="",
        meta_tags=[{"name": "viewport", "content": "width=device-width, initial-scale=1"}],
    )
    app.server.secret_key = os.environ.get(SECRET_ENV) or secrets.token_hex(32)
    app.server.config["DEBUG"] = debug
    data.install(app.server, settings, live=live, storage=storage)
    auth.install(app, settings)
    api.register(app.server)
    health.register(app.server)
    reports.register(app.server)
    export.register(app.server, {p.PAGE: p.SPEC for p in (environment, traffic, services, devices)})
    app.layout = shell()
    app.callback(
        Output(ids.NAV_TITLE, "children"),
        Output(ids.NAV, "children"),
        Output(ids.LANG_SWITCH, "children"),
        Output(ids.LANG_SWITCH, "value"),
        Output(ids.SHELL, "className"),
        Output(ids.ROTATE_TIMER, "interval"),
        Output(ids.ROTATE_TIMER, "disabled"),
        Input(ids.URL, "pathname"),
        Input(ids.URL, "search"),
    )(update_shell)
    app.callback(Output(ids.SHELL_USER, "children"), Input(ids.URL, "search"))(user_area)
    app.clientside_callback(
        _CLOCK_JS, Output(ids.CLOCK, "children"), Input(ids.CLOCK_TIMER, "n_intervals")
    )
    app.clientside_callback(
        _LANG_JS,
        Output(ids.LANG_SWITCH, "title"),
        Input(ids.LANG_SWITCH, "n_clicks"),
        State(ids.LANG_SWITCH, "value"),
        prevent_initial_call=True,
    )
    app.clientside_callback(
        _ROTATE_JS,
        Output(ids.SHELL_SINK, "children"),
        Input(ids.ROTATE_TIMER, "n_intervals"),
        State(ids.ROTATE_PAGES, "data"),
        prevent_initial_call=True,
    )
    for page in PAGES:
        page.register(app)
    callbackguard.install(app.server)
    return app
