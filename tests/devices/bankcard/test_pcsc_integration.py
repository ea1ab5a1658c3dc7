"""The real stack: pyscard → pcscd → vpcd → a virtual card over TCP, through the ``pcsc://`` driver."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from kiosk.devices.bankcard.errors import BankCardRemoved, CardExpired, CardMute, ReaderGone
from kiosk.devices.bankcard.pcsc_reader import PcscBankCardReader
from kiosk.devices.bankcard.pcscd import PrivatePcscd
from kiosk.devices.bankcard.reader import BankCardInserted, BankCardWithdrawn
from kiosk.devices.bankcard.virtual_card import VirtualCard
from kiosk.devices.bankcard.vpcd import VpcdCard
from kiosk.devices.base import DeviceState
from kiosk.devices.registry import open_device

from ..support import Recorder, wait_until
from .support import EXPECTED, card

Insert = Callable[[VirtualCard], VpcdCard]
APDU_TIMEOUT_MS = 600


def open_reader(url: str) -> PcscBankCardReader:
    device = open_device("bankcard", url)
    assert isinstance(device, PcscBankCardReader)
    device.open().result(timeout=5)
    return device


@pytest.fixture
def reader(pcscd: PrivatePcscd) -> Iterator[PcscBankCardReader]:
    device = open_reader(f"pcsc://?reader=Virtual&poll_ms=20&apdu_timeout_ms={APDU_TIMEOUT_MS}")
    assert device.state is DeviceState.IDLE
    yield device
    device.close().result(timeout=5)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_virtual_card_reads_through_pcscd(
    reader: PcscBankCardReader, insert: Insert, name: str
) -> None:
    virtual = card(name)
    insert(virtual)
    pan, public = EXPECTED[name]
    first = reader.wait_and_read(timeout=10).result(timeout=10)
    assert (first.pan, first.public()) == (pan, public)
    again = reader.read().result(timeout=10)  # the card stays in; a second read works the same
    assert again.pan == pan
    assert virtual.transaction_counter == 2  # two GPOs reached the card, each answered afresh


def test_the_expired_card_is_refused(reader: PcscBankCardReader, insert: Insert) -> None:
    insert(card("pboc_debit_expired"))
    with pytest.raises(CardExpired):
        reader.wait_and_read(timeout=10).result(timeout=10)


def test_insert_and_withdraw_events(reader: PcscBankCardReader, insert: Insert) -> None:
    events = Recorder()
    reader.subscribe_cards(events)
    vpcd_card = insert(card("pboc_debit_contactless"))
    events.wait_count(BankCardInserted, 1, timeout=5)
    vpcd_card.remove()
    events.wait_count(BankCardWithdrawn, 1, timeout=5)


def test_a_card_pulled_mid_read(reader: PcscBankCardReader, insert: Insert) -> None:
    vpcd_card = insert(card("pboc_debit_contactless"))
    vpcd_card.pull_after(3)  # gone after the SELECT of the application
    with pytest.raises(BankCardRemoved) as caught:
        reader.wait_and_read(timeout=10).result(timeout=10)
    assert caught.value.message_key == "bankcard.removed"


def test_a_mute_card_times_out_and_the_reader_recovers(reader: PcscBankCardReader, insert: Insert) -> None:
    vpcd_card = insert(card("pboc_debit_contactless"))
    reader.wait_and_read(timeout=10).result(timeout=10)
    vpcd_card.set_mute(True)
    with pytest.raises(CardMute) as caught:
        reader.read().result(timeout=10)
    assert caught.value.message_key == "bankcard.mute"
    assert reader.statistics.timeouts == 1
    vpcd_card.remove()  # unblocks vpcd, which waited for the mute card
    insert(card("pboc_debit_no_holder_id"))
    assert reader.wait_and_read(timeout=10).result(timeout=10).pan == EXPECTED["pboc_debit_no_holder_id"][0]


def test_a_reader_that_is_not_there(pcscd: PrivatePcscd) -> None:
    device = open_reader("pcsc://?reader=NoSuchReader&poll_ms=20")
    try:
        assert device.state is DeviceState.NO_DEVICE
        with pytest.raises(ReaderGone) as caught:
            device.read().result(timeout=5)
        assert caught.value.message_key == "bankcard.reader_gone"
    finally:
        device.close().result(timeout=5)


def test_pcscd_going_away_and_coming_back(reader: PcscBankCardReader, pcscd: PrivatePcscd) -> None:
    pcscd.stop()
    try:
        wait_until(lambda: reader.state is DeviceState.OFFLINE, timeout=5, what="offline")
        with pytest.raises(ReaderGone):
            reader.read().result(timeout=5)
    finally:
        pcscd.start()
    wait_until(lambda: reader.state is DeviceState.IDLE, timeout=5, what="idle again")
    with VpcdCard(card("pboc_credit_contact"), port=pcscd.vpcd_port) as vpcd_card:
        vpcd_card.insert()
        assert reader.wait_and_read(timeout=10).result(timeout=10).pan == EXPECTED["pboc_credit_contact"][0]
    assert reader.statistics.reopen_attempts >= 1
