"""`ioc demo`'s composition: the core starts broker, storage and live state, then the registered
parts in order, hands them one context, and stops them in reverse (the parts themselves are the
packages'; tests/dashboards/test_demo.py runs the whole demo as a user does)."""

from __future__ import annotations

from ioc.demo import Demo, DemoContext, DemoOptions, demo_parts


class Part:
    def __init__(self, name: str, log: list[str], serve: bool = False) -> None:
        self.name, self.log, self.serve = name, log, serve
        self.ctx: DemoContext | None = None

    def start(self, ctx: DemoContext) -> None:
        self.log.append(f"start {self.name}")
        self.ctx = ctx
        if self.serve:
            ctx.serve = lambda: self.log.append(f"serve {self.name}")

    def stop(self) -> None:
        self.log.append(f"stop {self.name}")


def test_parts_share_one_context_and_stop_in_reverse(mosquitto, tmp_path):
    log: list[str] = []
    said: list[str] = []
    demo = Demo(
        DemoOptions(data_dir=str(tmp_path)),
        said.append,
        mqtt_url=mosquitto.url,
        influx_url="",
        redis_url="",
    )
    consumer, server = Part("consumer", log), Part("server", log, serve=True)
    ctx = demo.start([consumer, server])
    try:
        assert consumer.ctx is ctx and server.ctx is ctx
        assert ctx.settings.mqtt_url == mosquitto.url  # a broker answered: none embedded
        assert ctx.storage.latest("sensor").empty
        assert ctx.live.counters() == {}
        assert ctx.serve is not None
        ctx.serve()
    finally:
        demo.stop()
    assert log == ["start consumer", "start server", "serve server", "stop server", "stop consumer"]
    assert said[0].startswith(f"broker      {mosquitto.url} ") and "already running" in said[0]
    assert said[-1] == "stopped"
    assert (tmp_path / "ioc.sqlite3").exists()


def test_the_registered_parts_start_consumers_first_and_the_foreground_last():
    parts = demo_parts()
    assert [type(p).__name__ for p in parts] == ["CollectorPart", "SimulatorPart", "DashboardPart"]
    assert [p.order for p in parts] == sorted(p.order for p in parts)
