"""The kiosk's systemd units, checked by systemd itself: `systemd-analyze verify` in a throwaway root that
holds Debian's own units (so every dependency is resolved against the real pcscd.socket, getty@.service,
logind, …), the units under test in /etc/systemd/system, and an executable at each path they run (cage and
the kiosk's venv are not installed on a development machine). Then the settings the kiosk relies on."""

import configparser
import ctypes
import os
import shlex
import subprocess
import sys
import threading
import time
from importlib.metadata import distribution
from pathlib import Path

import pytest

from kiosk.cli import build_parser
from tests.deploy.unit_files import SYSTEM_UNITS, one, settings, throwaway_root, values, verify

REPO = Path(__file__).resolve().parents[2]
UNITS = REPO / "deploy" / "kiosk" / "systemd"
KIOSK_UNIT = UNITS / "hpf-kiosk.service"
LOGIND_DROP_IN = UNITS / "logind.conf.d" / "hpf-kiosk.conf"
# Every program the units run: a new one must be added here, and to the kiosk's install script.
EXECUTABLES = {"/usr/bin/cage", "/opt/hpf-kiosk/venv/bin/kiosk", "/bin/sh"}
# The shared libraries Kivy's wheel brings (found without importing Kivy, which sets itself up on import).
KIVY_LIBS = Path(str(distribution("Kivy").locate_file("Kivy.libs")))


def _programs(unit: Path) -> set[str]:
    """What the unit's commands run, cage's client included."""
    found = set()
    for _section, key, value in settings(unit):
        if key.startswith("Exec"):
            command = shlex.split(value)
            found.add(command[0])
            if command[0] == "/usr/bin/cage":
                found.add(command[command.index("--") + 1])
    return found


def test_systemd_finds_nothing_wrong_with_the_units(tmp_path: Path) -> None:
    assert SYSTEM_UNITS.is_dir(), "Debian's systemd units are missing (package systemd)"
    assert _programs(KIOSK_UNIT) == EXECUTABLES
    verified = verify(throwaway_root(tmp_path, [KIOSK_UNIT], EXECUTABLES), KIOSK_UNIT.name)
    # verify exits 0 on a misspelt key or a bad value (it only warns): the output must be empty too.
    assert (verified.returncode, verified.stdout + verified.stderr) == (0, "")


@pytest.mark.parametrize(
    ("change", "complaint"),
    [
        (("WatchdogSec=30", "WatchdgSec=30"), "Unknown key 'WatchdgSec'"),
        (("Restart=always", "Restart=sometimes"), "Failed to parse service restart specifier"),
        (("Wants=pcscd.socket", "Requires=pcscd-typo.socket\nWants=pcscd.socket"), "pcscd-typo.socket"),
        (("ExecStart=/usr/bin/cage ", "ExecStart=/usr/bin/cage-typo "), "/usr/bin/cage-typo"),
    ],
)
def test_the_check_catches_a_broken_unit(tmp_path: Path, change: tuple[str, str], complaint: str) -> None:
    """The throwaway root does not hide faults: each broken copy of the unit is reported."""
    text = KIOSK_UNIT.read_text(encoding="utf-8")
    assert change[0] in text
    broken = tmp_path / KIOSK_UNIT.name
    broken.write_text(text.replace(change[0], change[1], 1), encoding="utf-8")
    verified = verify(throwaway_root(tmp_path, [broken], EXECUTABLES), KIOSK_UNIT.name)
    assert complaint in verified.stdout + verified.stderr


def test_the_kiosk_unit_restarts_a_frozen_or_failed_kiosk_and_reboots_when_that_does_not_help() -> None:
    assert one(KIOSK_UNIT, "Service", "Type") == "notify"
    # The app, which sends READY=1 and WATCHDOG=1, is cage's child, not the main process.
    assert one(KIOSK_UNIT, "Service", "NotifyAccess") == "all"
    assert one(KIOSK_UNIT, "Service", "WatchdogSec") == "30"
    assert one(KIOSK_UNIT, "Service", "Restart") == "always"
    assert one(KIOSK_UNIT, "Unit", "StartLimitAction") == "reboot"
    assert int(one(KIOSK_UNIT, "Unit", "StartLimitBurst")) >= 3
    assert one(KIOSK_UNIT, "Service", "SyslogIdentifier") == "hpf-kiosk"


