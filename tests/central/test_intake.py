"""POST /v1/intake/batch: each idempotency key applied at most once, per-item answers, per-kind checks."""

from __future__ import annotations

import random
import uuid
from typing import Any

from tests.offline_queue.synthetic import id_number, name, pan, rating, withdrawal

from .helpers import Kiosk

PATH = "/v1/intake/batch"
CREATED = "2026-11-27T03:00:00+00:00"
RNG = random.Random(31)


def _item(kind: str, payload: dict[str, Any], key: str | None = None) -> dict[str, Any]:
    return {
        "idempotency_key": key or uuid.uuid4().hex,
        "kind": kind,
        "created_at": CREATED,
        "payload": payload,
    }


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
        {"id_number": id_number(RNG), "name": name(RNG), "business_code": "LN02", "note": "测试"},
    ),
    ("rating", rating(RNG)),
    ("complaint_suggestion", {"category": "suggestion", "text": "测试建议", "contact_phone": "13800000000"}),
    (
        "touchpoint_event",
        {"visit_id": "v1", "event": "shown", "screen": "home", "at": CREATED, "duration_ms": 5},
    ),
    ("staff_audit_event", {"staff_id": "S001", "action": "printer_refill", "at": CREATED}),
]


def test_every_kind_is_accepted_once_and_a_retry_gets_the_first_answer(kiosk: Kiosk) -> None:
    items = [_item(kind, payload) for kind, payload in EVERY_KIND]
    first = kiosk.data("POST", PATH, json={"items": items})["results"]
    assert [r["status"] for r in first] == ["accepted"] * len(items), first
    assert [r["idempotency_key"] for r in first] == [i["idempotency_key"] for i in items]
    again = kiosk.data("POST", PATH, json={"items": items})["results"]
    assert [r["status"] for r in again] == ["duplicate"] * len(items)
    assert [r["reference"] for r in again] == [r["reference"] for r in first]


def test_a_bad_item_is_rejected_alone_and_its_retry_is_rejected_the_same_way(kiosk: Kiosk) -> None:
    bad = withdrawal(RNG)
    bad["bank_pan"] = "6217000000000000001"
    good = _item("rating", rating(RNG))
    items = [_item("withdrawal_application", bad), good, _item("lottery", {}), _item("rating", {"score": 9})]
    results = kiosk.data("POST", PATH, json={"items": items})["results"]
    assert [r["status"] for r in results] == ["rejected", "accepted", "rejected", "rejected"]
    assert results[0]["reason"] == "payload field bank_pan: Value error, check digit does not match"
    assert bad["bank_pan"] not in str(results) and bad["id_number"] not in str(results)
    again = kiosk.data("POST", PATH, json={"items": items[:1]})["results"]
    assert again == results[:1]


def test_a_key_twice_in_one_batch_is_applied_once(kiosk: Kiosk) -> None:
    item = _item("rating", rating(RNG))
    results = kiosk.data("POST", PATH, json={"items": [item, item]})["results"]
    assert [r["status"] for r in results] == ["accepted", "duplicate"]


def test_keys_belong_to_their_terminal(demo_server: Any) -> None:
    item = _item("rating", rating(RNG))
    for terminal in ("KIOSK-DEMO-01", "KIOSK-DEMO-02"):
        other = Kiosk(demo_server.base_url, terminal)
        other.authenticate()
        assert other.data("POST", PATH, json={"items": [item]})["results"][0]["status"] == "accepted"


def test_the_batch_needs_terminal_auth_and_a_sane_shape(kiosk: Kiosk) -> None:
    item = _item("rating", rating(RNG))
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
