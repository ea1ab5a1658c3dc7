"""A withdrawal filed while the kiosk cannot reach the centre: the slip says it waits to be sent, the
forwarder delivers it once the link is back, and the centre records it once, under the printed number.
Then more withdrawals through a network that drops, resets and loses answers: each recorded exactly once.

Every part is real: a kiosk process built from its settings, the SAM emulator on a pty, a debit card in
vpcd behind pcscd, the virtual printer on TCP, the reference centre on loopback with a database file.
"""

from __future__ import annotations

from typing import Any

from kiosk.devices.idcard.emulator import SamEmulator
from kiosk.devices.printer.virtual import VirtualPrinter
from kiosk.masking import format_fen, mask_bank_card
from tests.offline_queue.chaos_proxy import ChaosProxy

from .centre_records import Withdrawer, intake_items, withdrawals, withdrawers
from .conftest import (
    PASSWORD,
    TERMINAL_ID,
    BankCardSlot,
    Centre,
    StartKiosk,
    amount_text,
    key_of,
    place_id_card,
    until_answered,
)
from .kiosk_process import KioskProcess, KioskSetup
from .link import Link

AMOUNT_FEN = 1_234_56
# Faults on most requests; the seed puts a lost answer, a drop and a reset among the first four.
CHAOS = {"pass": 0.4, "drop": 0.15, "reset": 0.15, "lost": 0.3}
CHAOS_SEED = 1
DELIVERY_WAIT_S = 20


def _file(
    kiosk: KioskProcess, bank_cards: BankCardSlot, citizen: Withdrawer, reason: str
) -> tuple[str, dict[str, Any]]:
    """Reason, amount, the citizen's debit card, confirmation, submit; the PAN and what submit said."""
    if bank_cards.take_out():
        assert kiosk.call("bank_card_out", wait_s=5), "the reader did not see the last card taken out"
    pan = bank_cards.insert_debit_card(citizen.card)
    confirmed = kiosk.call("withdraw", reason=reason, amount=amount_text(AMOUNT_FEN), wait_s=15)
    assert confirmed == {"amount": format_fen(AMOUNT_FEN), "card_masked": mask_bank_card(pan)}
    return pan, kiosk.call("submit")


def test_a_withdrawal_filed_offline_is_applied_once_and_so_is_each_through_a_faulty_network(
    centre: Centre,
    link: Link,
    emulator: SamEmulator,
    printer: VirtualPrinter,
    bank_cards: BankCardSlot,
    setup: KioskSetup,
    start_kiosk: StartKiosk,
) -> None:
    first, *others = withdrawers(centre.app, AMOUNT_FEN)
    kiosk = start_kiosk(setup)

    # Signed in while the centre is reachable: the visit ticket comes from the sign-in.
    place_id_card(kiosk, emulator, first.card)
    assert kiosk.call("sign_in", password=PASSWORD) == "ok"
    offered = {reason["code"]: reason for reason in kiosk.call("reasons")}
    assert {code for code, reason in offered.items() if reason["selectable"]} == set(first.reasons)
    reason = first.reasons[0]

    link.cut()
    pan, submitted = _file(kiosk, bank_cards, first, reason)
    assert (submitted["answer"], submitted["printed"]) == ("waiting", True), submitted
    number = submitted["claim_number"]

    slip = printer.wait_for_jobs(1)[0]
    assert slip.complete, slip.reason
    assert number in slip.text
    assert "待发送至中心" in slip.text  # "accepted by this kiosk, waiting to be sent to the centre"
    assert mask_bank_card(pan) in slip.text and pan not in slip.text
    assert withdrawals(centre.app, TERMINAL_ID) == [], "the centre has it while the link is down"

    link.restore()
    key = key_of(setup.data_dir, number)
    assert kiosk.call("fate", key=key, wait_s=DELIVERY_WAIT_S) == {"state": "delivered", "reason": None}
    [record] = withdrawals(centre.app, TERMINAL_ID)
    assert (record.claim_number, record.id_number, record.reason) == (number, first.card.id_number, reason)
    assert (record.amount_fen, record.state, record.idempotency_key) == (AMOUNT_FEN, "accepted", key)
    assert intake_items(centre.app, TERMINAL_ID, key) == 1

    # More withdrawals, every request to the centre through the chaos proxy: the first citizen's next
    # reason, then two more citizens.
    plan = [(first, first.reasons[1])] if len(first.reasons) > 1 else []
    plan += [(citizen, citizen.reasons[0]) for citizen in others[:2]]
    numbers = {number: first.card.id_number}
    personal = {pan, first.card.id_number, first.card.name}
    with ChaosProxy(centre.base_url, CHAOS, seed=CHAOS_SEED) as chaos:
        link.route_to(chaos.base_url)
        for citizen, code in plan:
            if citizen is not first:
                kiosk.call("end")
                place_id_card(kiosk, emulator, citizen.card, swap=True)
                assert until_answered(kiosk, "sign_in", password=PASSWORD) == "ok"
            until_answered(kiosk, "reasons")
            pan, submitted = _file(kiosk, bank_cards, citizen, code)
            assert submitted["answer"] in ("accepted", "waiting"), submitted
            numbers[submitted["claim_number"]] = citizen.card.id_number
            personal |= {pan, citizen.card.id_number, citizen.card.name}
        keys = {number: key_of(setup.data_dir, number) for number in numbers}
        for key in keys.values():
            assert kiosk.call("fate", key=key, wait_s=DELIVERY_WAIT_S)["state"] == "delivered"
        faults = chaos.counts
    assert len(numbers) == 1 + len(plan) >= 3
    assert all(faults[fate] > 0 for fate in CHAOS), faults

    records = withdrawals(centre.app, TERMINAL_ID)
    assert sorted((r.claim_number, r.id_number) for r in records) == sorted(numbers.items())
    assert all(intake_items(centre.app, TERMINAL_ID, key) == 1 for key in keys.values())
    assert {r.idempotency_key for r in records} == set(keys.values())
    assert len(printer.jobs) == len(numbers)

    kiosk.call("end")
    kiosk.stop()
    log = kiosk.log_path.read_text(encoding="utf-8")
    assert not [value for value in personal if value in log], "the kiosk logged personal data"
