"""The collectors' `ioc` commands: `ioc collect`, `ioc probe`, `ioc bench ingest`, `ioc bench
burst` and the others under `ioc bench` (see `ioc.cli`)."""

from __future__ import annotations

import logging
import signal
import threading
from types import FrameType

import orjson
import typer

from ioc.cli import Commands, fail, settings_or_exit
from ioc.errors import IocError


def register(cli: Commands) -> None:
    cli.root.command()(collect)
    cli.root.command()(probe)
    cli.bench.command("ingest")(bench_ingest)
    cli.bench.command("broker-crash")(bench_broker_crash)
    cli.bench.command("fuzz")(bench_fuzz)
    cli.bench.command("burst")(bench_burst)


def collect(
    workers: int = typer.Option(
        0,
        "--workers",
        min=0,
        help="run N collector processes on one $share group (each its own user and client id "
        "<name>-<i>), restarted when they die; 0: collect in this process",
    ),
) -> None:
    """Consume every feed from MQTT into storage and the live state until Ctrl-C / SIGTERM."""
    if workers:
        supervise(workers)
        return
    from collectors.collector import Collector
    from ioc.live import open_live_state
    from ioc.metrics import PipelineMetrics, new_registry, start_metrics
    from ioc.storage import open_storage

    settings = settings_or_exit()
    registry = new_registry()
    try:
        storage = open_storage(settings)
        live = open_live_state(settings)
    except IocError as exc:
        fail(str(exc), 2)
    collector = Collector(settings, storage, live, PipelineMetrics(registry))
    try:
        metrics = start_metrics(settings, registry, collector.probes())
    except IocError as exc:
        fail(str(exc), 2)
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()
        collector.stop(timeout=0)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        collector.run()
    except IocError as exc:
        fail(str(exc))
    finally:
        if metrics is not None:
            metrics.close()
        storage.close()
        live.close()
        logging.getLogger("ioc.collect").info("stopped")


def supervise(workers: int) -> None:
    """`ioc collect --workers N` (collectors/workers.py)."""
    from collectors.workers import Supervisor

    settings = settings_or_exit()
    supervisor = Supervisor(settings, workers)

    def on_signal(signum: int, frame: FrameType | None) -> None:
        supervisor.stop()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    code = supervisor.run()
    logging.getLogger("ioc.collect").info("workers stopped")
    if code:
        fail("a worker could not start (settings or credentials): see its log above", code)


def probe(
    targets: str = typer.Option(
        ..., "--targets", help="TOML file with one target table per portal"
    ),
    interval: float = typer.Option(60.0, "--interval", help="seconds between rounds of checks"),
    timeout: float = typer.Option(10.0, "--timeout", help="seconds a check may take"),
    rounds: int = typer.Option(0, "--rounds", help="stop after this many rounds (0: never)"),
    client_id: str = typer.Option("ioc-prober", "--client-id", help="MQTT client id"),
) -> None:
    """Check the portals of a targets file and publish `portal` messages (IOC_MQTT_URL);
    /metrics, /healthz and /readyz on IOC_METRICS_PORT when it is set."""
    from collectors.probe import Prober, Target, load_targets
    from ioc.metrics import ProbeMetrics, new_registry, start_metrics

    settings = settings_or_exit()
    registry = new_registry()
    probe_metrics = ProbeMetrics(registry)

    def on_check(target: Target, body: dict[str, object]) -> None:
        probe_metrics.observe(target.site, body)
        typer.echo(orjson.dumps({"site": target.site, **body}))

    try:
        prober = Prober(
            settings.mqtt, client_id, load_targets(targets), interval, timeout, on_check=on_check
        )
        metrics = start_metrics(settings, registry, {"broker": prober.broker_probe})
    except IocError as exc:
        fail(str(exc), 2)

    def on_signal(signum: int, frame: FrameType | None) -> None:
        prober.stop()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        prober.run(rounds or None)
    except OSError as exc:
        fail(f"cannot reach the broker at {settings.mqtt.host}:{settings.mqtt.port}: {exc}")
    finally:
        if metrics is not None:
            metrics.close()
    logging.getLogger("ioc.probe").info("stopped after %d checks", prober.published)


