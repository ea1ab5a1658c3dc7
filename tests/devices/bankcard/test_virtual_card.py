"""The virtual card answers by logic: state, checks, fresh GPO data, T=0 behaviour; and its card files."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from kiosk.devices.bankcard import apdu, tlv
from kiosk.devices.bankcard.virtual_card import CARDS_DIR, BankCardFileError, load_card_file

from .support import card

PPSE = apdu.select(b"2PAY.SYS.DDF01")
DEBIT = apdu.select(bytes.fromhex("A000000333010101"))


def sw(answer: bytes) -> str:
    return answer[-2:].hex().upper()


def test_commands_need_their_selection_first() -> None:
    debit = card("pboc_debit_contactless")
    assert sw(debit.respond(apdu.read_record(1, 1))) == "6985"
    assert sw(debit.respond(apdu.get_processing_options(bytes(33)))) == "6985"
    assert sw(debit.respond(apdu.select(b"1PAY.SYS.DDF01"))) == "6A82"  # contactless: no PSE
    assert sw(debit.respond(PPSE)) == "9000"
    assert sw(debit.respond(DEBIT)) == "9000"
    assert sw(debit.respond(apdu.read_record(1, 1))) == "9000"
    assert sw(debit.respond(apdu.read_record(1, 2))) == "6A83"
    assert sw(debit.respond(apdu.read_record(9, 1))) == "6A83"


def test_gpo_checks_the_pdol_data_length_and_answers_fresh_data_each_time() -> None:
    debit = card("pboc_debit_contactless")
    debit.respond(DEBIT)
    assert sw(debit.respond(apdu.get_processing_options(bytes(32)))) == "6700"  # the PDOL asks for 33
    first = debit.respond(apdu.get_processing_options(bytes(33)))
    second = debit.respond(apdu.get_processing_options(bytes(33)))
    assert sw(first) == sw(second) == "9000" and first != second
    template = tlv.parse(second[:-2])[0]
    assert template.tag == 0x77
    assert tlv.value_of(template.children, 0x9F36) == b"\x00\x02"  # the transaction counter
    assert tlv.value_of(template.children, 0x94) == bytes.fromhex("0801010010010200")  # AFL from the layout


def test_the_credit_card_answers_gpo_format_1_from_its_layout() -> None:
    credit = card("pboc_credit_contact")
    credit.respond(apdu.select(bytes.fromhex("A000000333010102")))
    answer = credit.respond(apdu.get_processing_options(b""))
    assert answer.hex().upper() == "800A" + "5C00" + "08010100" + "18010100" + "9000"


def test_t0_card_answers_61xx_and_6cxx() -> None:
    t0 = card("t0_two_applications")
    answer = t0.respond(PPSE)
    assert answer[0] == 0x61
    data = t0.respond(apdu.get_response(answer[1]))
    assert sw(data) == "9000" and tlv.parse(data[:-2])[0].tag == 0x6F
    assert sw(t0.respond(apdu.get_response(4))) == "6985"  # nothing pending any more
    t0.respond(DEBIT[:-1] + b"\x00")
    t0.respond(apdu.get_response(0))
    wrong_le = t0.respond(apdu.read_record(1, 1))
    assert wrong_le[0] == 0x6C
    right = t0.respond(apdu.read_record(1, 1)[:-1] + wrong_le[1:])
    assert sw(right) == "9000" and len(right) - 2 == wrong_le[1]


def test_get_response_in_pieces() -> None:
    t0 = card("t0_two_applications")
    length = t0.respond(PPSE)[1]
    first = t0.respond(apdu.get_response(10))
    assert len(first) == 12 and first[-2] == 0x61 and first[-1] == length - 10
    rest = t0.respond(apdu.get_response(first[-1]))
    assert sw(rest) == "9000" and len(rest) == length - 10 + 2


@pytest.mark.parametrize(
    ("command", "status"),
    [("00A4", "6700"), ("10A4040000", "6E00"), ("00DA000000", "6D00"), ("00A404000500", "6700")],
)
def test_malformed_and_unknown_commands(command: str, status: str) -> None:
    assert sw(card("pboc_debit_contactless").respond(bytes.fromhex(command))) == status


def test_reset_forgets_the_selection() -> None:
    debit = card("pboc_debit_contactless")
    debit.respond(DEBIT)
    debit.reset()
    assert sw(debit.respond(apdu.read_record(1, 1))) == "6985"


def test_every_packaged_card_loads() -> None:
    names = sorted(path.stem for path in CARDS_DIR.glob("*.json"))
    assert names == [
        "pboc_credit_contact",
        "pboc_debit_contactless",
        "pboc_debit_expired",
        "pboc_debit_no_holder_id",
        "t0_two_applications",
    ]
    for name in names:
        assert load_card_file(CARDS_DIR / f"{name}.json").applications


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["applications"][0].pop("pan"), "missing key 'pan'"),
        (lambda d: d["applications"][0].update(pan="62170000AB"), "pan must be 12 to 19 digits"),
        (lambda d: d["applications"][0]["records"]["1"][0].append("9F4B"), "record lists tag 9F4B"),
        (lambda d: d.update(directories=["usb"]), "directories are 'pse' and/or 'ppse'"),
        (lambda d: d.update(t1=True), "unknown key 't1'"),
        (lambda d: d["applications"][0].update(expires="2030-01-01"), "unknown key 'expires'"),
        (lambda d: d["applications"][0].update(gpo_format=3), "gpo_format must be 1 or 2"),
        (lambda d: d["applications"][0].update(pdol="9F"), "tag at offset 0 runs past the end"),
    ],
)
def test_card_file_errors_name_the_problem(
    tmp_path: Path, change: Callable[[dict[str, Any]], object], message: str
) -> None:
    data = json.loads((CARDS_DIR / "pboc_debit_contactless.json").read_text())
    change(data)
    path = tmp_path / "card.json"
    path.write_text(json.dumps(data))
    with pytest.raises(BankCardFileError, match=message) as caught:
        load_card_file(path)
    assert "6217000000000012348" not in str(caught.value)


def test_unreadable_card_files(tmp_path: Path) -> None:
    with pytest.raises(BankCardFileError, match="cannot read the card file"):
        load_card_file(tmp_path / "missing.json")
    (tmp_path / "bad.json").write_text("{")
    with pytest.raises(BankCardFileError, match="not valid JSON"):
        load_card_file(tmp_path / "bad.json")
