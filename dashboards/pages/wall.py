"""The wall screen (`/`): live indicators and KPI tiles, the map and the alerts, 1920×1080.

Three columns (city indicators; the map over the alerts; public services) over a band of one
row of tiles per remaining group (information security, device health): every tile at least
the sizes a room reads at 1080p, nothing scrolls.

Pushed from the live snapshot (Redis, through `dashboards.data`), never from InfluxDB: the
server renders the view once per change (`dashboards.push`) and streams it; the browser writes it
into the page (assets/40-wall-push.js), polls once a second only while the stream is down, and
says so on the wall (`WALL_PUSH_STATE`). Tiles come from the KPI registry
(`dashboards.tiles.catalogue`); each shows its data's age and turns grey with a "stale" label
when its feed is late or the live state is unreachable.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, NamedTuple
from urllib.parse import parse_qsl

import dash
import orjson
from dash import ClientsideFunction, Input, Output, State, dcc, html, no_update
from dash.development.base_component import Component

from dashboards import alertview, data, ids, push, sanitize, theme
from dashboards.components import alerts as alert_list
from dashboards.components import map as city_map
from dashboards.components import tile as tiles
from dashboards.i18n import duration, t
from dashboards.links import alert_href
from dashboards.snapshot import build_snapshot, clock_time
from dashboards.status import health
from dashboards.tiles import WALL_GROUPS, TileSpec, catalogue
from dashboards.urlstate import ViewState

PATH = "/"
REFRESH_MS = 1000
PUSH_STATES = ("connecting", "lost", "polling")
# What the browser keeps of an alert row to show it again while the live state is lost.
_ROW_KEYS = (
    "alert_id",
    "rule",
    "scope",
    "severity",
    "state",
    "raised_ms",
    "since_ms",
    "acked_by",
    "text",
    "group",
    "n",
    "unacknowledged",
)


def _section(title: str, specs: list[TileSpec], lang: str, query: str, cls: str) -> html.Section:
    return html.Section(
        [
            html.H2(title, className="wall__heading"),
            html.Div(
                [tiles.tile(s, lang, s.href(keep=query)) for s in specs],
                className=f"tiles {cls}",
            ),
        ],
        className="wall__section",
    )


# The groups in the band under the three columns, side by side, one row of tiles each.
_BAND = tuple(g for g in WALL_GROUPS if g not in ("city", "services"))


def layout(**query: Any) -> html.Div:
    state = ViewState.from_query(query)
    lang = state.lang
    shell = ViewState(lang=lang, kiosk=state.kiosk, rotate=state.rotate).to_query()
    specs = catalogue()
    groups = {g: [s for s in specs if s.group == g] for g in WALL_GROUPS}
    return html.Div(
        [
            # the polling fallback: switched on by the push script only while its stream is down
            dcc.Interval(id=ids.WALL_TIMER, interval=REFRESH_MS, disabled=True),
            dcc.Store(id=ids.WALL_LANG, data={"lang": lang, "query": shell}),
            dcc.Store(id=ids.WALL_PUSH, data=None),  # the newest polled frame (JSON text)
            dcc.Store(id=ids.WALL_PUSH_TEXT, data={k: t(f"push_{k}", lang) for k in PUSH_STATES}),
            dcc.Store(id=ids.WALL_MAP_FIG, data=None),
            html.Div("", id=ids.WALL_STATUS, className="wall__status"),
            html.Div("", id=ids.WALL_PUSH_STATE, className="wall__push wall__push--connecting"),
            html.Div(
                [
                    html.Div(
                        _section(t("group_city", lang), groups["city"], lang, shell, "tiles--city"),
                        className="wall__col wall__col--left",
                    ),
                    html.Div(
                        [
                            html.Section(
                                [
                                    html.H2(
                                        [
                                            t("map", lang),
                                            html.Span(
                                                "", id=ids.WALL_MAP_NOTE, className="wall__note"
                                            ),
                                        ],
                                        className="wall__heading",
                                    ),
                                    dcc.Graph(
                                        id=ids.WALL_MAP,
                                        config=theme.WALL_GRAPH_CONFIG,
                                        className="wall__map",
                                        figure=city_map.figure({}, lang),
                                    ),
                                    html.Div(
                                        [
                                            html.Span(
                                                [
                                                    html.Span(
                                                        city_map.MARKS[s][2],
                                                        className=f"mark mark--{s}",
                                                    ),
                                                    t(f"legend_{s}", lang),
                                                ],
                                                className="legend__item",
                                            )
                                            for s in (
                                                "ok",
                                                "warning",
                                                "critical",
                                                "offline",
                                                "no_data",
                                            )
                                        ],
                                        className="wall__legend",
                                    ),
                                ],
                                className="wall__section wall__section--map",
                            ),
                            html.Section(
                                [
                                    html.Div(
                                        [
                                            html.H2(
                                                t("alerts", lang),
                                                id=ids.WALL_ALERTS_TITLE,
                                                className="wall__heading",
                                            ),
                                            html.Div(
                                                "",
                                                id=ids.WALL_ALERT_COUNTS,
                                                className="alert-counts",
                                            ),
                                        ],
                                        className="wall__alerts-head",
                                    ),
                                    html.Div(id=ids.WALL_ALERTS, className="alerts"),
                                    html.Div(
                                        "",
                                        id=ids.WALL_ALERTS_MORE,
                                        className="alerts__more",
                                        style={"display": "none"},
                                    ),
                                    dcc.Store(
                                        id=ids.WALL_MORE_TEXT, data=t("more_alerts", lang, n="{n}")
                                    ),
                                ],
                                className="wall__section wall__section--alerts",
                            ),
                        ],
                        className="wall__col wall__col--centre",
                    ),
                    html.Div(
                        _section(
                            t("group_services", lang),
                            groups["services"],
                            lang,
                            shell,
                            "tiles--services",
                        ),
                        className="wall__col wall__col--right",
                    ),
                    html.Div(
                        [
                            _section(t(f"group_{g}", lang), groups[g], lang, shell, f"tiles--{g}")
                            for g in _BAND
                        ],
                        className="wall__band",
                    ),
                ],
                className="wall__grid",
            ),
        ],
        id=ids.WALL,
        className="wall",
    )


# The map's fonts and markers are in px inside Plotly: scale them with the root font-size (16 px
# at 1920×1080, 32 px at 3840×2160) so the map grows with the rest of the wall.
_SCALE_MAP_JS = """
function(fig) {
  if (!fig) { return window.dash_clientside.no_update; }
  const k = parseFloat(getComputedStyle(document.documentElement).fontSize) / 16;
  if (Math.abs(k - 1) < 0.01) { return fig; }
  const out = JSON.parse(JSON.stringify(fig));
  for (const tr of out.data) {
    if (tr.marker && tr.marker.size) {
      tr.marker.size = Array.isArray(tr.marker.size)
        ? tr.marker.size.map(s => s * k) : tr.marker.size * k;
    }
    if (tr.line && tr.line.width) { tr.line.width *= k; }
  }
  for (const a of (out.layout.annotations || [])) {
    if (a.font && a.font.size) { a.font.size *= k; }
    a.xshift = (a.xshift || 0) * k;
    a.yshift = (a.yshift || 0) * k;
  }
  return out;
}
"""


class WallView(NamedTuple):
    """What one refresh returns, in the order of the callback's outputs."""

    values: list[Any]
    details: list[Any]
    ages: list[Any]
    classes: list[str]
    hrefs: list[str]
    alerts: list[Any]
    alerts_class: str
    counts: list[Any]
    alerts_title: str
    status: list[Any]
    status_class: str
    map: Any
    map_key: str
    last: Any
    map_note: str


