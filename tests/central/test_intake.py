"""POST /v1/intake/batch: each idempotency key applied at most once, per-item answers, per-kind checks."""

from __future__ import annotations

import json
import random
import uuid
from typing import Any

from fastapi import FastAPI
from sqlalchemy import select

from central_server.models import IntakeRecord
from central_server.routes.intake import CONFLICT_REASON
from tests.offline_queue.synthetic import id_number, name, pan, rating, withdrawal

from .helpers import Kiosk
from .visits import Visitor, sign_in

PATH = "/v1/intake/batch"
CREATED = "2026-11-27T03:00:00+00:00"
RNG = random.Random(31)


def intake_item(
    kind: str,
    payload: dict[str, Any],
    key: str | None = None,
    created_at: str = CREATED,
    visitor: Visitor | None = None,
) -> dict[str, Any]:
    """The item; with a visitor, its payload names the visitor and it carries the visitor's ticket."""
    item = {
        "idempotency_key": key or uuid.uuid4().hex,
        "kind": kind,
        "created_at": created_at,
        "payload": visitor.owns(payload) if visitor and "id_number" in payload else payload,
    }
    if visitor:
        item["visit_ticket"] = visitor.ticket
    return item


# Citizens some test has signed in as a filer, per server: the rules grant each one property-fee withdrawal.
_FILERS_TAKEN: dict[str, set[str]] = {}


def filer(kiosk: Kiosk, cards: list[dict[str, Any]]) -> Visitor:
    """A citizen whom the centre offers a property-fee withdrawal (synthetic.withdrawal) and no test has used
    for one yet, signed in at the kiosk: the test's own, as the rules grant one such application a year."""
    taken = _FILERS_TAKEN.setdefault(kiosk.base_url, set())
    for card in cards:
        if card["id_number"] in taken:
            continue
        taken.add(card["id_number"])
        visitor = sign_in(kiosk, card)
        options = kiosk.data("GET", "/v1/citizen/withdrawal/options")["options"]
        if any(option["code"] == "06" and option["allowed"] for option in options):
            return visitor
    raise AssertionError("no demo citizen left who may withdraw property fees")


def stored(app: FastAPI, key: str, terminal_id: str = "KIOSK-DEMO-01") -> IntakeRecord:
    """The centre's record of this key, read straight from its database."""
    with app.state.context.db.transaction() as session:
        return session.scalars(
            select(IntakeRecord).where(
                IntakeRecord.terminal_id == terminal_id, IntakeRecord.idempotency_key == key
            )
        ).one()


EVERY_KIND = [
    ("withdrawal_application", withdrawal(RNG)),
    (
        "appointment",
        {
            "id_number": id_number(RNG),
            "name": name(RNG),
            "business_code": "WD01",
            "office": "HP01",
            "date": "2026-12-01",
            "slot": "09:00-09:30",
        },
    ),
    (
        "pre_registration",
        {"id_number": id_number(RNG), "name": name(RNG), "business_code": "loan", "note": "测试"},
    ),
    ("rating", rating(RNG)),
    (
        "complaint_suggestion",
        {"category": "suggestion", "topic": "other", "text": "测试建议", "contact_phone": "13800000000"},
    ),
    (
        "touchpoint_event",
        {
            "visit_id": "v1",
            "channel": "kiosk",
            "event": "service_completed",
            "service": "deposits",
            "screen": "home",
            "at": CREATED,
            "duration_ms": 5,
        },
    ),
    ("staff_audit_event", {"staff_id": "900001", "action": "paper_replaced", "at": CREATED}),
]


def test_every_kind_is_accepted_once_and_a_retry_gets_the_first_answer(
    kiosk: Kiosk, cards: list[dict[str, Any]]
) -> None:
    visitor = filer(kiosk, cards)
    items = [intake_item(kind, payload, visitor=visitor) for kind, payload in EVERY_KIND]
    first = kiosk.data("POST", PATH, json={"items": items})["results"]
    assert [r["status"] for r in first] == ["accepted"] * len(items), first
    assert [r["idempotency_key"] for r in first] == [i["idempotency_key"] for i in items]
    again = kiosk.data("POST", PATH, json={"items": items})["results"]
    assert [r["status"] for r in again] == ["duplicate"] * len(items)
    assert [r["reference"] for r in again] == [r["reference"] for r in first]


def test_a_bad_item_is_rejected_alone_and_its_retry_is_rejected_the_same_way(
    kiosk: Kiosk, visitor: Visitor
) -> None:
    bad = visitor.owns(withdrawal(RNG))
    bad["bank_pan"] = "6217000000000000001"
    good = intake_item("rating", rating(RNG))
    items = [
        intake_item("withdrawal_application", bad, visitor=visitor),
        good,
        intake_item("lottery", {}),
        intake_item("rating", {"score": 9}),
    ]
    results = kiosk.data("POST", PATH, json={"items": items})["results"]
    assert [r["status"] for r in results] == ["rejected", "accepted", "rejected", "rejected"]
    assert results[0]["reason"] == "payload field bank_pan: Value error, check digit does not match"
    assert bad["bank_pan"] not in str(results) and bad["id_number"] not in str(results)
    again = kiosk.data("POST", PATH, json={"items": items[:1]})["results"]
    assert again == results[:1]


