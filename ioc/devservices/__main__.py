"""`python -m ioc.devservices [DATABASE]`: start throw-away Mosquitto, InfluxDB and Redis on free
loopback ports, print their `IOC_*` settings (KEY=VALUE lines, ready for `set -a; . file`), and
keep them running until Ctrl-C or SIGTERM."""

from __future__ import annotations

import signal
import sys
import threading

from ioc.devservices.services import DevServices


def main(argv: list[str]) -> None:
    database = argv[0] if argv else "ioc"
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    with DevServices() as services:
        services.influxdb.create_database(database)
        for key, value in services.env(database=database).items():
            print(f"{key}={value}", flush=True)
        print(f"# running in {services.workdir}; Ctrl-C to stop", file=sys.stderr, flush=True)
        stop.wait()


if __name__ == "__main__":
    main(sys.argv[1:])
