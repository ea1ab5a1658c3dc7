"""The payee card rules through the real stack: PayeeCardService → pyscard → pcscd → vpcd → a virtual card.

Each card is made for the holder the test needs (``demo_cards.made_card``) or is one of the packaged ones.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from kiosk.demo import VpcdSlot, start_bank_card_slot
from kiosk.devices.bankcard import pcscd as pcscd_module
from kiosk.devices.bankcard.demo_cards import CREDIT_PREFIX, DEBIT_PREFIX, made_card, synthetic_pan
from kiosk.devices.bankcard.pcsc_reader import PcscBankCardReader
from kiosk.devices.bankcard.pcscd import SOCKET_ENV, PrivatePcscd
from kiosk.devices.bankcard.virtual_card import VirtualCard
from kiosk.devices.bankcard.vpcd import VpcdCard
from kiosk.devices.base import DeviceState
from kiosk.devices.registry import open_device_as
from kiosk.services.payee_card import PayeeCardRefused, PayeeCardService

from ..support import wait_until
from .support import card, with_pan

Insert = Callable[[VirtualCard], VpcdCard]
CITIZEN = "120199199001010012"
SOMEONE_ELSE = "120199198506150024"
DEBIT_PAN = synthetic_pan(DEBIT_PREFIX, 19900101001)
CREDIT_PAN = synthetic_pan(CREDIT_PREFIX, 19900101001)


def payee_service(url: str, today: Callable[[], dt.date] = dt.date.today) -> PayeeCardService:
    reader = open_device_as(PcscBankCardReader, "bankcard", url, do_not_open=True)
    service = PayeeCardService(reader, today=today)
    service.start()
    reader.open().result(timeout=5)
    return service


@pytest.fixture
def payee(pcscd: PrivatePcscd) -> Iterator[PayeeCardService]:
    service = payee_service("pcsc://?reader=Virtual&poll_ms=20&apdu_timeout_ms=600")
    assert service.reader.state is DeviceState.IDLE
    yield service
    service.reader.close().result(timeout=5)


def refusal(payee: PayeeCardService, timeout_s: float = 10) -> str:
    with pytest.raises(PayeeCardRefused) as caught:
        payee.read(CITIZEN, timeout_s=timeout_s)
    return caught.value.code


def test_the_citizens_debit_card_is_accepted(
    payee: PayeeCardService, insert: Insert, caplog: pytest.LogCaptureFixture
) -> None:
    insert(VirtualCard(made_card(pan=DEBIT_PAN, holder_id=CITIZEN)))
    with caplog.at_level(logging.DEBUG):
        accepted = payee.read(CITIZEN, timeout_s=10)
    assert accepted.pan == DEBIT_PAN
    assert accepted.pan_masked == DEBIT_PAN[:6] + "*********" + DEBIT_PAN[-4:]
    assert accepted.label == "PBOC DEBIT"
    assert DEBIT_PAN not in repr(accepted) and accepted.pan_masked in repr(accepted)
    assert "payee card accepted (A000000333010101)" in caplog.text
    assert DEBIT_PAN not in caplog.text and CITIZEN not in caplog.text


def test_a_card_inserted_while_the_kiosk_waits(payee: PayeeCardService, insert: Insert) -> None:
    later = threading.Timer(0.5, insert, [VirtualCard(made_card(pan=DEBIT_PAN, holder_id=CITIZEN))])
    later.start()
    try:
        assert payee.read(CITIZEN, timeout_s=10).pan == DEBIT_PAN
    finally:
        later.join()
    assert payee.card_in_reader


def test_a_card_without_a_holder_id_is_accepted(payee: PayeeCardService, insert: Insert) -> None:
    insert(card("pboc_debit_no_holder_id"))
    assert payee.read(CITIZEN, timeout_s=10).pan == "6217000000000067896"


def test_the_citizens_credit_card_is_refused(
    payee: PayeeCardService, insert: Insert, caplog: pytest.LogCaptureFixture
) -> None:
    insert(VirtualCard(made_card(pan=CREDIT_PAN, holder_id=CITIZEN, credit=True)))
    with caplog.at_level(logging.DEBUG), pytest.raises(PayeeCardRefused) as caught:
        payee.read(CITIZEN, timeout_s=10)
    assert caught.value.code == "credit_card"
    assert caught.value.title == "This is a credit card"
    assert "debit card (借记卡) in your own name" in caught.value.body
    assert CREDIT_PAN not in caplog.text and CITIZEN not in caplog.text


@pytest.mark.parametrize("name", ["pboc_credit_contact", "t0_two_applications"])
def test_credit_only_and_quasi_credit_cards_are_refused_as_credit(
    payee: PayeeCardService, insert: Insert, name: str
) -> None:
    """A credit-only card (PSE, format 1) and a quasi-credit application chosen first: recognised as
    credit, not "could not read"."""
    insert(card(name))
    assert refusal(payee) == "credit_card"


def test_someone_elses_card_is_refused(
    payee: PayeeCardService, insert: Insert, caplog: pytest.LogCaptureFixture
) -> None:
    insert(VirtualCard(made_card(pan=DEBIT_PAN, holder_id=SOMEONE_ELSE)))
    with caplog.at_level(logging.DEBUG):
        assert refusal(payee) == "not_holder"
    assert SOMEONE_ELSE not in caplog.text and DEBIT_PAN not in caplog.text


def test_an_expired_card_is_refused(payee: PayeeCardService, insert: Insert) -> None:
    insert(card("pboc_debit_expired"))
    assert refusal(payee) == "expired"


def test_a_card_expired_by_the_kiosks_clock_is_refused(pcscd: PrivatePcscd, insert: Insert) -> None:
    """The reader checks expiry by the terminal's clock; the service by its own (the kiosk's day)."""
    expiry = dt.date(2030, 12, 31)
    payee = payee_service("pcsc://?reader=Virtual&poll_ms=20", today=lambda: dt.date(2031, 1, 1))
    try:
        insert(VirtualCard(made_card(pan=DEBIT_PAN, holder_id=CITIZEN, expiry=expiry)))
        assert refusal(payee) == "expired"
    finally:
        payee.reader.close().result(timeout=5)


def test_nothing_inserted_is_no_card_within_the_timeout(payee: PayeeCardService, insert: Insert) -> None:
    started = time.monotonic()
    assert refusal(payee, timeout_s=1) == "no_card"
    assert 1 <= time.monotonic() - started < 4
    started = time.monotonic()
    assert refusal(payee, timeout_s=0.3) == "no_card"
    assert time.monotonic() - started < 3
    # The waits were given up: neither is left behind to read the next card, which is read once.
    insert(VirtualCard(made_card(pan=DEBIT_PAN, holder_id=CITIZEN)))
    assert payee.read(CITIZEN, timeout_s=10).pan == DEBIT_PAN
    assert payee.reader.statistics.reads == 1


def test_a_mute_card_is_unreadable_not_no_card(payee: PayeeCardService, insert: Insert) -> None:
    """The wait runs out while the card is being read (each command waits 600 ms for a mute card): the card
    came, so the citizen hears it could not be read, not that none was inserted."""
    vpcd_card = insert(VirtualCard(made_card(pan=DEBIT_PAN, holder_id=CITIZEN)))
    vpcd_card.set_mute(True)
    wait_until(lambda: payee.card_in_reader, timeout=5, what="the reader to see the card")
    try:
        assert refusal(payee, timeout_s=0.2) == "unreadable"
    finally:
        vpcd_card.remove()  # unblocks vpcd, which waited for the mute card


def test_a_card_pulled_mid_read_is_unreadable(payee: PayeeCardService, insert: Insert) -> None:
    vpcd_card = insert(VirtualCard(made_card(pan=DEBIT_PAN, holder_id=CITIZEN)))
    vpcd_card.pull_after(3)
    assert refusal(payee) == "unreadable"


def test_a_card_failing_luhn_is_unreadable(payee: PayeeCardService, insert: Insert) -> None:
    bad_pan = DEBIT_PAN[:-1] + str((int(DEBIT_PAN[-1]) + 1) % 10)
    insert(VirtualCard(with_pan(made_card(pan=DEBIT_PAN, holder_id=CITIZEN), bad_pan)))
    assert refusal(payee) == "unreadable"


def test_no_reader_is_reader_unavailable_at_once(pcscd: PrivatePcscd) -> None:
    payee = payee_service("pcsc://?reader=NoSuchReader&poll_ms=20")
    try:
        started = time.monotonic()
        assert refusal(payee) == "reader_unavailable"
        assert time.monotonic() - started < 1
    finally:
        payee.reader.close().result(timeout=5)


def test_pcscd_stopping_during_the_wait_is_reader_unavailable(
    payee: PayeeCardService, pcscd: PrivatePcscd
) -> None:
    threading.Timer(0.3, pcscd.stop).start()
    try:
        assert refusal(payee, timeout_s=2) == "reader_unavailable"
    finally:
        wait_until(lambda: not pcscd.running, timeout=5, what="pcscd to stop")
        pcscd.start()
    wait_until(lambda: payee.reader.state is DeviceState.IDLE, timeout=5, what="the reader back")


# -- the demo's slot ---------------------------------------------------------------------------------------


def test_the_demos_slot_swaps_cards_so_the_reader_sees_each(
    payee: PayeeCardService, pcscd: PrivatePcscd
) -> None:
    slot = VpcdSlot(pcscd)
    try:
        slot.insert(made_card(pan=CREDIT_PAN, holder_id=CITIZEN, credit=True))
        assert refusal(payee) == "credit_card"
        slot.insert(made_card(pan=DEBIT_PAN, holder_id=CITIZEN))  # at once, with the credit card still in
        assert payee.read(CITIZEN, timeout_s=10).pan == DEBIT_PAN
        slot.remove()
        wait_until(lambda: not payee.card_in_reader, timeout=5, what="the card to be out")
    finally:
        slot.remove()


def test_the_demo_falls_back_to_sim_without_pcscd(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(pcscd_module, "VPCD_DRIVER", tmp_path / "libifdvpcd.so")  # not installed here
    with caplog.at_level(logging.WARNING, logger="kiosk.demo"):
        assert start_bank_card_slot(tmp_path) is None
    assert "using the in-process reader (sim://) instead" in caplog.text
    assert "apt-get install vsmartcard-vpcd" in caplog.text


def test_the_demo_starts_a_pcscd_of_its_own(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(SOCKET_ENV, "restored after the test")
    slot = start_bank_card_slot(tmp_path)
    assert slot is not None
    try:
        assert slot.pcscd.running and (tmp_path / "pcscd" / "pcscd.log").exists()
    finally:
        slot.close()
    assert not slot.pcscd.running
