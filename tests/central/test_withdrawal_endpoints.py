"""Withdrawal options over HTTP, and applying (`apply_withdrawal`, as the intake will call it) through a
route of this test's own, against real servers on copies of the seeded database."""

from __future__ import annotations

import threading
import uuid
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel
from sqlalchemy import select

from central_server.auth import CitizenSessionRef, TerminalId
from central_server.context import Context
from central_server.dates import centre_today
from central_server.models import Citizen
from central_server.withdrawal_rules import RENT_MONTHLY_CAP_FEN, Reason, Refusal, assess_all
from central_server.withdrawals import (
    Accepted,
    ClaimNumberHeld,
    Refused,
    WithdrawalApplicationRow,
    WithdrawalRequest,
    apply_withdrawal,
    citizen_facts,
    claim_number,
)
from kiosk.transaction_numbers import kiosk_code, parse_code

from .helpers import FIXED_NOW, Kiosk
from .seeded_copies import OwnServer, StartServer

# Luhn-valid, synthetic.
CARD = "6222020200001234562"


class _Filing(BaseModel):
    reason: str
    amount_fen: int
    key: str
    bank_pan: str = CARD


filing = APIRouter(prefix="/v1/test")


@filing.post("/withdrawal")
def _file(
    body: _Filing, context: Context, citizen_ref: CitizenSessionRef, terminal_id: TerminalId
) -> dict[str, str]:
    with context.db.transaction() as session:
        citizen = session.get_one(Citizen, citizen_ref.citizen_id)
        request = WithdrawalRequest(Reason(body.reason), body.amount_fen, body.bank_pan)
        outcome = apply_withdrawal(
            session, citizen, request, terminal_id=terminal_id, idempotency_key=body.key, now=context.clock()
        )
    if isinstance(outcome, Accepted):
        return {"claim_number": outcome.claim_number}
    if isinstance(outcome, ClaimNumberHeld):
        return {"held": outcome.claim_number}
    return {"refused": outcome.refusal.value}


def _file_it(kiosk: Kiosk, reason: str, amount_fen: int, key: str | None = None) -> dict[str, str]:
    body = {"reason": reason, "amount_fen": amount_fen, "key": key or uuid.uuid4().hex}
    response = kiosk.call("POST", "/v1/test/withdrawal", json=body)
    assert response.status_code == 200, response.text
    result: dict[str, str] = response.json()
    return result


def _options(kiosk: Kiosk) -> dict[str, dict[str, Any]]:
    data = kiosk.data("GET", "/v1/citizen/withdrawal/options")
    return {option["code"]: option for option in data["options"]}


def _renter_free_to_rent(own: OwnServer) -> tuple[str, str]:
    """A normal account without a loan, no rent this year, and more than a year's rent cap in it."""
    return own.citizens(
        lambda row: (
            row.account.status == "normal"
            and row.loan is None
            and row.account.balance_fen > 12 * RENT_MONTHLY_CAP_FEN
        )
    )[0]


def test_options_assess_every_reason_for_this_citizen(start_server: StartServer) -> None:
    own = start_server()
    kiosk = own.signed_in(_renter_free_to_rent(own))
    data = kiosk.data("GET", "/v1/citizen/withdrawal/options")
    options = {option["code"]: option for option in data["options"]}
    assert list(options) == ["01", "02", "03", "04", "05", "06", "07"]
    assert data["office"]
    rent = options["01"]
    assert (rent["allowed"], rent["refusal"], rent["max_fen"]) == (True, None, 12 * RENT_MONTHLY_CAP_FEN)
    assert rent["name"] == {"zh": "租房提取", "en": "Rent"}
    assert rent["materials"][0]["zh"] == "租房合同或无房证明"
    loan = options["04"]
    assert (loan["allowed"], loan["max_fen"], loan["refusal"]["code"]) == (False, 0, "no_loan")
    assert loan["refusal"]["zh"] and loan["refusal"]["en"]
    assert options["05"]["counter_only"] and not rent["counter_only"]


def test_the_seeded_history_makes_the_rules_bite(start_server: StartServer) -> None:
    own = start_server()
    with own.app.state.context.db.transaction() as session:
        refusals = {
            (assessment.reason.value, assessment.refusal.value)
            for citizen in session.scalars(select(Citizen))
            for assessment in assess_all(citizen_facts(session, citizen), centre_today(FIXED_NOW))
            if assessment.refusal is not None
        }
    assert {("01", "rent_yearly_limit"), ("04", "used_this_year"), ("01", "has_loan")} <= refusals


