"""The dashboards' part of `ioc demo` (entry-point group `ioc.demo`, see `ioc.demo`): the
operations center, sharing the demo's storage and live state, served in the foreground.

Nothing is anonymous, not even the demo: on its first start (no user yet) it creates `admin`
with a random password, prints both with the address and keeps them in the data directory
(`ioc.auth.first_admin`)."""

from __future__ import annotations

from ioc.demo import DemoContext


class DashboardPart:
    order = 90  # last: it holds the foreground until Ctrl-C

    def start(self, ctx: DemoContext) -> None:
        from dashboards.app import create_app
        from ioc.auth.first_admin import ensure_admin

        sign_in = ensure_admin(ctx.settings)
        app = create_app(ctx.settings, live=ctx.live, storage=ctx.storage)
        host, port = ctx.options.host, ctx.options.port

        # werkzeug's server without Dash's and Flask's start-up banners: the "open" line is the
        # one a newcomer must see. `ctx.shutdown` (Ctrl-C / SIGTERM) ends serve_forever.
        from werkzeug.serving import make_server

        server = make_server(host, port, app.server, threaded=True)

        def serve() -> None:
            ctx.say(f"open        http://{host}:{port}/   (Ctrl-C to stop)")
            if sign_in:
                ctx.say(f"sign in     {sign_in}")
            server.serve_forever()

        ctx.shutdown = server.shutdown
        ctx.serve = serve

    def stop(self) -> None:
        """The web server stops with the foreground (Ctrl-C); nothing else to close."""
