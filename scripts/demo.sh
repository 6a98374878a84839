#!/usr/bin/env bash
# Set up (Python environment; python3-venv from Debian if missing) and run the whole IOC in one
# process: embedded MQTT broker, simulated province, collector, operations center on
# http://127.0.0.1:8050. Arguments go to `ioc demo` (e.g. --scenario flood --port 8060).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --demo   # the demo's packages only (no test tools), with pip's progress
exec .venv/bin/ioc demo "$@"
