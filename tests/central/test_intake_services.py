"""The intake hands withdrawals and pre-registrations to the centre's services, end to end over HTTP: the
reference it answers is the number the kiosk printed, a resend names it again, a refusal is the item's."""

from __future__ import annotations

import random
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import func, select

from central_server import preregistration, withdrawals
from central_server.app import create_app
from central_server.testing import serve_in_thread
from central_server.withdrawal_rules import PROPERTY_FEE_CAP_FEN
from central_server.withdrawals import WithdrawalApplicationRow
from kiosk.transaction_numbers import kiosk_code, readable
from tests.offline_queue.synthetic import pan, rating

from .helpers import FIXED_NOW, LENIENT, TERMINALS, FakeClock, Kiosk
from .seeded_copies import OwnServer
from .test_intake import PATH, intake_item, stored
from .visits import Visitor, sign_in

COUNTER_TOKEN = "counter-secret-for-intake-tests"
TERMINAL = "KIOSK-DEMO-01"
RNG = random.Random(67)


@pytest.fixture
def own(seeded_file: Path, tmp_path: Path) -> Iterator[OwnServer]:
    """A server on a fresh copy of the seeded database, with a counter system's token."""
    path = tmp_path / "centre.db"
    shutil.copy(seeded_file, path)
    clock = FakeClock(FIXED_NOW)
    app = create_app(
        f"sqlite:///{path}", terminals=TERMINALS, clock=clock, limits=LENIENT, counter_tokens=[COUNTER_TOKEN]
    )
    with serve_in_thread(app) as server:
        yield OwnServer(server, clock, app)


def _visit(own: OwnServer, nth: int = 0) -> tuple[Kiosk, Visitor]:
    """A citizen free to withdraw property fees, signed in at the kiosk (the kiosk keeps the session)."""
    citizens = own.citizens(lambda row: row.account.status == "normal" and row.account.balance_fen > 0)
    id_number, name = citizens[nth]
    kiosk = own.kiosk(TERMINAL)
    return kiosk, sign_in(kiosk, {"id_number": id_number, "name": name})


def _fee(visitor: Visitor, amount_fen: int = 500_00) -> dict[str, Any]:
    return visitor.owns({"withdrawal_type": "06", "amount_fen": amount_fen, "bank_pan": pan(RNG)})


def _pre_registration(visitor: Visitor, note: str = "测试") -> dict[str, Any]:
    return visitor.owns({"business_code": "loan", "note": note})


def _send(kiosk: Kiosk, *items: dict[str, Any]) -> list[dict[str, Any]]:
    results: list[dict[str, Any]] = kiosk.data("POST", PATH, json={"items": list(items)})["results"]
    return results


def _applications(own: OwnServer) -> int:
    with own.app.state.context.db.transaction() as session:
        return (
            session.scalar(
                select(func.count())
                .select_from(WithdrawalApplicationRow)
                .where(WithdrawalApplicationRow.state == "accepted")
            )
            or 0
        )


def test_a_withdrawal_is_accepted_under_the_claim_number_the_kiosk_printed(own: OwnServer) -> None:
    kiosk, visitor = _visit(own)
    item = intake_item("withdrawal_application", _fee(visitor), key="visit-0001-withdrawal", visitor=visitor)
    [answer] = _send(kiosk, item)
    claim = "TQ" + kiosk_code(TERMINAL, "visit-0001-withdrawal")
    assert (answer["status"], answer["reference"]) == ("accepted", claim)
    mine = kiosk.data("GET", "/v1/citizen/applications")["items"]
    listed = [(entry["number"], entry["state"], entry["amount_fen"]) for entry in mine]
    assert (claim, "accepted", 500_00) in listed
    # The outbox resends when an answer was lost: the same number, no second application.
    [again] = _send(kiosk, item)
    assert (again["status"], again["reference"]) == ("duplicate", claim)
    assert _applications(own) == 1


def test_an_amount_over_the_maximum_is_rejected_with_the_refusal(own: OwnServer) -> None:
    kiosk, visitor = _visit(own)
    item = intake_item("withdrawal_application", _fee(visitor, PROPERTY_FEE_CAP_FEN + 1), visitor=visitor)
    [answer] = _send(kiosk, item)
    assert answer == {
        "idempotency_key": item["idempotency_key"],
        "status": "rejected",
        "reason": "withdrawal refused: amount_over_maximum",
        "reference": None,
    }
    assert stored(own.app, item["idempotency_key"]).payload is None
    assert _applications(own) == 0
    assert _send(kiosk, item) == [answer]


