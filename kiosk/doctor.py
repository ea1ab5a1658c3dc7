"""`kiosk doctor`: checks everything a kiosk needs before a citizen walks up, and says what to fix."""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from kiosk.central import CentralError, CentralUnavailable
from kiosk.devices.base import DeviceError, DeviceState, HealthLevel
from kiosk.devices.registry import open_device
from kiosk.fonts import FontError, find_ui_fonts
from kiosk.runtime import build_central_client
from kiosk.settings import Settings, SettingsError

OK, WARN, FAIL = "ok", "warn", "FAIL"
CLOCK_SKEW_WARN_S = 30
CLOCK_SKEW_FAIL_S = 300
DEVICE_TIMEOUT_S = 8
# What to do when a device is not there, where its state says more than its driver's text.
_DEVICE_HINTS = {
    ("bankcard", DeviceState.OFFLINE): "start pcscd (`sudo systemctl start pcscd.socket`)",
    ("bankcard", DeviceState.NO_DEVICE): "plug the reader in, or set reader= in devices.bankcard to part of "
    "its name",
}
# What a kiosk without an optional device does not offer.
_WITHOUT = {
    "printer": "nothing is printed: no receipts, slips or certificates",
    "bankcard": "withdrawals are not offered (they are paid to a bank card read here)",
}


@dataclass(frozen=True)
class Check:
    name: str
    status: str
    detail: str


def check_display() -> Check:
    wayland = os.environ.get("WAYLAND_DISPLAY")
    if wayland:
        return Check("display", OK, f"Wayland {wayland}")
    display = os.environ.get("DISPLAY", "")
    if not display:
        return Check(
            "display", FAIL, "no DISPLAY or WAYLAND_DISPLAY: start the kiosk inside the graphical session"
        )
    host, _, number = display.partition(":")
    number = number.split(".")[0]
    if not host and not Path(f"/tmp/.X11-unix/X{number}").exists():
        return Check("display", FAIL, f"DISPLAY={display} but no X server socket /tmp/.X11-unix/X{number}")
    return Check("display", OK, f"X11 {display}")


def check_font(settings: Settings) -> Check:
    try:
        fonts = find_ui_fonts(settings.display.font, settings.kiosk.data_dir / "fonts")
    except FontError as exc:
        return Check("Chinese font", FAIL, str(exc))
    except OSError as exc:
        return Check(
            "Chinese font", FAIL, f"cannot prepare the font in {settings.kiosk.data_dir}: {exc.strerror}"
        )
    return Check("Chinese font", OK, str(fonts.regular))


def check_data_dir(settings: Settings) -> Check:
    directory = settings.kiosk.data_dir
    try:
        directory.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=directory, prefix=".doctor-") as handle:
            handle.write(b"x")
            handle.flush()
            os.fsync(handle.fileno())
    except OSError as exc:
        return Check("data dir", FAIL, f"kiosk.data_dir {directory} is not writable: {exc.strerror}")
    return Check("data dir", OK, str(directory))


def check_outbox(settings: Settings) -> list[Check]:
    """The outbox's key file (there or makeable, private, off the data dir) and its database, as the
    kiosk will open them; the key file is only read."""
    from kiosk.offline_queue.database import NoOutbox
    from kiosk.offline_queue.errors import OutboxUnavailable
    from kiosk.offline_queue.staff import OutboxAdmin

    data_dir, key_file = settings.kiosk.data_dir, settings.outbox.key_file
    key = _check_outbox_key(key_file, data_dir)
    try:
        admin = OutboxAdmin(data_dir, key_file)
    except NoOutbox:
        return [key, Check("outbox", OK, "made at the kiosk's first start")]
    except OutboxUnavailable as problem:
        if problem.path == key_file:
            return [Check("outbox key", FAIL, problem.reason)]
        return [key, Check("outbox", FAIL, problem.reason)]
    backlog = admin.status().backlog
    admin.close()
    return [key, Check("outbox", OK, f"{backlog} transactions not yet delivered")]


