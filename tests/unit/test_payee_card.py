"""The payee card rules on the in-process reader (sim://), the cards made to order, and the demo's bank card
buttons against a real centre. The same rules through pcscd and vpcd: tests/devices/bankcard/."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk.central import CentralClient
from kiosk.devices.bankcard.card import BankCard, HolderIdType, luhn_valid
from kiosk.devices.bankcard.demo_cards import CREDIT_PREFIX, DEBIT_PREFIX, made_card, synthetic_pan
from kiosk.devices.bankcard.read_flow import read_card
from kiosk.devices.bankcard.reader import SimBankCardReader
from kiosk.devices.bankcard.virtual_card import CardProfile, VirtualCard
from kiosk.devices.idcard.emulator import SamEmulator
from kiosk.devices.registry import open_device_as
from kiosk.services.demo import DemoService, InProcessSlot, NoCitizenPlaced
from kiosk.services.payee_card import PayeeCard, PayeeCardRefused, PayeeCardService, RefusalCode, is_credit

CITIZEN = "12019919900101008X"
PAN = synthetic_pan(DEBIT_PREFIX, 19900101008)


@pytest.fixture
def payee() -> Iterator[PayeeCardService]:
    reader = open_device_as(SimBankCardReader, "bankcard", "sim://?poll_ms=10", do_not_open=True)
    service = PayeeCardService(reader)
    service.start()
    reader.open().result(timeout=5)
    yield service
    reader.close().result(timeout=5)


def _sim(payee: PayeeCardService) -> SimBankCardReader:
    assert isinstance(payee.reader, SimBankCardReader)
    return payee.reader


def _refusal(payee: PayeeCardService, citizen: str = CITIZEN, timeout_s: float = 5) -> str:
    with pytest.raises(PayeeCardRefused) as caught:
        payee.read(citizen, timeout_s=timeout_s)
    return caught.value.code


def _with_holder_type(profile: CardProfile, holder_type: int) -> CardProfile:
    app = profile.applications[0]
    elements = {**app.elements, 0x9F62: bytes([holder_type])}
    return dataclasses.replace(profile, applications=(dataclasses.replace(app, elements=elements),))


# -- what counts as credit ----------------------------------------------------------------------------------


def _bank_card(aid: str, label: str) -> BankCard:
    return BankCard(pan=PAN, expiry=dt.date(2031, 1, 31), aid=aid, label=label)


@pytest.mark.parametrize(
    ("aid", "label", "credit"),
    [
        ("A000000333010101", "PBOC DEBIT", False),
        ("A000000333010102", "PBOC CREDIT", True),
        ("A000000333010103", "PBOC QUASI CREDIT", True),
        ("A00000033301010201", "UNIONPAY", True),  # an issuer's suffix on the credit AID (partial selection)
        ("A0000000031010", "VISA CREDIT", True),  # an AID that does not say; the card's own label does
        ("A000000333010101", "银联贷记卡", True),
        ("A0000000031010", "VISA DEBIT", False),
    ],
)
def test_what_counts_as_credit(aid: str, label: str, credit: bool) -> None:
    assert is_credit(_bank_card(aid, label)) is credit


def test_a_payee_card_never_shows_its_number() -> None:
    card = PayeeCard(pan=PAN, label="PBOC DEBIT")
    assert card.pan_masked == PAN[:6] + "*" * 9 + PAN[-4:]
    assert PAN not in repr(card) and PAN not in str(card) and card.pan_masked in repr(card)


# -- the rules, in process ----------------------------------------------------------------------------------


def test_the_check_character_x_matches_either_case(payee: PayeeCardService) -> None:
    _sim(payee).insert(VirtualCard(made_card(pan=PAN, holder_id=CITIZEN.lower())))
    assert payee.read(CITIZEN, timeout_s=5).pan == PAN


def test_a_holder_number_that_is_not_an_id_card_is_not_compared(payee: PayeeCardService) -> None:
    """9F62 = passport: its number cannot be compared with the citizen's ID number, so it does not refuse."""
    profile = _with_holder_type(made_card(pan=PAN, holder_id="E00000001"), 0x02)
    _sim(payee).insert(VirtualCard(profile))
    assert payee.read(CITIZEN, timeout_s=5).pan == PAN


