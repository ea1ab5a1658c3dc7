#!/usr/bin/env bash
# The whole suite: lint and type checks, then every test (the UI tests start their own Xvfb).
set -euo pipefail
cd "$(dirname "$0")/.."
.venv/bin/ruff check .
.venv/bin/mypy  # kiosk/ and central_server/, as [tool.mypy] in pyproject.toml says
.venv/bin/python -m pytest -p no:cacheprovider "$@"
