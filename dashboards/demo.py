"""The dashboards' part of `ioc demo` (entry-point group `ioc.demo`, see `ioc.demo`): the
operations center, sharing the demo's storage and live state, served in the foreground."""

from __future__ import annotations

from ioc.demo import DemoContext


class DashboardPart:
    order = 90  # last: it holds the foreground until Ctrl-C

    def start(self, ctx: DemoContext) -> None:
        from dashboards.app import create_app

        app = create_app(ctx.settings, live=ctx.live, storage=ctx.storage)
        host, port = ctx.options.host, ctx.options.port

        def serve() -> None:
            ctx.say(f"open        http://{host}:{port}/   (Ctrl-C to stop)")
            app.run(host=host, port=port, debug=False)

        ctx.serve = serve

    def stop(self) -> None:
        """The web server stops with the foreground (Ctrl-C); nothing else to close."""
