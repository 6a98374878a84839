"""Services never outlive the Python process that started them, even when it is SIGKILLed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from ioc.devservices import wait_until

from .test_services import alive

pytestmark = pytest.mark.services

STARTER = """
import sys
from pathlib import Path
from ioc.devservices import Redis
server = Redis(Path(sys.argv[1]))
server.start()
print(server.pid, flush=True)
sys.stdin.read()
"""


@pytest.mark.parametrize("how", ["sigkill", "normal exit"])
def test_service_dies_with_its_parent(tmp_path: Path, how: str) -> None:
    parent = subprocess.Popen(
        [sys.executable, "-c", STARTER, str(tmp_path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    assert parent.stdin is not None and parent.stdout is not None
    try:
        pid = int(parent.stdout.readline())
        assert alive(pid)
        if how == "sigkill":
            os.kill(parent.pid, signal.SIGKILL)  # no atexit: the watchdog must do it
        parent.stdin.close()
        parent.wait(30)
        wait_until(lambda: not alive(pid), timeout=10, message=f"redis {pid} gone")
    finally:
        parent.stdout.close()
        if parent.poll() is None:
            parent.kill()
            parent.wait()