def bench_ingest(
    messages: int = typer.Option(100_000, "--messages", "-n", help="backlog size"),
    batch_size: int = typer.Option(5000, help="collector batch size"),
    workers: int = typer.Option(2, help="worker processes for the `ioc collect --workers` case"),
    rounds: int = typer.Option(
        3, min=1, help="backlogs drained by bare paho then the collector (median ratio shown)"
    ),
) -> None:
    """Drain a persistent-session backlog through the whole ingest (collector and KPI engine),
    one collector (`--rounds` times, beside bare paho and mosquitto_sub each time) and
    `--workers N`."""
    from collectors.bench import run_ingest

    logging.basicConfig(level="WARNING")
    figures = run_ingest(
        messages, lambda line: typer.echo(f"… {line}", err=True), batch_size, workers, rounds
    )
    result = figures.as_dict()
    rates, w = result["msg_per_s"], result["workers"]
    typer.echo(f"messages           {messages:>10,}  (≈ {result['payload_bytes']:.0f} B JSON each)")
    typer.echo(f"mosquitto_sub      {rates['mosquitto_sub']:>10,} msg/s")
    typer.echo(f"bare paho          {rates['paho_bare']:>10,} msg/s")
    typer.echo(
        f"collector          {rates['collector']:>10,} msg/s  (stored, acknowledged, folded)"
    )
    typer.echo(
        f"collector / paho   {result['collector_vs_paho']:>10.2f}   (goal ≥ 0.75; median of"
        f" {rounds} rounds: {', '.join(str(r['collector_vs_paho']) for r in result['rounds'])})"
    )
    typer.echo(
        f"collector / C sub  {result['collector_vs_mosquitto_sub']:>10.2f}   (stretch ≥ 0.25)"
    )
    typer.echo(f"--workers 1        {w['one_worker_msg_per_s']:>10,} msg/s  (from SIGCONT)")
    typer.echo(f"--workers {workers}        {w['msg_per_s']:>10,} msg/s  (from SIGCONT)")
    typer.echo(f"workers / one      {w['vs_one']:>10.2f}   (goal ≥ 1.7 with 2)")
    typer.echo(f"workers / paho     {w['collector_vs_paho']:>10.2f}")
    typer.echo(
        f"stored points      {figures.stored_points:>10,} + {figures.workers_stored_points:,}"
        f"  lost: {result['lost']} + {w['lost']}; engine folded {figures.engine_folded:,}"
        f" (repeated {figures.engine_repeated})"
    )
    typer.echo("CPU µs a message (bench = this process: bare paho, then the collector):")
    for phase, per in result["cpu_us_per_msg"].items():
        parts = "  ".join(f"{k} {v:,.0f}" for k, v in per.items() if k != "total")
        typer.echo(f"  {phase:<12} {per['total']:>6,.0f}  = {parts}")
    typer.echo(orjson.dumps(result).decode())
    if not figures.complete:
        raise typer.Exit(1)


