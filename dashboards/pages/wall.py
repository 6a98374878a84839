"""The wall screen (`/`): live indicators and KPI tiles, the map and the alerts, 1920×1080.

Refreshed every second from the live snapshot (Redis, through `dashboards.data`), never from
InfluxDB. Tiles come from the KPI registry (`dashboards.tiles.catalogue`); each shows its data's
age and turns grey with a "stale" label when its feed is late or the live state is unreachable.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import dash
from dash import ALL, Input, Output, State, dcc, html, no_update

from dashboards import data, ids, sanitize, theme
from dashboards.components import alerts as alert_list
from dashboards.components import map as city_map
from dashboards.components import tile as tiles
from dashboards.i18n import duration, t
from dashboards.snapshot import build_snapshot
from dashboards.tiles import TileSpec, catalogue
from dashboards.urlstate import ViewState

PATH = "/"
REFRESH_MS = 1000


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


def layout(**query: Any) -> html.Div:
    state = ViewState.from_query(query)
    lang = state.lang
    shell = ViewState(lang=lang, kiosk=state.kiosk, rotate=state.rotate).to_query()
    specs = catalogue()
    groups = {g: [s for s in specs if s.group == g] for g in ("city", "services", "health")}
    return html.Div(
        [
            dcc.Interval(id=ids.WALL_TIMER, interval=REFRESH_MS),
            dcc.Store(id=ids.WALL_LANG, data={"lang": lang, "query": shell}),
            dcc.Store(id=ids.WALL_MAP_KEY, data=""),
            html.Div("", id=ids.WALL_STATUS, className="wall__status"),
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
                                    html.H2(t("map", lang), className="wall__heading"),
                                    dcc.Graph(
                                        id=ids.WALL_MAP,
                                        config=theme.WALL_GRAPH_CONFIG,
                                        className="wall__map",
                                        figure=city_map.figure({}, lang),
                                    ),
                                    html.Div(
                                        [
                                            html.Span(
                                                t(f"legend_{s}", lang), className=f"dot dot--{s}"
                                            )
                                            for s in ("ok", "warning", "critical", "no_data")
                                        ],
                                        className="wall__legend",
                                    ),
                                ],
                                className="wall__section wall__section--map",
                            ),
                            html.Section(
                                [
                                    html.H2(t("alerts", lang), className="wall__heading"),
                                    html.Div(id=ids.WALL_ALERTS, className="alerts"),
                                ],
                                className="wall__section wall__section--alerts",
                            ),
                        ],
                        className="wall__col wall__col--centre",
                    ),
                    html.Div(
                        [
                            _section(
                                t("group_services", lang),
                                groups["services"],
                                lang,
                                shell,
                                "tiles--services",
                            ),
                            _section(
                                t("group_health", lang),
                                groups["health"],
                                lang,
                                shell,
                                "tiles--health",
                            ),
                        ],
                        className="wall__col wall__col--right",
                    ),
                ],
                className="wall__grid",
            ),
        ],
        id=ids.WALL,
        className="wall",
    )


def refresh(
    n_intervals: int | None,
    page: dict[str, str] | None,
    tile_ids: list[dict[str, str]],
    map_key: str | None,
) -> tuple[Any, ...]:
    """One refresh from the live snapshot: tiles, alerts, status line and (when changed) map."""
    lang = sanitize.lang(page)
    query = sanitize.text(sanitize.mapping(page).get("query"))
    tile_ids = [t for t in (tile_ids if isinstance(tile_ids, list) else []) if isinstance(t, dict)]
    live = data.read_live()
    snapshot = build_snapshot(live, live.read_ms)
    views = {v["key"]: v for v in snapshot["tiles"]}
    values, details, ages, classes = [], [], [], []
    for tile_id in tile_ids:
        view = views.get(sanitize.text(tile_id.get("key")), {"stale": True, "status": "no_data"})
        value, detail, age, cls = tiles.render(view, lang, live.districts)
        values.append(value)
        details.append(detail)
        ages.append(age)
        classes.append(cls)
    if live.connected:
        kpi_age = snapshot["kpis"]["age_s"]
        kpi_text = "" if kpi_age is None else f" · KPI {duration(kpi_age, lang)}"
        status: list[Any] = [f"{t('live_ok', lang)}{kpi_text}"]
        status_class = "wall__status wall__status--ok"
    else:
        status = [t("live_lost", lang)]
        status_class = "wall__status wall__status--lost"
    figure = city_map.figure(snapshot, lang)
    key = hashlib.sha1(json.dumps(figure["data"], sort_keys=True).encode()).hexdigest()
    new_map = no_update if key == map_key else figure
    return (
        values,
        details,
        ages,
        classes,
        alert_list.wall_list(snapshot["alerts"], lang, query),
        status,
        status_class,
        new_map,
        key,
    )


def register(app: dash.Dash) -> None:
    dash.register_page(__name__, path=PATH, layout=layout, name="wall", title=t("app_short", "vi"))
    app.callback(
        Output(ids.tile_value(ALL), "children"),
        Output(ids.tile_detail(ALL), "children"),
        Output(ids.tile_age(ALL), "children"),
        Output(ids.tile(ALL), "className"),
        Output(ids.WALL_ALERTS, "children"),
        Output(ids.WALL_STATUS, "children"),
        Output(ids.WALL_STATUS, "className"),
        Output(ids.WALL_MAP, "figure"),
        Output(ids.WALL_MAP_KEY, "data"),
        Input(ids.WALL_TIMER, "n_intervals"),
        State(ids.WALL_LANG, "data"),
        State(ids.tile(ALL), "id"),
        State(ids.WALL_MAP_KEY, "data"),
    )(refresh)
