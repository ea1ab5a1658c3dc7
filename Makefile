# Two commands for a newcomer on a fresh Debian 12 machine:
#   make demo   installs everything and starts the demo
#   make test   installs everything and runs the whole test suite
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test setup system lint bench clean

demo: setup
	$(VENV)/bin/kiosk demo

test: setup
	bash tests/run-all.sh

setup: system $(STAMP)

system:
	bash deploy/install-system-packages.sh

# Reinstall when the dependency list changes.
$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[server,dev]"
	touch $(STAMP)

lint: setup
	$(VENV)/bin/ruff check .

bench: setup
	$(PY) bench/startup.py --json
	$(PY) bench/idcard_read.py --json
	$(PY) bench/bankcard_read.py --json
	$(PY) bench/receipt.py --json
	$(PY) bench/queue_bench.py --json

clean:
	rm -rf $(VENV) var artifacts