def bench_burst(
    messages: int = typer.Option(50_000, "--messages", "-n", help="bad messages in the burst"),
    batch_size: int = typer.Option(5000, help="collector batch size"),
) -> None:
    """A backlog of N bad messages drained by the collector (every one dead-lettered: counted,
    kept in the live state, published and acknowledged by the broker), beside N good ones."""
    from collectors.bench_burst import run_burst

    logging.basicConfig(level="WARNING")
    result = run_burst(messages, lambda line: typer.echo(f"… {line}", err=True), batch_size)
    bad, good = result["bad"], result["good"]
    typer.echo(f"messages           {messages:>10,} bad, then {messages:,} good")
    typer.echo(
        f"bad (dead letters) {bad['msg_per_s']:>10,} msg/s  {bad['seconds']:.2f} s"
        f"  (goal ≤ {result['goal_s']:.0f} s for 50,000)"
    )
    typer.echo(f"good (stored)      {good['msg_per_s']:>10,} msg/s  {good['seconds']:.2f} s")
    typer.echo(f"bad / good         {result['bad_vs_good']:>10.2f}")
    for name, phase in (("bad", bad), ("good", good)):
        per = phase["cpu_us_per_msg"]
        parts = "  ".join(f"{k} {v:,.0f}" for k, v in per.items() if k != "total")
        typer.echo(f"CPU µs/msg, {name:<6} {per['total']:>6,.0f}  = {parts}")
    typer.echo(
        f"dead letters       {bad['deadletters']:>10,} published and acknowledged,"
        f" {bad['counted']:,} counted, {bad['deadletter_dropped']} shed; stored"
        f" {good['stored']:,} of {messages:,}"
    )
    typer.echo(orjson.dumps(result).decode())
    if not result["complete"]:
        raise typer.Exit(1)


def bench_broker_crash(
    rate: float = typer.Option(2000.0, help="QoS 1 messages per second"),
    seconds: float = typer.Option(10.0, help="publishing time before the kill -9"),
) -> None:
    """Mosquitto kill -9 with a subscriber behind: messages lost and the cost of each autosave
    setting (broker CPU, PUBACK latency)."""
    from collectors.bench_broker import run_broker_crash

    logging.basicConfig(level="WARNING")
    results = run_broker_crash(rate, seconds, lambda line: typer.echo(f"… {line}", err=True))
    head = ("setting", "acked", "lost", "CPU %", "p50 ms", "p99 ms", "max ms")
    typer.echo(f"{head[0]:<24} " + " ".join(f"{h:>8}" for h in head[1:]))
    for r in results:
        typer.echo(
            f"{r.setting:<24} {r.published:>8,} {r.lost:>8,} {r.broker_cpu_pct:>8.1f} "
            f"{r.puback_p50_ms:>8.2f} {r.puback_p99_ms:>8.2f} {r.puback_max_ms:>8.1f}"
        )
    typer.echo(orjson.dumps([r.as_dict() for r in results]).decode())


def bench_fuzz(
    messages: int = typer.Option(110_000, "--messages", "-n", help="mutated payloads"),
    seed: int = typer.Option(0, help="same seed: same payloads"),
) -> None:
    """Decode N mutants of the golden samples (byte flips, cuts, NaN/1e400/hostile values spliced
    in, duplicate keys, deep nesting, bad UTF-8): each must be stored exactly as sent or rejected
    with a reason. Prints the outcomes; exit 1 on any other exception."""
    import random
    import time
    import traceback
    from collections import Counter

    from collectors.fuzz import check_outcome, mutations

    rng = random.Random(seed)
    outcomes: Counter[str] = Counter()
    failures = 0
    received_ns = time.time_ns()
    started = time.perf_counter()
    for topic, payload in mutations(rng, messages):
        try:
            outcomes[check_outcome(topic, payload, received_ns)] += 1
        except Exception:  # the bench reports every kind of failure, then exits 1
            failures += 1
            if failures <= 5:
                typer.echo(f"FAILED on {topic} {payload[:200]!r}", err=True)
                typer.echo(traceback.format_exc(), err=True)
    elapsed = time.perf_counter() - started
    for outcome, n in outcomes.most_common():
        typer.echo(f"{outcome:<18} {n:>10,}")
    typer.echo(f"{'unexpected errors':<18} {failures:>10,}")
    typer.echo(f"{messages:,} payloads in {elapsed:.1f} s ({messages / elapsed:,.0f} /s)")
    if failures:
        raise typer.Exit(1)
