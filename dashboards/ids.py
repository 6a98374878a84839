"""Every component id of the dashboard, in one place. Never glue ids from strings elsewhere.

Plain ids are constants; pattern-matching ids (one per tile, alert, page control) are made by
the functions below, so a typo is an AttributeError at import, not a silent dead callback.
"""

from __future__ import annotations

from typing import Any

# -- shell (app.py) -----------------------------------------------------------------------------
URL = "shell-url"
SHELL = "shell"
NAV = "shell-nav"
NAV_TITLE = "shell-title"
LANG_SWITCH = "shell-lang-switch"
CLOCK = "shell-clock"
CLOCK_TIMER = "shell-clock-timer"
ROTATE_TIMER = "shell-rotate-timer"
ROTATE_PAGES = "shell-rotate-pages"
SHELL_USER = "shell-user"  # the signed-in user, their role, admin/audit links, sign-out
SHELL_SINK = "shell-sink"  # output of client-side callbacks that only act on the browser

# -- wall screen ---------------------------------------------------------------------------------
WALL = "wall"
WALL_TIMER = "wall-timer"
WALL_LANG = "wall-lang"
WALL_STATUS = "wall-status"
WALL_ALERTS = "wall-alerts"
WALL_MAP = "wall-map"
WALL_MAP_NOTE = "wall-map-note"
WALL_MAP_FIG = "wall-map-figure"  # Store: the map as computed, scaled to the screen client side
WALL_PUSH = "wall-push"  # Store: the newest polled frame (JSON text; pushed ones skip Dash)
WALL_PUSH_TEXT = "wall-push-text"  # Store: the push badge's words in the page's language
WALL_PUSH_STATE = "wall-push-state"  # the push badge: connecting / lost (and polling) in words
WALL_ALERTS_TITLE = "wall-alerts-title"
WALL_ALERT_COUNTS = "wall-alert-counts"
WALL_ALERTS_MORE = "wall-alerts-more"  # "và 12 cảnh báo khác": the rows that do not fit
WALL_MORE_TEXT = "wall-more-text"  # Store: that line's template


# -- tiles of the wall screen (one per tile key) ----------------------------------------------
def tile(key: str | Any) -> dict[str, Any]:
    """The whole tile (its className carries the status and the staleness)."""
    return {"type": "tile", "key": key}


def tile_value(key: str | Any) -> dict[str, Any]:
    return {"type": "tile-value", "key": key}


def tile_detail(key: str | Any) -> dict[str, Any]:
    return {"type": "tile-detail", "key": key}


def tile_age(key: str | Any) -> dict[str, Any]:
    return {"type": "tile-age", "key": key}


def control(page: str, name: str) -> dict[str, str]:
    """A filter control of a drill-down page: range, start, end, district, source…"""
    return {"type": "control", "page": page, "name": name}


def filter_box(page: str, name: str) -> dict[str, str]:
    """The box of a filter control: its label and the control."""
    return {"type": "filter", "page": page, "name": name}


def page_part(page: str, name: str) -> str:
    """A single element of a drill-down page (chart, grid, alert panel…)."""
    return f"{page}-{name}"


def ack_open(page: str, alert_id: str | Any) -> dict[str, Any]:
    """The acknowledge button of one alert in a drill-down's alert panel."""
    return {"type": "ack-open", "page": page, "alert": alert_id}


# Parts of every drill-down page, used with page_part(page, ...).
HISTORY = "history"
BREAKDOWN = "breakdown"
FIGURE = "figure"  # suffix: a chart's figure as computed, before it is scaled to the screen
GRID = "grid"
GRID_SLOT = "grid-slot"  # where the grid is mounted once the history chart is drawn
GRID_SPEC = "grid-spec"  # the grid component as the layout built it, until it is mounted
EXPORT = "export"
QUERY = "query"  # the URL query string of the current view (pushed to the address bar)
URL_SYNC = "url-sync"
ALERTS = "alerts"
ALERTS_TIMER = "alerts-timer"
SUMMARY = "summary"
RECORDS_NOTE = "records-note"  # under the raw records: why they cannot be read, in words
INCIDENTS = "incidents"  # /security: the incidents of the range with their timeline
BY_AGENCY = "by-agency"  # /security: the measure per agency (security) or per portal
PAGE_LANG = "lang"
ACK_MODAL = "ack-modal"
ACK_DONE = "ack-done"  # the confirmation that stays on the page after the dialog closes
ACK_ALERT = "ack-alert"  # Store: the alert being acknowledged
ACK_TEXT = "ack-text"
ACK_BY = "ack-by"
ACK_COMMENT = "ack-comment"
ACK_SUBMIT = "ack-submit"
ACK_CANCEL = "ack-cancel"
ACK_FEEDBACK = "ack-feedback"