def test_a_temporary_id_card_number_is_compared(payee: PayeeCardService) -> None:
    profile = _with_holder_type(made_card(pan=PAN, holder_id="120199198506150024"), 0x04)
    _sim(payee).insert(VirtualCard(profile))
    assert _refusal(payee) == "not_holder"


def test_a_closed_reader_is_unavailable(payee: PayeeCardService) -> None:
    payee.reader.close().result(timeout=5)
    assert _refusal(payee) == "reader_unavailable"


def test_every_refusal_has_its_sentences() -> None:
    codes: list[RefusalCode] = [
        "no_card",
        "credit_card",
        "not_holder",
        "expired",
        "unreadable",
        "reader_unavailable",
    ]
    for code in codes:
        refused = PayeeCardRefused(code)
        assert refused.code == code and str(refused) == code
        assert refused.title and refused.body.endswith(".")


# -- cards made to order ------------------------------------------------------------------------------------


@settings(max_examples=40, deadline=None)
@given(
    serial=st.integers(min_value=0, max_value=10**12 - 1),
    credit=st.booleans(),
    holder=st.one_of(st.none(), st.from_regex(r"120199[0-9]{11}[0-9X]", fullmatch=True)),
    years=st.integers(min_value=0, max_value=20),
)
def test_a_made_card_reads_back_as_made(serial: int, credit: bool, holder: str | None, years: int) -> None:
    pan = synthetic_pan(CREDIT_PREFIX if credit else DEBIT_PREFIX, serial)
    assert len(pan) == 19 and luhn_valid(pan)
    expiry = dt.date(2027 + years, 2, 28)
    card = read_card(
        VirtualCard(made_card(pan=pan, holder_id=holder, credit=credit, expiry=expiry)).respond,
        today=dt.date(2026, 1, 1),
    )
    assert (card.pan, card.expiry, card.holder_id) == (pan, expiry, holder or "")
    assert card.holder_id_type is (HolderIdType.ID_CARD if holder else None)
    assert is_credit(card) is credit


def test_made_cards_refuse_what_a_chip_cannot_hold() -> None:
    with pytest.raises(ValueError, match="Luhn"):
        made_card(pan=PAN[:-1] + str((int(PAN[-1]) + 1) % 10), holder_id=None)
    with pytest.raises(ValueError, match="ASCII"):
        made_card(pan=PAN, holder_id=None, cardholder_name="张测试")
    with pytest.raises(ValueError, match="serial"):
        synthetic_pan(DEBIT_PREFIX, 10**12)


# -- the demo's buttons -------------------------------------------------------------------------------------


def test_the_demos_bank_cards_carry_the_placed_citizens_id_number(
    client: CentralClient, payee: PayeeCardService
) -> None:
    with SamEmulator() as emulator:
        demo = DemoService(client, emulator, bank_cards=InProcessSlot(lambda: payee))
        citizens = demo.citizens()
        with pytest.raises(NoCitizenPlaced):
            demo.insert_bank_card("own_debit")
        citizen = citizens[0]
        demo.place(citizen)
        holder = citizen.card.id_number

        masked = demo.insert_bank_card("own_debit")
        card = payee.read(holder, timeout_s=5)
        assert card.pan_masked == masked and card.pan.startswith(DEBIT_PREFIX)
        assert demo.insert_bank_card("own_debit") == masked  # the same citizen's card every time

        assert demo.insert_bank_card("credit").startswith(CREDIT_PREFIX)
        assert _refusal(payee, holder) == "credit_card"

        demo.insert_bank_card("someone_else")
        assert _refusal(payee, holder) == "not_holder"

        demo.take_bank_card_out()
        assert _refusal(payee, holder, timeout_s=0.2) == "no_card"


def test_the_in_process_slot_needs_the_in_process_reader() -> None:
    slot = InProcessSlot(lambda: None)
    with pytest.raises(LookupError, match="sim://"):
        slot.remove()