def test_a_pre_registration_is_accepted_under_its_code_and_a_counter_finds_it(own: OwnServer) -> None:
    kiosk, visitor = _visit(own)
    item = intake_item("pre_registration", _pre_registration(visitor, "二手房"), visitor=visitor)
    [answer] = _send(kiosk, item)
    code = kiosk_code(TERMINAL, item["idempotency_key"])
    assert (answer["status"], answer["reference"]) == ("accepted", code)
    found = requests.get(
        f"{own.server.base_url}/v1/counter/pre-registrations/{code}",
        headers={"Authorization": f"Bearer {COUNTER_TOKEN}"},
        timeout=10,
    ).json()["data"]
    assert (found["code"], found["id_number"], found["note"]) == (readable(code), visitor.id_number, "二手房")
    assert _send(kiosk, item)[0] == {**answer, "status": "duplicate"}


def test_other_kinds_keep_the_record_reference(own: OwnServer) -> None:
    kiosk, _visitor = _visit(own)
    item = intake_item("rating", rating(RNG))
    [answer] = _send(kiosk, item)
    assert answer["status"] == "accepted" and re.fullmatch(r"R\d{12}", answer["reference"])
    assert _send(kiosk, item)[0] == {**answer, "status": "duplicate"}


def test_an_item_whose_number_another_item_holds_is_rejected_alone(
    own: OwnServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two different items whose codes collide (forced: every item gets one code): the first keeps it."""
    monkeypatch.setattr(preregistration, "kiosk_code", lambda _terminal, _key: "7KQDM3XA")
    monkeypatch.setattr(withdrawals, "kiosk_code", lambda _terminal, _key: "7KQDM3XA")
    kiosk, visitor = _visit(own)
    _, other = _visit(own, 1)
    first = intake_item("pre_registration", _pre_registration(visitor), visitor=visitor)
    second = intake_item("pre_registration", _pre_registration(visitor, "另一件"), visitor=visitor)
    fee = intake_item("withdrawal_application", _fee(visitor), visitor=visitor)
    clash = intake_item("withdrawal_application", _fee(other), visitor=other)
    results = _send(kiosk, first, second, fee, clash)
    assert [(result["status"], result["reference"]) for result in results] == [
        ("accepted", "7KQDM3XA"),
        ("rejected", None),
        ("accepted", "TQ7KQDM3XA"),
        ("rejected", None),
    ]
    assert results[1]["reason"].startswith("pre-registration code 7KQD-M3XA is held by another")
    assert results[3]["reason"] == (
        "withdrawal claim number TQ7KQDM3XA is held by another application; this one was not recorded "
        "(the citizen applies at the counter)"
    )
    assert [stored(own.app, item["idempotency_key"]).status for item in (first, second, fee, clash)] == [
        "accepted",
        "rejected",
        "accepted",
        "rejected",
    ]
    assert _applications(own) == 1


def test_my_applications_lists_pre_registrations_and_appointments(own: OwnServer) -> None:
    kiosk, visitor = _visit(own)
    item = intake_item("pre_registration", _pre_registration(visitor), visitor=visitor)
    [answer] = _send(kiosk, item)
    where = {"business": "loan", "office": "SHILI"}
    day = kiosk.data("GET", "/v1/citizen/appointments/slots?business=loan&office=SHILI")["days"][0]
    slot = day["slots"][0]["slot"]
    booked = kiosk.data("POST", "/v1/citizen/appointments", json={**where, "date": day["date"], "slot": slot})

    items = kiosk.data("GET", "/v1/citizen/applications")["items"]
    listed = {item["kind"]: item for item in items}
    assert listed["pre_registration"]["number"] == readable(answer["reference"])
    assert listed["pre_registration"]["state"] == "waiting"
    assert listed["appointment"]["state"] == "booked"
    assert listed["appointment"]["number"] == booked["call_number"]
    assert f"{day['date']} {slot}" in listed["appointment"]["summary_en"]

    own.clock.advance(days=9)  # past the code's last valid day: the list says so, from the centre's clock
    later, _visitor = _visit(own)  # the same citizen, back another day
    states = {item["kind"]: item["state"] for item in later.data("GET", "/v1/citizen/applications")["items"]}
    assert states["pre_registration"] == "expired"
