"""Drivers chosen by URL, the way pyserial's ``serial_for_url`` chooses a transport.

``open_device("idcard", "sam+serial:///dev/ttyUSB0?baud=115200&poll_ms=300")`` looks the scheme up in a
table and imports the driver only then, so a missing vendor library fails only the device that needs it.
"""

from __future__ import annotations

import dataclasses
import importlib
from collections.abc import Collection
from pathlib import Path
from typing import TypeVar
from urllib.parse import parse_qsl, urlsplit

from kiosk.devices.base import Device, DeviceConfigError

D = TypeVar("D", bound=Device)


@dataclasses.dataclass(frozen=True)
class _Driver:
    module: str
    cls: str
    requires: str  # what to install when the import fails


_PYSERIAL = "pyserial (pip install pyserial)"
_DRIVERS: dict[tuple[str, str], _Driver] = {
    ("idcard", "sam+serial"): _Driver("kiosk.devices.idcard.reader", "SamIdCardReader", _PYSERIAL),
    ("idcard", "sim"): _Driver("kiosk.devices.idcard.reader", "SimIdCardReader", _PYSERIAL),
    ("bankcard", "pcsc"): _Driver(
        "kiosk.devices.bankcard.pcsc_reader", "PcscBankCardReader", "pyscard (pip install pyscard) and pcscd"
    ),
    ("bankcard", "sim"): _Driver("kiosk.devices.bankcard.reader", "SimBankCardReader", "nothing extra"),
    ("printer", "escpos+tcp"): _Driver("kiosk.devices.printer.driver", "EscposPrinter", "python-escpos"),
    ("printer", "escpos+serial"): _Driver("kiosk.devices.printer.driver", "EscposPrinter", "python-escpos"),
    ("printer", "escpos+usb"): _Driver("kiosk.devices.printer.driver", "EscposPrinter", "python-escpos"),
    ("printer", "escpos+file"): _Driver("kiosk.devices.printer.driver", "EscposPrinter", "python-escpos"),
    ("printer", "sim"): _Driver("kiosk.devices.printer.sim", "SimPrinter", "python-escpos"),
}


class DeviceUrl:
    """A parsed device URL whose query parameters a driver takes one by one, each checked as it goes.

    Whatever the driver has not taken is an error: a typo such as ``?buad=9600`` must not silently
    leave the default in place.
    """

    def __init__(self, text: str) -> None:
        self.text = text
        try:
            parts = urlsplit(text)
            pairs = parse_qsl(parts.query, keep_blank_values=True, strict_parsing=bool(parts.query))
        except ValueError as exc:
            raise DeviceConfigError(f"{text}: not a device URL ({exc})") from None
        if not parts.scheme:
            raise DeviceConfigError(
                f"{text}: a device URL starts with a scheme, e.g. sam+serial:///dev/ttyUSB0"
            )
        if parts.fragment:
            raise DeviceConfigError(f"{text}: a device URL has no #fragment")
        self.scheme = parts.scheme
        self.host = parts.netloc
        self.path = parts.path
        self._params: dict[str, str] = {}
        for name, value in pairs:
            if name in self._params:
                raise DeviceConfigError(f"{text}: parameter {name!r} given twice")
            self._params[name] = value
        self._taken: set[str] = set()

    def __str__(self) -> str:
        return self.text

    def _take(self, name: str) -> str | None:
        self._taken.add(name)
        return self._params.get(name)

    def _bad(self, name: str, value: str, expected: str) -> DeviceConfigError:
        return DeviceConfigError(f"{self.text}: {name}={value!r} is not {expected}")

    def int_param(self, name: str, default: int, *, minimum: int, maximum: int) -> int:
        value = self._take(name)
        if value is None:
            return default
        expected = f"a whole number from {minimum} to {maximum}"
        try:
            number = int(value, 10)
        except ValueError:
            raise self._bad(name, value, expected) from None
        if not minimum <= number <= maximum:
            raise self._bad(name, value, expected)
        return number

    def choice_param(self, name: str, default: int, choices: Collection[int]) -> int:
        value = self._take(name)
        if value is None:
            return default
        if not value.isdigit() or int(value) not in choices:
            raise self._bad(name, value, f"one of {', '.join(map(str, sorted(choices)))}")
        return int(value)

    def text_param(self, name: str, default: str) -> str:
        value = self._take(name)
        return default if value is None else value

    def bool_param(self, name: str, default: bool) -> bool:
        value = self._take(name)
        if value is None:
            return default
        if value.lower() in ("1", "true", "yes", "on"):
            return True
        if value.lower() in ("0", "false", "no", "off"):
            return False
        raise self._bad(name, value, "a yes/no value (1, 0, true, false)")

    def check_all_taken(self) -> None:
        unknown = sorted(set(self._params) - self._taken)
        if unknown:
            known = ", ".join(sorted(self._taken)) or "none"
            raise DeviceConfigError(
                f"{self.text}: unknown parameter {unknown[0]!r} (this driver takes: {known})"
            )


def open_device(kind: str, url: str, *, do_not_open: bool = False, stats_dir: Path | None = None) -> Device:
    """Build the driver ``url`` names for a device of ``kind`` (e.g. "idcard") and start opening it.

    Opening happens on the device's worker thread: this returns at once, and ``device.state`` or a
    status subscription tells how it went. With ``stats_dir`` the device's statistics are kept across
    restarts in ``stats_dir/<kind>.json`` (a kiosk has one device of each kind).
    """
    parsed = DeviceUrl(url)
    driver = _DRIVERS.get((kind, parsed.scheme))
    if driver is None:
        known = sorted(scheme for driver_kind, scheme in _DRIVERS if driver_kind == kind)
        if not known:
            kinds = ", ".join(sorted({driver_kind for driver_kind, _ in _DRIVERS}))
            raise DeviceConfigError(f"{url}: no driver for devices of kind {kind!r} (kinds: {kinds})")
        raise DeviceConfigError(
            f"{url}: no {kind} driver for scheme {parsed.scheme!r} (schemes: {', '.join(known)})"
        )
    try:
        module = importlib.import_module(driver.module)
    except ImportError as exc:
        raise DeviceConfigError(
            f"{url}: the {parsed.scheme} driver cannot be loaded ({exc}); install {driver.requires}"
        ) from exc
    cls: type[Device] = getattr(module, driver.cls)
    device = cls.from_url(parsed)
    parsed.check_all_taken()
    if stats_dir is not None:
        device.keep_statistics(stats_dir / f"{kind}.json")
    if not do_not_open:
        device.open()
    return device


def open_device_as(
    expect: type[D], kind: str, url: str, *, do_not_open: bool = False, stats_dir: Path | None = None
) -> D:
    """`open_device`, for a caller that needs the kind's own interface (an ID card reader's card events, a
    printer's jobs) rather than any device's."""
    device = open_device(kind, url, do_not_open=do_not_open, stats_dir=stats_dir)
    if not isinstance(device, expect):
        device.close()
        raise DeviceConfigError(f"{url}: its driver is a {type(device).__name__}, not a {expect.__name__}")
    return device
