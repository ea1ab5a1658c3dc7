"""The in-process reader (``sim://``) through the registry: events, reads and the typed failures."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from kiosk.devices.bankcard.errors import BankCardRemoved, CardMute
from kiosk.devices.bankcard.reader import BankCardInserted, BankCardWithdrawn, SimBankCardReader
from kiosk.devices.base import CommandCancelled, DeviceConfigError, DeviceState
from kiosk.devices.registry import open_device

from ..support import Recorder, wait_until
from .support import EXPECTED, card


@pytest.fixture
def reader() -> Iterator[SimBankCardReader]:
    device = open_device("bankcard", "sim://test?poll_ms=10")
    assert isinstance(device, SimBankCardReader)
    assert device.open().result(timeout=2) is DeviceState.IDLE
    yield device
    device.close().result(timeout=2)


def test_a_card_in_the_url_is_in_the_reader_from_the_start() -> None:
    device = open_device("bankcard", "sim://?card=pboc_debit_contactless")
    try:
        assert isinstance(device, SimBankCardReader)
        assert device.read().result(timeout=5).public() == EXPECTED["pboc_debit_contactless"][1]
    finally:
        device.close().result(timeout=2)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("sim://?card=no_such_card", "card='no_such_card' is not a packaged virtual card"),
        ("sim:///dev/x", "a sim URL has a name at most"),
        ("sim://?poll=5", "unknown parameter 'poll'"),
    ],
)
def test_bad_sim_urls(url: str, message: str) -> None:
    with pytest.raises(DeviceConfigError, match=message):
        open_device("bankcard", url, do_not_open=True)


def test_insert_read_withdraw_with_events(reader: SimBankCardReader) -> None:
    events = Recorder()
    reader.subscribe_cards(events)
    future = reader.wait_and_read(timeout=5)
    reader.insert(card("pboc_credit_contact"))
    assert future.result(timeout=5).public() == EXPECTED["pboc_credit_contact"][1]
    reader.remove()
    events.wait_count(BankCardWithdrawn, 1)
    assert [type(e) for e in events.events] == [BankCardInserted, BankCardWithdrawn]
    assert reader.statistics.reads == 1 and reader.statistics.commands > 0


def test_reading_an_empty_reader_says_removed(reader: SimBankCardReader) -> None:
    with pytest.raises(BankCardRemoved) as caught:
        reader.read().result(timeout=5)
    assert caught.value.message_key == "bankcard.removed"
    assert reader.statistics.failures == 1


def test_a_mute_card(reader: SimBankCardReader) -> None:
    reader.insert(card("pboc_debit_contactless"))
    reader.mute = True
    with pytest.raises(CardMute) as caught:
        reader.read().result(timeout=5)
    assert caught.value.message_key == "bankcard.mute"


def test_waiting_for_a_card_can_be_cancelled(reader: SimBankCardReader) -> None:
    future = reader.wait_and_read(timeout=None)
    wait_until(future.running, what="the wait to start")
    future.cancel()
    with pytest.raises(CommandCancelled):
        future.result(timeout=5)
