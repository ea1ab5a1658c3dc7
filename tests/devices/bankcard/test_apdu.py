"""Command building and the T=0 rules: 61xx fetched with GET RESPONSE, 6Cxx resent with the right Le."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from kiosk.devices.bankcard import apdu
from kiosk.devices.bankcard.errors import BankCardDataError


def test_commands() -> None:
    assert apdu.select(b"2PAY.SYS.DDF01").hex().upper() == "00A404000E325041592E5359532E444446303100"
    assert apdu.read_record(2, 1).hex().upper() == "00B2011400"
    assert apdu.get_processing_options(b"").hex().upper() == "80A80000028300" + "00"
    assert apdu.get_response(0x20).hex().upper() == "00C0000020"


def scripted(*answers: str) -> tuple[list[str], Callable[[bytes], bytes]]:
    sent: list[str] = []
    queue = [bytes.fromhex(answer) for answer in answers]

    def transmit(capdu: bytes) -> bytes:
        sent.append(capdu.hex().upper())
        return queue.pop(0)

    return sent, transmit


def test_61xx_is_followed_by_get_response_until_9000() -> None:
    sent, transmit = scripted("6104", "AABBCCDD6102", "EEFF9000")
    response = apdu.exchange(transmit, apdu.select(b"\xa0\x00\x00\x03\x33"))
    assert response.data == bytes.fromhex("AABBCCDDEEFF") and response.ok
    assert sent[1:] == ["00C0000004", "00C0000002"]


def test_6cxx_resends_the_command_with_the_le_the_card_asked_for() -> None:
    sent, transmit = scripted("6C2A", "70" + "00" * 41 + "9000")
    response = apdu.exchange(transmit, apdu.read_record(1, 1))
    assert response.ok and len(response.data) == 42
    assert sent == ["00B2010C00", "00B2010C2A"]


def test_a_card_that_announces_data_for_ever_is_stopped() -> None:
    sent, transmit = scripted(*["6101"] * 50)
    with pytest.raises(BankCardDataError, match="keeps announcing"):
        apdu.exchange(transmit, apdu.select(b"\xa0\x00\x00\x03\x33"))
    assert len(sent) == apdu.MAX_RESPONSE_CHAIN + 1


@pytest.mark.parametrize("raw", ["", "90"])
def test_a_response_without_status_word_is_card_data_error(raw: str) -> None:
    with pytest.raises(BankCardDataError):
        apdu.RApdu.from_bytes(bytes.fromhex(raw))


def test_rapdu_repr_shows_no_data() -> None:
    assert repr(apdu.RApdu(bytes.fromhex("5A0862170000"), 0x9000)) == "RApdu(6 bytes, SW 9000)"