def _check_outbox_key(key_file: Path, data_dir: Path) -> Check:
    name = "outbox key"
    if key_file.exists():
        mode = stat.S_IMODE(key_file.stat().st_mode)
        if mode & 0o077:
            return Check(
                name, FAIL, f"{key_file} is open to other users (mode {mode:o}); run `chmod 600 {key_file}`"
            )
        if key_file.resolve().is_relative_to(data_dir.resolve()):
            return Check(
                name, WARN, f"{key_file} is inside kiosk.data_dir; move it out and set outbox.key_file"
            )
        return Check(name, OK, f"{key_file} (mode {mode:o})")
    directory = next(parent for parent in key_file.parents if parent.exists())
    if not os.access(directory, os.W_OK | os.X_OK):
        return Check(name, FAIL, f"{key_file} cannot be made: {directory} is not writable by this user")
    return Check(name, OK, f"{key_file} is made at the kiosk's first start")


def check_device(kind: str, url: str) -> Check:
    name = f"device {kind}"
    try:
        device = open_device(kind, url, do_not_open=True)
    except DeviceError as exc:
        return Check(name, FAIL, str(exc))
    try:
        state = device.open().result(timeout=DEVICE_TIMEOUT_S)
        report = device.health(HealthLevel.INTERNAL).result(timeout=DEVICE_TIMEOUT_S)
    except (DeviceError, TimeoutError, OSError) as exc:
        return Check(name, FAIL, f"devices.{kind} = {url}: {exc or type(exc).__name__}")
    finally:
        with contextlib.suppress(DeviceError, TimeoutError, OSError):
            device.close().result(timeout=DEVICE_TIMEOUT_S)
    status = OK if report.ok and state not in (DeviceState.NO_DEVICE, DeviceState.OFFLINE) else FAIL
    hint = _DEVICE_HINTS.get((kind, state)) if status == FAIL else None
    return Check(name, status, f"{url}: {state.value}; {report.text}" + (f"; {hint}" if hint else ""))


def check_optional_device(kind: str, url: str | None) -> Check:
    if url is None:
        return Check(f"device {kind}", OK, f"devices.{kind} is not set: {_WITHOUT[kind]}")
    return check_device(kind, url)


def check_central(settings: Settings, now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> list[Check]:
    try:
        client = build_central_client(settings)
    except SettingsError as exc:
        return [Check("central", FAIL, str(exc))]
    try:
        try:
            health = client.health()
        except CentralUnavailable as exc:
            return [
                Check("central", FAIL, f"{settings.central.base_url} unreachable ({exc}); check the network")
            ]
        checks = [Check("central", OK, f"{settings.central.base_url} (version {health.version})")]
        server_time = health.server_time
        if server_time.tzinfo is None:
            server_time = server_time.replace(tzinfo=UTC)
        skew = abs((server_time - now()).total_seconds())
        status = OK if skew < CLOCK_SKEW_WARN_S else WARN if skew < CLOCK_SKEW_FAIL_S else FAIL
        checks.append(Check("clock skew", status, f"{skew:.1f} s from the centre (sync with NTP if large)"))
        try:
            client.authenticate_terminal()
            checks.append(Check("terminal login", OK, f"{settings.kiosk.id} accepted"))
        except CentralError as exc:
            checks.append(
                Check(
                    "terminal login",
                    FAIL,
                    f"{settings.kiosk.id} refused ({exc.code}): check "
                    "kiosk.id and the central.terminal_secret",
                )
            )
        except CentralUnavailable as exc:
            checks.append(Check("terminal login", FAIL, str(exc)))
        return checks
    finally:
        client.close()


def run_checks(settings: Settings) -> list[Check]:
    checks = [check_display(), check_font(settings), check_data_dir(settings)]
    checks.extend(check_outbox(settings))
    checks.append(check_device("idcard", settings.devices.idcard))
    checks.append(check_optional_device("printer", settings.devices.printer))
    checks.append(check_optional_device("bankcard", settings.devices.bankcard))
    checks.extend(check_central(settings))
    return checks


def render(checks: list[Check]) -> str:
    width = max(len(check.name) for check in checks)
    lines = [f"{'CHECK'.ljust(width)}  STATUS  DETAIL"]
    lines += [f"{c.name.ljust(width)}  {c.status.ljust(6)}  {c.detail}" for c in checks]
    return "\n".join(lines)
