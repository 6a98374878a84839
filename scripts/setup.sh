#!/usr/bin/env bash
# Set up a Debian machine for the IOC: Debian packages (when missing) and the Python environment.
# Usage: scripts/setup.sh [--services] [--browser] [--demo]
#   --demo      only what `ioc demo` needs: the project without its dev extra (no test tools),
#               with pip's progress shown (scripts/demo.sh uses it)
#   --services  Mosquitto, InfluxDB 1.6 and Redis (the test suite starts its own instances), and
#               docker-compose 1.29, which validates docker-compose.yml without a Docker engine
#               (installed without recommends: no engine comes with it)
#   --browser   Chromium and ChromeDriver (browser tests, screenshots)
# Idempotent: runs apt-get only for what is missing, pip only when pyproject.toml changed.
set -euo pipefail
cd "$(dirname "$0")/.."

want=()
need() { command -v "$1" >/dev/null 2>&1 || want+=("$2"); }
python3 -c 'import ensurepip, venv' >/dev/null 2>&1 || want+=(python3-venv python3-pip)
command -v python3 >/dev/null 2>&1 || want+=(python3)
demo=
for arg in "$@"; do
  case "$arg" in
    --demo)     demo=1 ;;
    --services) need mosquitto mosquitto; need mosquitto_sub mosquitto-clients
                need influxd influxdb; need redis-server redis-server
                need docker-compose docker-compose ;;
    --browser)  need chromium chromium; need chromedriver chromium-driver ;;
    *) echo "unknown option: $arg" >&2; exit 2 ;;
  esac
done
if [ ${#want[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "Missing Debian packages: ${want[*]} — run as root or: sudo apt-get install ${want[*]}" >&2
    exit 1
  fi
  echo "==> apt-get install ${want[*]}"
  apt-get update -q
  # The packages' own services are not wanted: tests start their own on free ports.
  made_policy=
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
    made_policy=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${want[@]}"
  [ -z "$made_policy" ] || rm -f /usr/sbin/policy-rc.d
fi

if [ ! -x .venv/bin/python ]; then
  echo "==> creating .venv"
  python3 -m venv .venv
fi
hash=$(sha1sum pyproject.toml | cut -c1-12)
stamp=.venv/.installed-$hash            # the project with its dev extra (tests, lint)
demo_stamp=.venv/.installed-demo-$hash  # the project alone (scripts/demo.sh)
if [ -n "$demo" ]; then
  if [ ! -f "$stamp" ] && [ ! -f "$demo_stamp" ]; then
    echo "==> pip install -e .   (the demo's packages only; a first install takes a minute or two)"
    .venv/bin/python -m pip install --upgrade --progress-bar on pip
    .venv/bin/python -m pip install --progress-bar on -e .
    rm -f .venv/.installed-demo-*
    touch "$demo_stamp"
  fi
elif [ ! -f "$stamp" ]; then
  echo "==> pip install -e .[dev]"
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e ".[dev]"
  rm -f .venv/.installed-*
  touch "$stamp"
fi