def _status(live: data.LiveData, snapshot: dict[str, Any], lang: str) -> tuple[list[Any], str]:
    """The status line: which part is late (collector, KPI engine, live state), in words."""
    report = health(live, live.read_ms)
    late = [p for p in report["parts"] if p["level"] != "ok"]
    if not late:
        n = sum(1 for p in report["parts"] if p["part"] == "collector")
        kpi_age = snapshot["kpis"]["age_s"]
        bits = [t("live_ok", lang), t("health_ok", lang)]
        if kpi_age is not None:
            bits.append(f"KPI {duration(kpi_age, lang)}")
        bits.append(t("collectors_n", lang, n=n))
        return [" · ".join(bits)], "wall__status wall__status--ok"
    words = []
    for p in late:
        part = t(f"part_{p['part']}", lang, name=p.get("name", ""))
        if p["age_s"] is None:
            words.append(t("health_missing", lang, part=part))
        else:
            words.append(t("health_late", lang, part=part, age=duration(p["age_s"], lang)))
    level = report["level"]
    icon = "▲" if level == "warning" else "■"
    return [f"{icon} {'; '.join(words)}"], f"wall__status wall__status--{level}"


def _compact(row: dict[str, Any]) -> dict[str, Any]:
    return {k: row[k] for k in _ROW_KEYS if k in row}


