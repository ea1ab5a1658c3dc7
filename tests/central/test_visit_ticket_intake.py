"""The visit ticket end to end: sign-in issues it, the intake takes a citizen's transaction only under it."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from sqlalchemy import select

from central_server import visit_keys, visit_ticket
from central_server.app import DEFAULT_SEED, create_app
from central_server.models import Account, Citizen
from central_server.testing import RunningServer, serve_in_thread
from central_server.withdrawal_rules import PROPERTY_FEE_CAP_FEN
from tests.offline_queue.synthetic import rating, withdrawal

from .helpers import FIXED_NOW, TERMINALS, FakeClock, Kiosk
from .test_intake import PATH, filer, intake_item, stored
from .visits import Visitor, sign_in

RNG = random.Random(113)


def _keys(app: FastAPI) -> visit_keys.Keys:
    with app.state.context.db.transaction() as session:
        return visit_keys.load(session)


def _answer(kiosk: Kiosk, item: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = kiosk.data("POST", PATH, json={"items": [item]})["results"][0]
    return result


def test_sign_in_answers_a_ticket_the_centre_signed_for_this_citizen_and_terminal(
    kiosk: Kiosk, demo_app: FastAPI, cards: list[dict[str, Any]]
) -> None:
    first = sign_in(kiosk, cards[1])
    claims = visit_ticket.verify(first.ticket, _keys(demo_app).ticket)
    assert (claims.ref, claims.tid) == (first.citizen_ref, "KIOSK-DEMO-01")
    assert (claims.iat, claims.exp) == (int(FIXED_NOW.timestamp()), int(FIXED_NOW.timestamp()) + 1800)
    # Pseudonymous: the same at every visit, no identifier of the citizen in it.
    again = sign_in(kiosk, cards[1])
    assert again.citizen_ref == first.citizen_ref and again.ticket != first.ticket
    assert sign_in(kiosk, cards[2]).citizen_ref != first.citizen_ref
    for text in (first.ticket, first.citizen_ref, repr(claims)):
        assert cards[1]["id_number"] not in text and cards[1]["name"] not in text


def test_a_withdrawal_under_its_citizens_ticket_is_accepted_and_keeps_the_reference(
    kiosk: Kiosk, demo_app: FastAPI, cards: list[dict[str, Any]]
) -> None:
    visitor = filer(kiosk, cards)
    item = intake_item("withdrawal_application", withdrawal(RNG), visitor=visitor)
    assert _answer(kiosk, item)["status"] == "accepted"
    assert stored(demo_app, item["idempotency_key"]).citizen_ref == visitor.citizen_ref


def _refused(kiosk: Kiosk, item: dict[str, Any], reason: str) -> None:
    answer = _answer(kiosk, item)
    assert (answer["status"], answer["reason"]) == ("rejected", reason)


def test_a_citizens_transaction_without_a_ticket_is_refused_before_its_payload(kiosk: Kiosk) -> None:
    for kind, payload in [
        ("withdrawal_application", withdrawal(RNG)),
        ("appointment", {}),
        ("pre_registration", {"business_code": "LN02"}),
    ]:
        _refused(kiosk, intake_item(kind, payload), "visit ticket missing")


def test_a_forged_ticket_is_refused(kiosk: Kiosk, visitor: Visitor) -> None:
    body, signature = visitor.ticket.split(".")
    claims = visit_ticket.new_claims(visitor.citizen_ref, "KIOSK-DEMO-01", int(FIXED_NOW.timestamp()))
    other_key = visit_ticket.encode(claims, bytes(32))
    flipped = signature[:-2] + ("A" if signature[-2] != "A" else "B") + signature[-1]
    for ticket in (other_key, f"{body}.{flipped}", body, "", "not a ticket"):
        item = intake_item("withdrawal_application", withdrawal(RNG), visitor=visitor)
        _refused(kiosk, {**item, "visit_ticket": ticket}, "visit ticket forged")


def test_a_ticket_is_good_only_at_the_terminal_it_was_issued_to(
    demo_server: RunningServer, visitor: Visitor
) -> None:
    other = Kiosk(demo_server.base_url, "KIOSK-DEMO-02")
    other.authenticate()
    item = intake_item("withdrawal_application", withdrawal(RNG), visitor=visitor)
    _refused(other, item, "visit ticket issued to another terminal")


def test_a_ticket_names_its_citizen_and_no_other(
    kiosk: Kiosk, visitor: Visitor, cards: list[dict[str, Any]]
) -> None:
    other = next(card for card in cards if card["id_number"] != visitor.id_number)
    item = intake_item("withdrawal_application", withdrawal(RNG), visitor=visitor)
    item["payload"] = {**item["payload"], "id_number": other["id_number"]}
    answer = _answer(kiosk, item)
    assert (answer["status"], answer["reason"]) == ("rejected", "visit ticket for another citizen")
    assert other["id_number"] not in str(answer) and visitor.id_number not in str(answer)


def test_an_item_made_outside_the_tickets_life_is_refused(kiosk: Kiosk, visitor: Visitor) -> None:
    late = intake_item(
        "withdrawal_application", withdrawal(RNG), created_at="2026-11-27T03:30:01+00:00", visitor=visitor
    )
    _refused(kiosk, late, "visit ticket expired")
    early = intake_item(
        "withdrawal_application", withdrawal(RNG), created_at="2026-11-27T02:58:59+00:00", visitor=visitor
    )
    _refused(kiosk, early, "visit ticket issued after the item was created")


def test_a_rating_may_carry_the_ticket_and_is_checked_by_it(kiosk: Kiosk, visitor: Visitor) -> None:
    assert _answer(kiosk, intake_item("rating", rating(RNG), visitor=visitor))["status"] == "accepted"
    assert _answer(kiosk, intake_item("rating", rating(RNG)))["status"] == "accepted"
    forged = {**intake_item("rating", rating(RNG)), "visit_ticket": visitor.ticket + "x"}
    _refused(kiosk, forged, "visit ticket forged")


def test_an_item_made_during_the_visit_and_sent_hours_after_the_ticket_expired_is_accepted(
    clocked_kiosk: Kiosk, clock: FakeClock, cards: list[dict[str, Any]]
) -> None:
    visitor = filer(clocked_kiosk, cards)
    made = (FIXED_NOW.replace(minute=29)).isoformat()
    item = intake_item("withdrawal_application", withdrawal(RNG), created_at=made, visitor=visitor)
    clock.advance(hours=6)
    clocked_kiosk.authenticate()
    assert _answer(clocked_kiosk, item)["status"] == "accepted"


def test_every_worker_of_one_database_signs_and_checks_with_the_same_keys(tmp_path: Path) -> None:
    """Two centres on one database file stand for two workers: a ticket one issues, the other accepts."""
    url = f"sqlite:///{tmp_path / 'centre.db'}"
    first = create_app(url, terminals=TERMINALS, seed=DEFAULT_SEED, clock=FakeClock(FIXED_NOW))
    second = create_app(url, terminals=TERMINALS, clock=FakeClock(FIXED_NOW))
    assert _keys(first) == _keys(second)
    with first.state.context.db.transaction() as session:
        # One whom the rules grant a property-fee withdrawal (synthetic.withdrawal).
        citizen = session.scalars(
            select(Citizen)
            .join(Account)
            .where(Citizen.name != "司马样例", Account.status == "normal")
            .where(Account.balance_fen >= PROPERTY_FEE_CAP_FEN)
            .order_by(Citizen.id)
            .limit(1)
        ).one()
        card = {"id_number": citizen.id_number, "name": citizen.name}
    with serve_in_thread(first) as one, serve_in_thread(second) as other:
        signing, sending = Kiosk(one.base_url), Kiosk(other.base_url)
        signing.authenticate()
        sending.authenticate()
        visitor = sign_in(signing, card)
        item = intake_item("withdrawal_application", withdrawal(RNG), visitor=visitor)
        assert _answer(sending, item)["status"] == "accepted"