def test_the_kiosk_unit_runs_the_production_command_full_screen_on_tty1() -> None:
    command = shlex.split(one(KIOSK_UNIT, "Service", "ExecStart"))
    assert command[0] == "/usr/bin/cage"
    app = command[command.index("--") + 1 :]
    assert app[0] == "/opt/hpf-kiosk/venv/bin/kiosk"
    args = build_parser(app[1]).parse_args(app[1:])  # the kiosk's own command line accepts it
    assert args.command == "run" and str(args.config) == "/etc/hpf-kiosk/kiosk.toml"
    assert one(KIOSK_UNIT, "Service", "TTYPath") == "/dev/tty1"
    assert one(KIOSK_UNIT, "Service", "User") == "kiosk"
    assert "getty@tty1.service" in one(KIOSK_UNIT, "Unit", "Conflicts").split()
    wanted = " ".join(values(KIOSK_UNIT, "Unit", "Wants")).split()
    assert {"pcscd.socket", "systemd-logind.service"} <= set(wanted)


# Stands for cage: runs its client and exits once the client has exited, never stopping it itself.
FAKE_CAGE = """
import subprocess, sys
client = subprocess.Popen([sys.executable, "-c", sys.argv[1], sys.argv[2]])
sys.exit(client.wait())
"""
# Stands for the app: a clean stop that takes a moment, on SIGTERM.
FAKE_APP = """
import pathlib, signal, sys, time
def stop(*_):
    time.sleep(1)
    pathlib.Path(sys.argv[1]).write_text("stopped cleanly")
    sys.exit(0)
signal.signal(signal.SIGTERM, stop)
print("up", flush=True)
while True:
    time.sleep(0.1)
"""


def test_a_stop_asks_the_app_alone_and_waits_for_cage_to_follow(tmp_path: Path) -> None:
    command = shlex.split(one(KIOSK_UNIT, "Service", "ExecStop"))
    marker = tmp_path / "stopped"
    cage = subprocess.Popen(
        [sys.executable, "-c", FAKE_CAGE, FAKE_APP, str(marker)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert cage.stdout is not None and cage.stdout.readline() == "up\n"
        # systemd reaps its main process as soon as it exits; so does this thread for the fake one.
        reaper = threading.Thread(target=cage.wait)
        reaper.start()
        started = time.monotonic()
        # systemd gives ExecStop= the main process's pid in $MAINPID.
        subprocess.run(command, env={**os.environ, "MAINPID": str(cage.pid)}, check=True, timeout=20)
        waited = time.monotonic() - started
        reaper.join(5)
    finally:
        cage.kill()
    assert marker.read_text() == "stopped cleanly"
    assert cage.returncode == 0  # cage was not signalled: it followed its client
    assert waited >= 1  # the stop waited for the app's clean stop and cage's exit


def test_the_video_driver_the_unit_names_is_one_the_apps_sdl_has() -> None:
    """The SDL bundled with Kivy's wheel decides how the app can draw under cage: through XWayland."""
    environment = dict(value.split("=", 1) for value in values(KIOSK_UNIT, "Service", "Environment"))
    (library,) = KIVY_LIBS.glob("libSDL2-*.so*")
    sdl = ctypes.CDLL(str(library))
    sdl.SDL_GetVideoDriver.restype = ctypes.c_char_p
    drivers = {sdl.SDL_GetVideoDriver(i).decode() for i in range(sdl.SDL_GetNumVideoDrivers())}
    assert environment["SDL_VIDEODRIVER"] in drivers
    assert environment["KIVY_WINDOW"] == "sdl2"


def test_the_logind_drop_in_sets_only_options_logind_knows() -> None:
    # Debian's /etc/systemd/logind.conf lists every option with its default, commented out.
    defaults = Path("/etc/systemd/logind.conf").read_text(encoding="utf-8")
    known = {line[1:].partition("=")[0] for line in defaults.splitlines() if line.startswith("#")}
    drop_in = configparser.ConfigParser()
    drop_in.optionxform = str  # type: ignore[assignment,method-assign]
    drop_in.read(LOGIND_DROP_IN, encoding="utf-8")
    assert drop_in.sections() == ["Login"]
    options = dict(drop_in["Login"])
    assert options and set(options) <= known
    assert set(options.values()) == {"ignore"}
