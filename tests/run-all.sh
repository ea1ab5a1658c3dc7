#!/usr/bin/env bash
# The whole suite: lint, then every test (the UI tests start their own Xvfb).
set -euo pipefail
cd "$(dirname "$0")/.."
.venv/bin/ruff check .
.venv/bin/python -m pytest -p no:cacheprovider "$@"
