"""Everything logged during full reads, over PC/SC and in process, holds no PAN, track 2 or ID number."""

from __future__ import annotations

import logging
from collections.abc import Callable

import pytest

from kiosk.devices.bankcard.errors import BankCardError
from kiosk.devices.bankcard.pcsc_reader import PcscBankCardReader
from kiosk.devices.bankcard.pcscd import PrivatePcscd
from kiosk.devices.bankcard.reader import SimBankCardReader
from kiosk.devices.bankcard.virtual_card import CARDS_DIR, VirtualCard
from kiosk.devices.bankcard.vpcd import VpcdCard
from kiosk.devices.registry import open_device

from .support import SECRETS, card


def forbidden() -> list[str]:
    """The PANs and ID numbers as digits, and as the hex of 5A, 57 and 9F61 would show them."""
    found: list[str] = []
    for name in sorted(path.stem for path in CARDS_DIR.glob("*.json")):
        for app in card(name).profile.applications:
            for tag in (0x5A, 0x57, 0x9F61, 0x5F20, 0x9F1F):
                if tag in app.elements:
                    value = app.elements[tag]
                    found += [value.hex(), value.hex().upper(), value.hex(" ").upper()]
    return [*SECRETS, *found, "ZHANG/CESHI", "LI/CESHI", "WANG/CESHI", "CHEN/CESHI", "ZHAO/CESHI"]


def test_no_card_data_in_the_logs(
    caplog: pytest.LogCaptureFixture, pcscd: PrivatePcscd, insert: Callable[[VirtualCard], VpcdCard]
) -> None:
    caplog.set_level(logging.DEBUG)
    names = sorted(path.stem for path in CARDS_DIR.glob("*.json"))
    pcsc = open_device("bankcard", "pcsc://?reader=Virtual&poll_ms=20")
    sim = open_device("bankcard", "sim://")
    assert isinstance(pcsc, PcscBankCardReader) and isinstance(sim, SimBankCardReader)
    outcomes = []
    try:
        for name in names:
            vpcd_card = insert(card(name))
            outcomes.append(pcsc.wait_and_read(timeout=10).exception(timeout=10))
            vpcd_card.remove()
            sim.insert(card(name))
            outcomes.append(sim.read().exception(timeout=10))
    finally:
        pcsc.close().result(timeout=5)
        sim.close().result(timeout=5)
    assert all(outcome is None or isinstance(outcome, BankCardError) for outcome in outcomes)
    assert sum(outcome is None for outcome in outcomes) == 8  # four readable cards, twice each
    text = caplog.text + "\n".join(str(record.args) for record in caplog.records)
    assert "card read (A000000333010101)" in text and "SELECT -> SW 9000" in text  # the logs were seen
    for secret in forbidden():
        assert secret not in text, "card data in the log"