def _last_known_tile(view: dict[str, Any], now_ms: int, shown_ms: int) -> dict[str, Any]:
    """A tile of the last good view (shown at `shown_ms`), marked as last known with its age
    now: from its data time, or, for a tile that had only an age (live counts), from that."""
    data_ms = view.get("data_ms")
    if not data_ms and view.get("age_s") is not None:
        data_ms = shown_ms - float(view["age_s"]) * 1000
    age = round((now_ms - data_ms) / 1000, 1) if data_ms else None
    return view | {"stale": True, "stale_reason": "connection", "last_known": True, "age_s": age}


def refresh(
    live: data.LiveData,
    lang: str,
    query: str,
    tile_keys: list[str],
    last: dict[str, Any] | None,
) -> WallView:
    """One view of the live snapshot for every tile in `tile_keys`: tiles, alerts, status line
    and map (with its key).

    While the live state is lost, the last good view (`last`, what the previous view returned
    as `WallView.last`) is shown again, every tile and alert marked as last known with its
    age, under the lost banner."""
    now = live.read_ms
    snapshot = build_snapshot(live, now)
    map_note = ""
    if live.connected:
        names = data.source_names()
        for alert in snapshot["alerts"]:
            alert["text"], alert["value_text"] = alertview.split_value(
                alertview.text(alert, live.kpis, lang, names)
            )
        rows = alertview.rows(snapshot["alerts"])
        views = {v["key"]: v for v in snapshot["tiles"]}
        counts = snapshot["alert_counts"]
        status, status_class = _status(live, snapshot, lang)
        keep: Any = {
            "ms": now,
            "tiles": list(views.values()),
            "rows": [_compact(r) for r in rows],
            "counts": counts,
        }
        alerts_title = t("alerts", lang)
        figure = city_map.figure(snapshot, lang, data.catalogue())
        key = hashlib.sha1(json.dumps(figure["data"], sort_keys=True).encode()).hexdigest()
        new_map = figure
    else:
        keep = last
        new_map, key = None, ""
        if last:
            views = {v["key"]: _last_known_tile(v, now, last["ms"]) for v in last["tiles"]}
            rows = [
                r | {"age_s": (now - (r.get("raised_ms") or r.get("since_ms") or now)) / 1000}
                for r in last["rows"]
            ]
            counts = last["counts"]
            when = clock_time(last["ms"])
            age = duration((now - last["ms"]) / 1000, lang)
            status = [t("last_known_banner", lang, time=when, age=age)]
            alerts_title = t("last_known_alerts", lang, time=when)
            map_note = t("last_known_ago", lang, age=age)
        else:
            views = {v["key"]: v for v in snapshot["tiles"]}
            rows, counts = [], None
            status = [t("live_lost", lang)]
            alerts_title = t("alerts", lang)
            map_note = t("last_known_none", lang)
        status_class = "wall__status wall__status--lost"
    values, details, ages, classes, hrefs = [], [], [], [], []
    specs = {s.key: s for s in catalogue()}
    for tile_key in tile_keys:
        view = views.get(tile_key, {"stale": True, "status": "no_data"})
        spec = specs.get(tile_key)
        hrefs.append(spec.href(view if view.get("scope") else None, keep=query) if spec else "/")
        value, detail, age_children, cls = tiles.render(view, lang, live.districts)
        values.append(value)
        details.append(detail)
        ages.append(age_children)
        classes.append(cls)
    if counts is None:
        alert_rows: list[Any] = [html.Div(t("last_known_none", lang), className="alerts__lost")]
        count_bar: list[Any] = [html.Span(t("connection_lost", lang), className="alert-count__un")]
    else:
        alert_rows = alert_list.wall_list(
            rows, lang, query, link=lambda r: alert_href(r, query, now)
        )
        count_bar = alert_list.counts_bar(counts, lang)
    alerts_class = "alerts alerts--last-known" if not live.connected else "alerts"
    return WallView(
        values,
        details,
        ages,
        classes,
        hrefs,
        alert_rows,
        alerts_class,
        count_bar,
        alerts_title,
        status,
        status_class,
        new_map,
        key,
        keep,
        map_note,
    )


