"""GET /v1/citizen/advice on a real server over loopback, on a copy of the seeded database."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from central_server.dates import CENTRE_TZ
from central_server.models import Citizen
from central_server.preregistration import Registered, apply_pre_registration

from .helpers import FIXED_NOW
from .seeded_copies import StartServer

TODAY = dt.date(2026, 11, 27)


def _overdue(citizen: Citizen) -> bool:
    return citizen.loan is not None and any(
        not row.paid and row.due_date < TODAY for row in citizen.loan.instalments
    )


def _quiet(citizen: Citizen) -> bool:
    """Normal, paid up, no loan and no withdrawals: no rule holds for them until they book something."""
    account = citizen.account
    return (
        account.status == "normal"
        and citizen.loan is None
        and account.paid_up_to == "2026-10"
        and not any(record.kind == "withdrawal" for record in account.records)
    )


def test_an_overdue_loan_comes_first_and_links_to_the_loan(start_server: StartServer) -> None:
    own = start_server()
    borrower = own.citizens(_overdue)[0]
    kiosk = own.signed_in(borrower)
    response = kiosk.call("GET", "/v1/citizen/advice")
    assert response.status_code == 200
    items = response.json()["data"]["items"]
    assert items[0] == {
        "code": "loan_overdue",
        "zh": "您的公积金贷款有逾期未还的月供，请尽快还款，以免产生罚息。",
        "en": "A housing loan instalment is overdue; please repay soon to avoid penalty interest.",
        "action": "loan",
        "priority": 10,
    }
    id_number, name = borrower
    assert id_number not in response.text and name not in response.text


def test_a_booking_tomorrow_and_a_waiting_pre_registration(start_server: StartServer) -> None:
    own = start_server()
    citizen = own.citizens(_quiet)[0]
    kiosk = own.signed_in(citizen)
    assert kiosk.data("GET", "/v1/citizen/advice") == {"items": []}

    booking = {"business": "withdrawal", "office": "SHILI", "date": "2026-11-30", "slot": "09:30-10:00"}
    assert kiosk.call("POST", "/v1/citizen/appointments", json=booking).status_code == 200
    db = own.app.state.context.db
    with db.transaction() as session:
        row = session.scalars(select(Citizen).where(Citizen.id_number == citizen[0])).one()
        payload = {"id_number": row.id_number, "name": row.name, "business_code": "loan", "note": ""}
        outcome = apply_pre_registration(
            session,
            row,
            payload,
            terminal_id="KIOSK-DEMO-01",
            idempotency_key="k1",
            taken_at=FIXED_NOW,
            now=FIXED_NOW,
        )
    assert isinstance(outcome, Registered) and outcome.valid_until == dt.date(2026, 12, 4)

    # Sunday 29 November, 10:00 at the centre: the booking is tomorrow, the slip good for five more days.
    own.clock.now = dt.datetime(2026, 11, 29, 10, 0, tzinfo=CENTRE_TZ)
    items = own.signed_in(citizen).data("GET", "/v1/citizen/advice")["items"]
    assert [(item["code"], item["action"], item["priority"]) for item in items] == [
        ("appointment_tomorrow", "appointment", 20),
        ("pre_registration_waiting", "status", 30),
    ]
    assert items[0]["zh"] == "您明天09:30-10:00在示例管理部有住房公积金提取预约，请带齐材料按时到达。"
    assert items[1]["en"] == (
        "Your pre-registration for Housing loan application expires in 5 days; please bring your papers to "
        "the counter."
    )


def test_a_kiosk_without_a_citizen_session_is_refused(start_server: StartServer) -> None:
    kiosk = start_server().kiosk()
    response = kiosk.call("GET", "/v1/citizen/advice")
    assert (response.status_code, response.json()["code"]) == (401, "session_expired")
