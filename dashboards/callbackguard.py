"""Crafted callback requests get a 400 with a sentence, never a 500.

The browser sends each callback the values its components hold: a string for `dcc.Location`'s
`search`, a number for `n_clicks`… A script replaying `/_dash-update-component` can send any JSON
instead, and callbacks (Dash's own page router included) then fail on the type: `TypeError`,
`AttributeError`… Those failures, and only on this route, answer 400 "callback values not
understood" and are logged with their traceback (a real bug with the browser's values shows up
there too); anything else is still a 500. Tested by tests/dashboards/test_callback_replay.py.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

import flask
from dash.exceptions import UnsupportedRelativePath

log = logging.getLogger(__name__)

CALLBACK_ROUTE = "_dash-update-component"
# What a callback raises on a value of the wrong type or shape; UnsupportedRelativePath is
# Dash's page router refusing a `pathname` that is not a path of this app.
VALUE_ERRORS = (
    TypeError,
    AttributeError,
    ValueError,
    KeyError,
    IndexError,
    UnsupportedRelativePath,
)
MESSAGE = "callback values not understood"


def install(server: flask.Flask) -> None:
    """Wrap the Dash callback dispatcher of `server` (call after the Dash app exists)."""
    for rule in server.url_map.iter_rules():
        if rule.rule.endswith(CALLBACK_ROUTE):
            view = server.view_functions[rule.endpoint]
            server.view_functions[rule.endpoint] = _guarded(view)


def _guarded(view: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(view)
    def dispatch(*args: Any, **kwargs: Any) -> Any:
        try:
            return view(*args, **kwargs)
        except VALUE_ERRORS:
            log.warning("callback request refused (%s)", MESSAGE, exc_info=True)
            return flask.jsonify(error=MESSAGE), 400

    return dispatch
