"""Drivers chosen by URL, and the errors a wrong setting gives."""

from __future__ import annotations

import pytest

from kiosk.devices import registry
from kiosk.devices.base import DeviceConfigError, DeviceState
from kiosk.devices.idcard.reader import SamIdCardReader, SimIdCardReader
from kiosk.devices.registry import open_device


def test_a_sam_url_builds_the_sam_driver_with_its_parameters() -> None:
    url = (
        "sam+serial:///dev/serial/by-id/usb-Test%20Reader?baud=9600&poll_ms=250&timeout_ms=800&fingerprint=1"
    )
    device = open_device("idcard", url, do_not_open=True)
    assert isinstance(device, SamIdCardReader)
    assert device.state is DeviceState.CLOSED
    assert device._path == "/dev/serial/by-id/usb-Test Reader"
    assert (device._baud, device._poll_seconds, device._response_timeout) == (9600, 0.25, 0.8)
    assert device._fingerprint is True and device._reopen_interval == 1.0


def test_defaults() -> None:
    device = open_device("idcard", "sam+serial:///dev/ttyUSB0", do_not_open=True)
    assert isinstance(device, SamIdCardReader)
    assert (device._baud, device._poll_seconds, device._response_timeout) == (115200, 0.3, 0.5)
    assert device._fingerprint is False


def test_a_sim_url_opens_the_simulated_reader() -> None:
    device = open_device("idcard", "sim://default?poll_ms=20")
    try:
        assert isinstance(device, SimIdCardReader)
        assert device.open().result(timeout=2) is DeviceState.IDLE
    finally:
        device.close().result(timeout=2)


@pytest.mark.parametrize(
    ("kind", "url", "message"),
    [
        (
            "idcard",
            "pcsc://?reader=ACS",
            r"pcsc://\?reader=ACS: no idcard driver for scheme 'pcsc' \(schemes: sam\+serial, sim\)",
        ),
        # Other device packages add kinds; the message lists them all, the ID card reader among them.
        ("scanner", "sim://", r"sim://: no driver for devices of kind 'scanner' \(kinds: (\w+, )*idcard\b"),
        ("idcard", "/dev/ttyUSB0", r"/dev/ttyUSB0: a device URL starts with a scheme"),
        (
            "idcard",
            "sam+serial:///dev/ttyUSB0?baud=4800",
            r"baud='4800' is not one of 9600, 19200, 38400, 57600, 115200",
        ),
        ("idcard", "sam+serial:///dev/ttyUSB0?baud=fast", r"baud='fast' is not one of"),
        (
            "idcard",
            "sam+serial:///dev/ttyUSB0?poll_ms=3",
            r"poll_ms='3' is not a whole number from 10 to 60000",
        ),
        ("idcard", "sam+serial:///dev/ttyUSB0?poll_ms=0.3", r"poll_ms='0.3' is not a whole number"),
        ("idcard", "sam+serial:///dev/ttyUSB0?poll_ms=", r"poll_ms='' is not a whole number"),
        (
            "idcard",
            "sam+serial:///dev/ttyUSB0?fingerprint=maybe",
            r"fingerprint='maybe' is not a yes/no value",
        ),
        (
            "idcard",
            "sam+serial:///dev/ttyUSB0?buad=9600",
            r"unknown parameter 'buad' \(this driver takes: baud, ",
        ),
        ("idcard", "sam+serial:///dev/ttyUSB0?baud=9600&baud=9600", r"parameter 'baud' given twice"),
        ("idcard", "sam+serial:///dev/ttyUSB0?baud", r"not a device URL"),
        (
            "idcard",
            "sam+serial://dev/ttyUSB0",
            r"sam\+serial://dev/ttyUSB0: a sam\+serial URL names an absolute",
        ),
        ("idcard", "sim:///dev/ttyUSB0", r"a sim URL has a name at most"),
    ],
)
def test_configuration_errors_name_the_url_and_the_problem(kind: str, url: str, message: str) -> None:
    with pytest.raises(DeviceConfigError, match=message) as raised:
        open_device(kind, url)
    assert url in str(raised.value)
    assert isinstance(raised.value, ValueError)


def test_a_driver_that_cannot_be_imported_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    missing = registry._Driver(
        "kiosk.devices.no_such_vendor_sdk", "Reader", "vendor-sdk (pip install vendor-sdk)"
    )
    monkeypatch.setitem(registry._DRIVERS, ("idcard", "vendor"), missing)
    with pytest.raises(DeviceConfigError) as raised:
        open_device("idcard", "vendor://reader")
    text = str(raised.value)
    assert text.startswith("vendor://reader: the vendor driver cannot be loaded")
    assert "No module named 'kiosk.devices.no_such_vendor_sdk'" in text
    assert text.endswith("install vendor-sdk (pip install vendor-sdk)")


def test_every_registered_driver_exists() -> None:
    import importlib

    for driver in registry._DRIVERS.values():
        assert hasattr(importlib.import_module(driver.module), driver.cls)


def test_a_caller_gets_the_interface_it_asked_for_or_one_line() -> None:
    from kiosk.devices.idcard.reader import IdCardReader
    from kiosk.devices.printer.driver import EscposPrinter
    from kiosk.devices.registry import open_device_as

    reader = open_device_as(IdCardReader, "idcard", "sim://", do_not_open=True)
    assert isinstance(reader, IdCardReader)
    expected = r"^sim://: its driver is a SimIdCardReader, not a EscposPrinter$"
    with pytest.raises(DeviceConfigError, match=expected):
        open_device_as(EscposPrinter, "idcard", "sim://", do_not_open=True)
