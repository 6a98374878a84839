"""Real Mosquitto, InfluxDB 1.6 (+ a v2-write shim) and Redis for tests and benchmarks.

Each service runs its Debian binary on free 127.0.0.1 ports in its own work dir, is confirmed ready
by polling (never sleeping), and is stopped again — at the latest at interpreter exit, or by a
watchdog if this process is killed. Used by the pytest fixtures (`tests/conftest.py`) and by
`ioc bench ingest`; never mocks.

    free_port()                      a free loopback TCP port
    wait_until(predicate, ...)       poll with a deadline, TimeoutError with a message
    Mosquitto(workdir)               the project's mosquitto.conf on loopback; .url mqtt://…
    InfluxDB(workdir)                influxd 1.6; .url = shim (v2 writes), .engine_url = 1.6 API
    InfluxShim(host, engine_port)    /api/v2/write → /write, everything else passed through
    Redis(workdir)                   redis-server, nothing persisted; .url redis://…/0
    DevServices()                    all three in one temp dir, a context manager
    DevServiceError                  a service could not be started or used
"""

from ioc.devservices.influx_shim import InfluxShim
from ioc.devservices.influxdb import InfluxDB
from ioc.devservices.mosquitto import Mosquitto
from ioc.devservices.ports import free_port
from ioc.devservices.process import DevServiceError, ServiceProcess
from ioc.devservices.redis import Redis
from ioc.devservices.services import DevServices
from ioc.devservices.wait import wait_until

__all__ = [
    "DevServiceError",
    "DevServices",
    "InfluxDB",
    "InfluxShim",
    "Mosquitto",
    "Redis",
    "ServiceProcess",
    "free_port",
    "wait_until",
]
