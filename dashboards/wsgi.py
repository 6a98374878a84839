"""The WSGI object for production servers: `gunicorn dashboards.wsgi:server`.

Importing this module builds the app from the IOC_* settings (its storage and live-state clients
connect lazily, at the first request); nothing else imports it. Every worker needs the same
IOC_DASHBOARD_SECRET_KEY (see `dashboards.app`).
"""

from __future__ import annotations

from dashboards.app import create_app

server = create_app().server