def test_a_key_twice_in_one_batch_is_applied_once(kiosk: Kiosk) -> None:
    item = intake_item("rating", rating(RNG))
    results = kiosk.data("POST", PATH, json={"items": [item, item]})["results"]
    assert [r["status"] for r in results] == ["accepted", "duplicate"]


def test_keys_belong_to_their_terminal(demo_server: Any) -> None:
    # Not a rating: the centre takes one rating per case from whichever kiosk, whatever the key.
    item = intake_item("staff_audit_event", {"staff_id": "900001", "action": "paper_replaced", "at": CREATED})
    for terminal in ("KIOSK-DEMO-01", "KIOSK-DEMO-02"):
        other = Kiosk(demo_server.base_url, terminal)
        other.authenticate()
        assert other.data("POST", PATH, json={"items": [item]})["results"][0]["status"] == "accepted"


def test_the_batch_needs_terminal_auth_and_a_sane_shape(kiosk: Kiosk) -> None:
    item = intake_item("rating", rating(RNG))
    assert kiosk.call("POST", PATH, json={"items": [item]}, drop=("Authorization",)).json()["code"] == (
        "terminal_unauthorised"
    )
    assert kiosk.call("POST", PATH, json={"items": []}).status_code == 400
    assert kiosk.call("POST", PATH, json={"items": [item] * 501}).status_code == 400
    short_key = {**item, "idempotency_key": "short"}
    assert kiosk.call("POST", PATH, json={"items": [short_key]}).json()["code"] == "bad_request"


def test_synthetic_identities_are_valid_and_obviously_fake() -> None:
    rng = random.Random(1)
    assert id_number(rng).startswith("120199") and pan(rng).startswith("621700")


def _conflict(key: str) -> dict[str, Any]:
    return {"idempotency_key": key, "status": "conflict", "reason": CONFLICT_REASON, "reference": None}


def test_a_used_key_with_another_payload_is_a_conflict_and_is_not_applied(
    kiosk: Kiosk, demo_app: FastAPI, cards: list[dict[str, Any]]
) -> None:
    visitor = filer(kiosk, cards)
    first = intake_item("withdrawal_application", withdrawal(RNG), visitor=visitor)
    key = first["idempotency_key"]
    accepted = kiosk.data("POST", PATH, json={"items": [first]})["results"][0]
    more = {**first["payload"], "amount_fen": first["payload"]["amount_fen"] + 1}
    other_kind = intake_item("pre_registration", {**first["payload"]}, key=key)
    results = kiosk.data("POST", PATH, json={"items": [{**first, "payload": more}, other_kind]})["results"]
    assert results == [_conflict(key), _conflict(key)]
    assert json.loads(stored(demo_app, key).payload or "")["amount_fen"] == first["payload"]["amount_fen"]
    again = kiosk.data("POST", PATH, json={"items": [first]})["results"][0]
    assert again == {**accepted, "status": "duplicate"}


def test_a_conflict_in_one_batch_leaves_the_first_applied(kiosk: Kiosk, demo_app: FastAPI) -> None:
    first = intake_item("rating", rating(RNG))
    second = {**first, "payload": {**first["payload"], "score": first["payload"]["score"] % 5 + 1}}
    results = kiosk.data("POST", PATH, json={"items": [first, second, first]})["results"]
    assert [r["status"] for r in results] == ["accepted", "conflict", "duplicate"]
    assert (
        json.loads(stored(demo_app, first["idempotency_key"]).payload or "")["score"]
        == (first["payload"]["score"])
    )


def test_the_same_payload_resent_in_another_key_order_and_spacing_is_a_duplicate(
    kiosk: Kiosk, cards: list[dict[str, Any]]
) -> None:
    visitor = filer(kiosk, cards)
    first = intake_item("withdrawal_application", withdrawal(RNG), visitor=visitor)
    kiosk.data("POST", PATH, json={"items": [first]})
    reordered = {**first, "payload": dict(reversed(list(first["payload"].items())))}
    body = json.dumps({"items": [reordered]}, indent=3, ensure_ascii=True)
    response = kiosk.call("POST", PATH, data=body, replace={"Content-Type": "application/json"})
    assert response.json()["data"]["results"][0]["status"] == "duplicate"


def test_a_rejected_key_resent_with_another_payload_is_a_conflict(kiosk: Kiosk) -> None:
    bad = intake_item("rating", {**rating(RNG), "score": 9})
    rejected = kiosk.data("POST", PATH, json={"items": [bad]})["results"][0]
    assert rejected["status"] == "rejected"
    fixed = {**bad, "payload": {**bad["payload"], "score": 5}}
    results = kiosk.data("POST", PATH, json={"items": [bad, fixed]})["results"]
    assert results == [rejected, _conflict(bad["idempotency_key"])]
