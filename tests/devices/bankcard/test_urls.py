"""``pcsc://`` and ``sim://`` URLs for bank card readers: parameters and the errors a wrong one gives."""

from __future__ import annotations

import pytest

from kiosk.devices.bankcard.pcsc_reader import PcscBankCardReader
from kiosk.devices.bankcard.selection import UNIONPAY_AIDS
from kiosk.devices.base import DeviceConfigError, DeviceState
from kiosk.devices.registry import open_device


def test_pcsc_url_with_every_parameter() -> None:
    url = "pcsc://?reader=ACS%20ACR38&poll_ms=100&apdu_timeout_ms=2000&aids=A000000333010101,A0000000031010"
    device = open_device("bankcard", url, do_not_open=True)
    assert isinstance(device, PcscBankCardReader)
    assert device.state is DeviceState.CLOSED
    assert (device._wanted, device._poll_seconds, device._apdu_timeout) == ("ACS ACR38", 0.1, 2.0)
    assert device._aids == (bytes.fromhex("A000000333010101"), bytes.fromhex("A0000000031010"))


def test_pcsc_defaults() -> None:
    device = open_device("bankcard", "pcsc://", do_not_open=True)
    assert isinstance(device, PcscBankCardReader)
    assert (device._wanted, device._poll_seconds, device._apdu_timeout) == ("", 0.25, 3.0)
    assert device._aids == UNIONPAY_AIDS


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("pcsc://reader1", "a pcsc URL has parameters only"),
        ("pcsc://?aids=A0000003", r"aids: 'A0000003' is not an AID \(5 to 16 bytes in hex\)"),
        ("pcsc://?aids=XYZ", r"aids: 'XYZ' is not an AID"),
        ("pcsc://?apdu_timeout_ms=5", "apdu_timeout_ms='5' is not a whole number from 100 to 120000"),
        ("pcsc://?raeder=ACS", r"unknown parameter 'raeder' \(this driver takes: aids, apdu_timeout_ms"),
        ("usb://", r"no bankcard driver for scheme 'usb' \(schemes: pcsc, sim\)"),
    ],
)
def test_bad_pcsc_urls(url: str, message: str) -> None:
    with pytest.raises(DeviceConfigError, match=message):
        open_device("bankcard", url, do_not_open=True)
