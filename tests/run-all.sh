#!/usr/bin/env bash
# The whole suite: lint and type checks, then every test (the UI tests start their own Xvfb).
set -euo pipefail
cd "$(dirname "$0")/.."
.venv/bin/ruff check .
.venv/bin/mypy  # kiosk/ and central_server/, as [tool.mypy] in pyproject.toml says
# Two workers, a test file's tests on one of them (its module fixtures start once): most tests wait on
# servers, devices and timers, so two workers nearly halve the run even on two cores.
.venv/bin/python -m pytest -p no:cacheprovider -n 2 --dist loadfile "$@"
# The whole run (no tests named): the centre's suite again, on a real PostgreSQL that the tests start from
# Debian's package (docs/database.md).
if [ $# -eq 0 ]; then
  # Not test_cli.py: the servers it starts are subprocesses, which stay on SQLite (docs/database.md).
  CENTRAL_TEST_DB=postgresql .venv/bin/python -m pytest -p no:cacheprovider -n 2 --dist loadfile tests/central \
    --ignore=tests/central/test_cli.py
fi
