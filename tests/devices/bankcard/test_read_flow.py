"""The read flow against the recorded transcript, the virtual cards in process, and a card of noise."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import itertools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kiosk.devices.bankcard import apdu
from kiosk.devices.bankcard.card import HolderIdType, mask_pan
from kiosk.devices.bankcard.errors import (
    BankCardDataError,
    BankCardError,
    CardExpired,
    LuhnCheckFailed,
    UnsupportedCard,
)
from kiosk.devices.bankcard.read_flow import read_card
from kiosk.devices.bankcard.selection import MAX_CANDIDATES, MAX_DIRECTORY_RECORDS
from kiosk.devices.bankcard.terminal import TerminalData
from kiosk.devices.bankcard.virtual_card import VirtualCard, bundled_card

from .support import EXPECTED, TODAY, card, counting, transcript_steps, with_pan

# The terminal the transcript was recorded with: 2025-01-01, unpredictable number 1A2B3C4D.
TRANSCRIPT_TERMINAL = TerminalData(dt.datetime(2025, 1, 1, 9, 30), bytes.fromhex("1A2B3C4D"))


def test_the_transcript_is_replayed_command_for_command() -> None:
    steps = transcript_steps()
    answers = {capdu: rapdu for _, capdu, rapdu in steps}
    sent: list[bytes] = []

    def transmit(capdu: bytes) -> bytes:
        sent.append(capdu)
        return answers.get(capdu, b"\x6a\x82")  # the transcript's card has no PSE

    result = read_card(transmit, terminal=TRANSCRIPT_TERMINAL)
    # The PSE first (absent on this card), then exactly the recorded commands, GPO bytes included.
    assert sent == [apdu.select(b"1PAY.SYS.DDF01")] + [capdu for _, capdu, _ in steps]
    assert result.pan == "6217000000000012348"
    assert result.public() == {
        "pan_masked": "621700*********2348",
        "expiry": "2030-12",
        "cardholder_name": "ZHANG/SAN",
        "aid": "A000000333010101",
        "label": "PBOC DEBIT",
        "holder_id_masked": "120***********0012",
    }
    assert result.holder_id == "120199199001010012"
    assert result.holder_id_type is HolderIdType.ID_CARD
    assert "6217000000000012348" not in repr(result) and "120199199001010012" not in repr(result)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_readable_virtual_card_reads_in_process(name: str) -> None:
    pan, public = EXPECTED[name]
    result = read_card(counting(card(name))[1], today=TODAY)
    assert result.pan == pan
    assert result.public() == public


def test_the_contact_card_is_found_through_the_pse_directory_records() -> None:
    sent, transmit = counting(card("pboc_credit_contact"))
    read_card(transmit, today=TODAY)
    assert sent[:3] == [
        apdu.select(b"1PAY.SYS.DDF01"),
        apdu.read_record(1, 1),
        apdu.read_record(1, 2),  # answered 6A83: the end of the directory
    ]
    assert apdu.select(b"2PAY.SYS.DDF01") not in sent
    assert apdu.get_processing_options(b"") in sent  # no PDOL: "83 00"


def test_the_t0_card_needs_get_response_and_le_corrections() -> None:
    sent, transmit = counting(card("t0_two_applications"))
    read_card(transmit, today=TODAY)
    assert any(capdu[1] == 0xC0 for capdu in sent)  # GET RESPONSE after 61xx
    resent = [
        (first, second)
        for first, second in itertools.pairwise(sent)
        if first[1] == 0xB2 and second[:4] == first[:4] and first[4] == 0 and second[4] != 0
    ]
    assert len(resent) == sum(capdu[1] == 0xB2 for capdu in sent) // 2  # every READ RECORD, once more


def test_the_pdol_is_filled_with_terminal_values() -> None:
    virtual = card("t0_two_applications")
    sent, transmit = counting(virtual)
    now = dt.datetime(2026, 11, 27, 10, 0)
    read_card(transmit, terminal=TerminalData(now, bytes.fromhex("0BADCAFE")), today=TODAY)
    gpo = next(capdu for capdu in sent if capdu[:2] == b"\x80\xa8")
    # 9F66 TTQ | 9F02 amount 0 | 9F1A China | 5F2A CNY | 9A today | 9C inquiry | 9F37 unpredictable
    expected = ["36000080", "000000000000", "0156", "0156", "261127", "31", "0BADCAFE"]
    assert gpo[7:-1].hex().upper() == "".join(expected)


def test_each_read_sends_a_fresh_unpredictable_number_and_gets_a_fresh_cryptogram() -> None:
    virtual = card("pboc_debit_contactless")
    gpos: list[bytes] = []
    answers: list[bytes] = []

    def transmit(capdu: bytes) -> bytes:
        answer = virtual.respond(capdu)
        if capdu[:2] == b"\x80\xa8":
            gpos.append(capdu)
            answers.append(answer)
        return answer

    read_card(transmit, today=TODAY)
    read_card(transmit, today=TODAY)
    assert gpos[0] != gpos[1] and answers[0] != answers[1]
    assert virtual.transaction_counter == 2


def test_an_expired_card_is_refused() -> None:
    with pytest.raises(CardExpired) as caught:
        read_card(counting(card("pboc_debit_expired"))[1], today=TODAY)
    assert caught.value.message_key == "bankcard.expired"


def test_a_card_is_valid_through_its_expiry_date() -> None:
    read_card(counting(card("pboc_debit_contactless"))[1], today=dt.date(2030, 12, 31))
    with pytest.raises(CardExpired):
        read_card(counting(card("pboc_debit_contactless"))[1], today=dt.date(2031, 1, 1))


def test_a_pan_failing_luhn_is_refused() -> None:
    bad = with_pan(bundled_card("pboc_debit_contactless"), "6217000000000012349")
    with pytest.raises(LuhnCheckFailed) as caught:
        read_card(counting(VirtualCard(bad))[1], today=TODAY)
    assert caught.value.message_key == "bankcard.luhn_failed"
    assert "6217000000000012349" not in str(caught.value)


def test_a_card_with_no_accepted_application_is_unsupported() -> None:
    profile = bundled_card("pboc_debit_contactless")
    visa = dataclasses.replace(profile.applications[0], aid=bytes.fromhex("A0000000031010"))
    other = VirtualCard(dataclasses.replace(profile, applications=(visa,)))
    with pytest.raises(UnsupportedCard) as caught:
        read_card(counting(other)[1], today=TODAY)
    assert caught.value.message_key == "bankcard.unsupported"
    # ... and is read when the kiosk is configured to accept that AID.
    result = read_card(counting(other)[1], aids=[bytes.fromhex("A0000000031010")], today=TODAY)
    assert result.aid == "A0000000031010"


def test_pan_mismatch_between_5a_and_track2_is_card_data_error() -> None:
    profile = bundled_card("pboc_debit_contactless")
    app = profile.applications[0]
    elements = dict(app.elements) | {0x5A: bytes.fromhex("6217000000000023451F")}
    forged = dataclasses.replace(profile, applications=(dataclasses.replace(app, elements=elements),))
    with pytest.raises(BankCardDataError, match="5A and in track 2 differ"):
        read_card(counting(VirtualCard(forged))[1], today=TODAY)


def test_masks() -> None:
    assert mask_pan("6217000000000012348") == "621700*********2348"
    assert mask_pan("6217000000001234") == "621700******1234"


# -- a card of noise -------------------------------------------------------------------------------------

# PSE + its records + PPSE + the AID list, then per candidate SELECT, GPO and the AFL's records; each
# exchange at most one 6Cxx resend and a bounded GET RESPONSE chain.
_EXCHANGES = 2 + MAX_DIRECTORY_RECORDS + 3 + MAX_CANDIDATES * (2 + 32)
MAX_COMMANDS = _EXCHANGES * (2 + apdu.MAX_RESPONSE_CHAIN)

_STATUS_WORDS = ["9000", "6A82", "6A83", "6985", "6100", "61FF", "6C05", "6C00", "6700"]
_noise = st.one_of(
    st.binary(max_size=40),
    st.sampled_from(_STATUS_WORDS).map(bytes.fromhex),
    st.binary(max_size=30).map(lambda data: data + b"\x90\x00"),
    st.sampled_from(
        [
            "6F0E8407A0000003330101A503880101",  # a PSE FCI naming SFI 1
            "700A61084F07A0000003330101",  # a directory record
            "6F10A50EBF0C0B61094F07A000000333010187",  # PPSE, truncated
            "800A7C0008010100100102",  # GPO format 1
            "770682027C009400",  # GPO format 2 with an empty AFL
            "70085A0662170000000012",  # a record with a short PAN
        ]
    ).map(lambda hexed: bytes.fromhex(hexed) + b"\x90\x00"),
)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.data())
def test_a_card_answering_noise_gives_a_typed_error_and_never_loops(data: st.DataObject) -> None:
    sent = 0

    def transmit(capdu: bytes) -> bytes:
        nonlocal sent
        sent += 1
        assert sent <= MAX_COMMANDS, "the flow keeps talking to a card answering noise"
        answer: bytes = data.draw(_noise)
        return answer

    with contextlib.suppress(BankCardError):
        read_card(transmit, today=TODAY)