def test_an_application_is_reassessed_and_recorded_with_a_claim_number(start_server: StartServer) -> None:
    own = start_server(filing)
    citizen = _renter_free_to_rent(own)
    kiosk = own.signed_in(citizen)
    maximum = 12 * RENT_MONTHLY_CAP_FEN
    assert _file_it(kiosk, "01", maximum + 1) == {"refused": "amount_over_maximum"}
    assert _file_it(kiosk, "04", 100) == {"refused": "no_loan"}
    assert _file_it(kiosk, "05", 100) == {"refused": "counter_only"}
    rent_claim = claim_number("KIOSK-DEMO-01", "rent-0001")
    assert _file_it(kiosk, "01", maximum, "rent-0001") == {"claim_number": rent_claim}
    assert _file_it(kiosk, "01", 100) == {"refused": "application_pending"}
    fee_claim = claim_number("KIOSK-DEMO-01", "fee-0001")
    assert _file_it(kiosk, "06", 100, "fee-0001") == {"claim_number": fee_claim}

    rent = _options(kiosk)["01"]
    assert (rent["allowed"], rent["refusal"]["code"]) == (False, "application_pending")
    with own.app.state.context.db.transaction() as session:
        row = session.scalars(
            select(WithdrawalApplicationRow).where(WithdrawalApplicationRow.claim_number == rent_claim)
        ).one()
        balance = session.scalars(select(Citizen).where(Citizen.id_number == citizen[0])).one().account
        recorded = (row.reason, row.amount_fen, row.state, row.payee_card_masked, row.payee_pan)
        assert balance.balance_fen > maximum  # nothing is deducted before the back office pays
    assert recorded == ("01", maximum, "accepted", "622202*********4562", CARD)


def test_the_claim_number_is_the_kiosks_and_the_same_item_again_is_the_same_application(
    start_server: StartServer,
) -> None:
    own = start_server(filing)
    kiosk = own.signed_in(_renter_free_to_rent(own))
    first = _file_it(kiosk, "06", 500_00, "visit-0001-withdrawal")
    assert first == {"claim_number": "TQ" + kiosk_code("KIOSK-DEMO-01", "visit-0001-withdrawal")}
    # A resend of the item is not a second application (nor refused as pending against itself).
    assert _file_it(kiosk, "06", 500_00, "visit-0001-withdrawal") == first
    with own.app.state.context.db.transaction() as session:
        numbers = session.scalars(
            select(WithdrawalApplicationRow.claim_number).where(
                WithdrawalApplicationRow.terminal_id == "KIOSK-DEMO-01"
            )
        ).all()
    assert numbers == [first["claim_number"]]
    # The seeded history was numbered by the same recipe: every number is TQ and eight kiosk symbols.
    with own.app.state.context.db.transaction() as session:
        every = session.scalars(select(WithdrawalApplicationRow.claim_number)).all()
    assert len(every) == len(set(every)) > 1
    assert all(number[:2] == "TQ" and parse_code(number[2:]) == number[2:] for number in every)


def test_another_items_claim_number_is_refused_clearly(start_server: StartServer) -> None:
    own = start_server(filing)
    kiosk = own.signed_in(_renter_free_to_rent(own))
    held = _file_it(kiosk, "06", 500_00, "visit-0002-withdrawal")["claim_number"]
    with own.app.state.context.db.transaction() as session:
        # Give the application to another item, as if that item's key had hashed to this number.
        row = session.scalars(
            select(WithdrawalApplicationRow).where(WithdrawalApplicationRow.claim_number == held)
        ).one()
        row.idempotency_key = "another-item-0002"
    assert _file_it(kiosk, "01", 100, "visit-0002-withdrawal") == {"held": held}


def test_the_same_citizen_filing_at_two_kiosks_at_once_gets_one_application(
    start_server: StartServer,
) -> None:
    """Two kiosks, one citizen, the same reason at the same instant: the account row is locked for the
    decision, so exactly one is accepted. Meanwhile other citizens file too, and every claim number is new."""
    own = start_server(filing)
    twice = _renter_free_to_rent(own)
    others = own.citizens(lambda row: row.account.status == "normal" and row.account.balance_fen > 1_000_00)
    filers = [own.signed_in(twice, "KIOSK-DEMO-01"), own.signed_in(twice, "KIOSK-DEMO-02")]
    filers += [own.signed_in(other) for other in others[1:9] if other != twice]
    start = threading.Barrier(len(filers))
    results: list[dict[str, str]] = [{} for _ in filers]

    def file(index: int) -> None:
        start.wait()
        results[index] = _file_it(filers[index], "06", 1_000_00)

    threads = [threading.Thread(target=file, args=(index,)) for index in range(len(filers))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    same_citizen = sorted(next(iter(result)) for result in results[:2])
    assert same_citizen == ["claim_number", "refused"]
    assert {"refused": "application_pending"} in results[:2]
    claims = [result["claim_number"] for result in results if "claim_number" in result]
    assert len(claims) == len(set(claims)) == len(filers) - 1
    with own.app.state.context.db.transaction() as session:
        recorded = session.scalars(
            select(WithdrawalApplicationRow.claim_number).where(WithdrawalApplicationRow.state == "accepted")
        ).all()
    assert sorted(recorded) == sorted(claims)


def test_the_intake_builds_the_request_from_its_payload_and_reports_a_refusal_by_code() -> None:
    payload = {"id_number": "120199198005170017", "name": "王测试", "withdrawal_type": "06"}
    request = WithdrawalRequest.from_payload(payload | {"amount_fen": 500_00, "bank_pan": CARD})
    assert request == WithdrawalRequest(Reason.PROPERTY_FEE, 500_00, CARD)
    assert Refused(Refusal.NO_LOAN).intake_reason == "withdrawal refused: no_loan"