def variant(query: dict[str, Any]) -> push.Variant:
    """The checked variant of the wall a stream or poll asks for: its language and the query
    its links keep (rebuilt by `ViewState`, so a browser cannot invent others)."""
    state = ViewState.from_query(
        {k: v for k, v in query.items() if k in ("lang", "kiosk", "rotate")}
    )
    return state.lang, ViewState(lang=state.lang, kiosk=state.kiosk, rotate=state.rotate).to_query()


def frame(chosen: push.Variant, live: data.LiveData, last: Any) -> tuple[bytes, Any]:
    """The view of one variant as JSON for the browser (`render_js` writes it in), computed
    once per change for every wall showing that variant; and the last good view to keep."""
    lang, query = chosen
    keys = [s.key for s in catalogue()]
    view = refresh(live, lang, query, keys, last)
    tiles_ = {
        key: {"value": v, "detail": d, "age": a, "class": c, "href": h}
        for key, v, d, a, c, h in zip(
            keys, view.values, view.details, view.ages, view.classes, view.hrefs, strict=True
        )
    }
    body = {
        "ms": live.read_ms,
        "tiles": tiles_,
        "alerts": view.alerts,
        "alerts_class": view.alerts_class,
        "counts": view.counts,
        "alerts_title": view.alerts_title,
        "status": view.status,
        "status_class": view.status_class,
        "map": view.map,
        "map_key": view.map_key,
        "map_note": view.map_note,
    }
    return orjson.dumps(body, default=_component_json, option=orjson.OPT_SERIALIZE_NUMPY), view.last


def _component_json(value: Any) -> Any:
    """A Dash component as the JSON Dash renders (orjson: ≈ 10 × plotly's encoder here)."""
    if isinstance(value, Component):
        return value.to_plotly_json()
    raise TypeError(f"not JSON: {type(value).__name__}")


def poll(n_intervals: int | None, page: dict[str, str] | None) -> Any:
    """The polling fallback: the frame the streams get (never a render of this browser's own)."""
    page = sanitize.mapping(page)
    query = sanitize.text(page.get("query")).lstrip("?")
    chosen = variant({**dict(parse_qsl(query)), "lang": sanitize.lang(page)})
    found = push.hub().frame(chosen)
    return found.body.decode() if found is not None else no_update


def register(app: dash.Dash) -> None:
    dash.register_page(__name__, path=PATH, layout=layout, name="wall", title=t("app_short", "vi"))
    push.install(app.server, frame, data.read_live, variant)
    app.callback(
        Output(ids.WALL_PUSH, "data"),
        Input(ids.WALL_TIMER, "n_intervals"),
        State(ids.WALL_LANG, "data"),
        prevent_initial_call=True,
    )(poll)
    app.clientside_callback(
        ClientsideFunction("wallpush", "start"),
        Output(ids.WALL_PUSH_STATE, "title"),
        Input(ids.WALL_LANG, "data"),
        State(ids.WALL_PUSH_TEXT, "data"),
    )
    # the polling fallback's frames; pushed ones are applied by the script as they come
    app.clientside_callback(
        ClientsideFunction("wallpush", "render"),
        Output(ids.SHELL_SINK, "children", allow_duplicate=True),
        Input(ids.WALL_PUSH, "data"),
        prevent_initial_call=True,
    )
    app.clientside_callback(
        ClientsideFunction("wallpush", "fit"),
        Output(ids.WALL_ALERTS_MORE, "title"),
        Input(ids.WALL_ALERTS, "children"),
        State(ids.WALL_MORE_TEXT, "data"),
        prevent_initial_call=True,
    )
    app.clientside_callback(
        _SCALE_MAP_JS,
        Output(ids.WALL_MAP, "figure"),
        Input(ids.WALL_MAP_FIG, "data"),
        prevent_initial_call=True,
    )
