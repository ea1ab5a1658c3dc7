"""`kiosk run` up to its window, as a service manager starts it: what it refuses, in one line and exit 2,
and what it does not load on the way (the staff tools' libraries, half a second of start-up)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.devices.support import installed

# Libraries only the staff tools (`kiosk devices|config|queue`) and the kiosk's background start need.
NOT_BEFORE_THE_WINDOW = (
    "sqlalchemy",
    "cryptography",
    "escpos",
    "smartcard",
    "requests",
    "kiosk.offline_queue",
    "kiosk.remote_config",
    "kiosk.devices.idcard.emulator",
    "kiosk.devices.bankcard",
    "kiosk.devices.printer",
)


def _kiosk_run(settings: Path) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    """`kiosk run` with a display that passes the pre-flight check but is never reached: the start ends at
    the settings or the devices, before Kivy. Returns the run and every module it imported."""
    env = {key: value for key, value in os.environ.items() if key != "DISPLAY"}
    env["WAYLAND_DISPLAY"] = "wayland-kiosk-test"
    done = subprocess.run(
        [sys.executable, "-X", "importtime", installed("kiosk"), "run", "--config", str(settings)],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env,
        timeout=60,
    )
    modules = set(re.findall(r"^import time:\s+\d+ \|\s+\d+ \|\s+(\S+)$", done.stderr, re.MULTILINE))
    return done, modules


def _said(done: subprocess.CompletedProcess[str]) -> list[str]:
    return [line for line in done.stderr.splitlines() if not line.startswith("import time:")]


def _heavy(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if m.startswith(NOT_BEFORE_THE_WINDOW))


def test_a_bad_reader_url_stops_the_start_in_one_line_without_loading_the_staff_tools(
    kiosk_settings: Callable[..., Path],
) -> None:
    url = "sam+serial:///dev/ttyUSB0?baud=4800"
    done, modules = _kiosk_run(kiosk_settings(url))
    assert done.returncode == 2
    assert _said(done) == [f"kiosk: {url}: baud='4800' is not one of 9600, 19200, 38400, 57600, 115200"]
    assert "kiosk.runtime" in modules  # the start went as far as building the parts
    assert "kivy" not in modules
    assert _heavy(modules) == []


@pytest.mark.parametrize("problem", ["missing", "bad value"])
def test_bad_settings_stop_the_start_in_one_line(kiosk_settings: Callable[..., Path], problem: str) -> None:
    settings = kiosk_settings()
    if problem == "missing":
        settings.unlink()
        expected = f"kiosk: {settings}: no such settings file (copy config/kiosk.example.toml)"
    else:
        settings.write_text(settings.read_text(encoding="utf-8") + "[session]\ncountdown_s = 99\n")
        expected = f"kiosk: {settings}: session.countdown_s: Input should be less than or equal to 60"
    done, modules = _kiosk_run(settings)
    assert (done.returncode, _said(done)) == (2, [expected])
    assert _heavy(modules) == []
