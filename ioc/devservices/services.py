"""All three dev services at once, in one temporary directory."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from types import TracebackType
from typing import Self

from ioc.devservices.influxdb import InfluxDB
from ioc.devservices.mosquitto import Mosquitto
from ioc.devservices.redis import Redis
from ioc.settings import ENV_PREFIX


class DevServices:
    """Mosquitto, InfluxDB (+ shim) and Redis under one work dir; a context manager.

        with DevServices() as services:
            services.influxdb.create_database("ioc")
            env = services.env(database="ioc")   # IOC_* settings pointing at them

    Leaving the block stops all three, even after an error, and removes the work dir unless one
    was given or `keep=True`.
    """

    def __init__(self, workdir: Path | None = None, *, keep: bool = False) -> None:
        self._owns_workdir = workdir is None and not keep
        self.workdir = Path(tempfile.mkdtemp(prefix="ioc-dev-")) if workdir is None else workdir
        self.mosquitto = Mosquitto(self.workdir / "mosquitto")
        self.influxdb = InfluxDB(self.workdir / "influxdb")
        self.redis = Redis(self.workdir / "redis")

    def start(self) -> None:
        """Start all three; if one fails, the ones already started are stopped again."""
        try:
            self.redis.start()
            self.mosquitto.start()
            self.influxdb.start()
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        """Stop all three (each one even if another fails to stop) and clean up."""
        try:
            for service in (self.influxdb, self.mosquitto, self.redis):
                try:
                    service.close()
                except Exception:
                    service.kill()
        finally:
            if self._owns_workdir:
                shutil.rmtree(self.workdir, ignore_errors=True)

    def env(self, database: str = "ioc") -> dict[str, str]:
        """`IOC_*` environment variables that point the project's processes at these services."""
        return {
            f"{ENV_PREFIX}MQTT_URL": self.mosquitto.url,
            f"{ENV_PREFIX}INFLUX_URL": self.influxdb.url,
            f"{ENV_PREFIX}INFLUX_TOKEN": "devservices",
            f"{ENV_PREFIX}INFLUX_ORG": "ioc",
            f"{ENV_PREFIX}INFLUX_BUCKET": database,
            f"{ENV_PREFIX}REDIS_URL": self.redis.url,
        }

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
