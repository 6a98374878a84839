#!/usr/bin/env bash
# Set up (Debian packages + Python environment) and run every check: ruff, mypy, pytest.
# This is the README's test command and exactly what CI runs (.ci/run).
# Extra arguments go to pytest, e.g. scripts/test.sh -k sensor
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --services --browser
echo "==> ruff format --check / ruff check"
.venv/bin/ruff format --check .
.venv/bin/ruff check .
echo "==> mypy (ioc, collectors)"
.venv/bin/mypy
echo "==> pytest"
.venv/bin/pytest --reruns 2 --reruns-delay 2 "$@"
