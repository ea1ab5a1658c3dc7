"""The CRM from the intake on: kiosk-shaped items through POST /v1/intake/batch land in their tables,
a bad rating opens a follow-up case, phones are encrypted at rest and masked in every answer, the customer
view joins the channels, and a touchpoint never carries an ID number."""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import select

from central_server.app import create_app
from central_server.crm.models import Complaint, FollowUpCase, Rating, Touchpoint
from central_server.crm.routes import CrmSettings
from central_server.testing import RunningServer, serve_in_thread
from kiosk.transaction_numbers import kiosk_code, readable
from tests.offline_queue.synthetic import id_number

from .helpers import FIXED_NOW, TERMINALS, FakeClock, Kiosk
from .visits import Visitor, sign_in

OPERATOR = "crm-operator-token-0001"
CHANNEL = "crm-channel-token-0001"
PHONE = "13912345678"
CREATED = "2026-11-27T03:00:00+00:00"  # Friday 11:00 in the centre
RNG = random.Random(1212)
REFUSAL = "looks like an ID number; touchpoints carry no personal data"


@dataclass
class Centre:
    server: RunningServer
    path: Path
    clock: FakeClock
    app: Any

    def operator(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        return requests.request(
            method,
            self.server.base_url + path,
            headers={"Authorization": f"Bearer {OPERATOR}"},
            timeout=10,
            **kwargs,
        )

    def rows(self, model: Any) -> list[Any]:
        with self.app.state.context.db.transaction() as session:
            return list(session.scalars(select(model)))


@pytest.fixture(scope="module")
def centre(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Centre]:
    path = tmp_path_factory.mktemp("crm") / "central.db"
    clock = FakeClock(FIXED_NOW)
    app = create_app(
        f"sqlite:///{path}",
        demo=True,
        terminals=TERMINALS,
        clock=clock,
        operator_tokens=[OPERATOR],
        crm=CrmSettings(channel_tokens=(CHANNEL,)),
    )
    with serve_in_thread(app) as server:
        yield Centre(server, path, clock, app)


@pytest.fixture(scope="module")
def visitor(centre: Centre) -> Visitor:
    kiosk = Kiosk(centre.server.base_url)
    kiosk.authenticate()
    card = kiosk.data("GET", "/v1/demo/cards")[0]
    return sign_in(kiosk, card)


@pytest.fixture
def kiosk(centre: Centre) -> Kiosk:
    kiosk = Kiosk(centre.server.base_url)
    assert kiosk.authenticate().status_code == 200
    return kiosk


def item(kind: str, payload: dict[str, Any], visitor: Visitor | None = None) -> dict[str, Any]:
    sent = {"idempotency_key": uuid.uuid4().hex, "kind": kind, "created_at": CREATED, "payload": payload}
    if visitor:
        sent["visit_ticket"] = visitor.ticket
    return sent


def send(kiosk: Kiosk, *items: dict[str, Any]) -> list[dict[str, Any]]:
    results: list[dict[str, Any]] = kiosk.data("POST", "/v1/intake/batch", json={"items": list(items)})[
        "results"
    ]
    return results


def touchpoint(event: str, **extra: Any) -> dict[str, Any]:
    return {
        "visit_id": "v" + uuid.uuid4().hex[:12],
        "channel": "kiosk",
        "event": event,
        "at": CREATED,
        **extra,
    }


def bad_rating(**extra: Any) -> dict[str, Any]:
    return {
        "score": 1,
        "detail_codes": ["slow", "not_solved"],
        "text": "",
        "channel": 5,
        "rating_round": 1,
        "rater_type": "individual",
        "service_code": "withdrawal",
        "visit_id": "v1",
        "case_ref": "C" + uuid.uuid4().hex[:12],
        "callback_phone": PHONE,
        **extra,
    }


def test_kiosk_items_land_in_their_tables_with_the_tickets_citizen(
    centre: Centre, kiosk: Kiosk, visitor: Visitor
) -> None:
    event = touchpoint(
        "service_completed", service="withdrawal", screen="withdrawal_confirm", duration_ms=4200
    )
    rating = bad_rating()
    complaint = {
        "category": "complaint",
        "topic": "self_service_kiosk",
        "text": "自助终端太慢",
        "contact_phone": PHONE,
    }
    items = [
        item("touchpoint_event", event, visitor),
        item("rating", rating, visitor),
        item("complaint_suggestion", complaint),
    ]
    results = send(kiosk, *items)
    assert [r["status"] for r in results] == ["accepted"] * 3
    assert results[2]["reference"] == readable(kiosk_code("KIOSK-DEMO-01", items[2]["idempotency_key"]))
    (stored,) = [t for t in centre.rows(Touchpoint) if t.visit_id == event["visit_id"]]
    assert (stored.citizen_ref, stored.hall, stored.service, stored.duration_ms) == (
        visitor.citizen_ref,
        "default",
        "withdrawal",
        4200,
    )
    assert stored.at_s == int(FIXED_NOW.timestamp()) and stored.day == 20261127
    (rated,) = [r for r in centre.rows(Rating) if r.case_ref == rating["case_ref"]]
    assert (rated.citizen_ref, rated.score, rated.reasons) == (visitor.citizen_ref, 1, "slow,not_solved")
    (filed,) = [c for c in centre.rows(Complaint) if c.reference == results[2]["reference"]]
    assert (filed.citizen_ref, filed.topic) == (None, "self_service_kiosk")


def test_a_bad_rating_opens_a_case_due_by_the_end_of_the_next_working_day(
    centre: Centre, kiosk: Kiosk
) -> None:
    rating = bad_rating()
    assert send(kiosk, item("rating", rating))[0]["status"] == "accepted"
    assert send(kiosk, item("rating", {**bad_rating(score=4, detail_codes=[])}))[0]["status"] == "accepted"
    cases = centre.operator("GET", "/v1/admin/cases?state=all").json()["data"]
    (case,) = [c for c in cases if c["case_ref"] == rating["case_ref"]]
    # Rated Friday 11:00 centre time: call back by the end of Monday, resolve by the end of the 15th
    # working day (Friday 18 December).
    assert case["callback_due"] == "2026-11-30T16:00:00Z"
    assert case["resolve_due"] == "2026-12-18T16:00:00Z"
    assert (case["state"], case["callback_phone"], case["reasons"]) == (
        "open",
        "139****5678",
        ["slow", "not_solved"],
    )
    assert len(centre.rows(FollowUpCase)) == len([c for c in cases])


def test_one_rating_per_case_and_round(kiosk: Kiosk) -> None:
    rating = bad_rating(score=5, detail_codes=[], callback_phone=None)
    assert send(kiosk, item("rating", rating))[0]["status"] == "accepted"
    again = send(kiosk, item("rating", {**rating, "score": 4}))[0]
    assert (again["status"], again["reason"]) == (
        "rejected",
        "payload field case_ref: this case is already rated in this round",
    )


def test_phones_are_encrypted_at_rest(centre: Centre, kiosk: Kiosk) -> None:
    send(kiosk, item("rating", bad_rating()))
    data = b"".join(p.read_bytes() for p in centre.path.parent.iterdir() if p.name.startswith("central.db"))
    # The intake's own copy of the payload keeps it masked; the CRM tables keep it encrypted.
    assert PHONE.encode() not in data
    assert all(r.phone_cipher is None or PHONE not in r.phone_cipher for r in centre.rows(Rating))


def test_cases_are_assigned_noted_called_back_and_closed(centre: Centre, kiosk: Kiosk) -> None:
    rating = bad_rating()
    send(kiosk, item("rating", rating))
    (case,) = [
        c
        for c in centre.operator("GET", "/v1/admin/cases").json()["data"]
        if c["case_ref"] == rating["case_ref"]
    ]
    path = f"/v1/admin/cases/{case['id']}"
    assert (
        centre.operator("POST", path + "/assign", json={"assignee": "staff.wang"}).json()["data"]["assignee"]
        == "staff.wang"
    )
    centre.operator("POST", path + "/notes", json={"text": "已致电未接通"})
    centre.clock.advance(hours=2)
    try:
        called = centre.operator("POST", path + "/callback", json={"text": "已回访"}).json()["data"]
        closed = centre.operator("POST", path + "/close", json={"resolution": "已加快审核"}).json()["data"]
    finally:
        centre.clock.now = FIXED_NOW
    assert called["callback_at"] == "2026-11-27T05:00:00Z"
    assert (closed["state"], closed["resolution"]) == ("closed", "已加快审核")
    assert [n["kind"] for n in closed["notes"]] == ["assign", "note", "callback", "close"]
    again = centre.operator("POST", path + "/notes", json={"text": "x"})
    assert (again.status_code, again.json()["code"]) == (409, "case_closed")
    assert case["id"] not in [
        c["id"] for c in centre.operator("GET", "/v1/admin/cases?state=open").json()["data"]
    ]


def test_overdue_lists_cases_past_their_callback_deadline(centre: Centre, kiosk: Kiosk) -> None:
    rating = bad_rating()
    send(kiosk, item("rating", rating))
    centre.clock.advance(days=4)  # Tuesday 11:00: Monday's callback deadline has passed
    try:
        overdue = centre.operator("GET", "/v1/admin/cases?state=overdue").json()["data"]
    finally:
        centre.clock.now = FIXED_NOW
    assert rating["case_ref"] in [c["case_ref"] for c in overdue]
    assert {c["state"] for c in overdue} == {"overdue"}


def test_the_customer_view_joins_channels_and_masks_the_profile(
    centre: Centre, kiosk: Kiosk, visitor: Visitor
) -> None:
    send(kiosk, item("touchpoint_event", touchpoint("signed_in"), visitor))
    web = {
        "source": "web-portal",
        "batch_id": uuid.uuid4().hex,
        "citizen_ref": visitor.citizen_ref,
        "events": [{**touchpoint("service_entered", service="deposits"), "channel": "web"}],
    }
    refused = requests.post(centre.server.base_url + "/v1/channels/touchpoints", json=web, timeout=10)
    assert (refused.status_code, refused.json()["code"]) == (401, "channel_unauthorised")
    answer = requests.post(
        centre.server.base_url + "/v1/channels/touchpoints",
        json=web,
        headers={"Authorization": f"Bearer {CHANNEL}"},
        timeout=10,
    )
    assert answer.json()["data"] == {"accepted": 1, "duplicate": False}
    response = centre.operator("GET", f"/v1/admin/customers/{visitor.citizen_ref}")
    data = response.json()["data"]
    assert {entry["channel"] for entry in data["timeline"]} >= {"kiosk", "web"}
    assert data["profile"]["id_number"] != visitor.id_number and "*" in data["profile"]["id_number"]
    assert visitor.id_number not in response.text and visitor.name not in response.text
    assert centre.operator("GET", "/v1/admin/customers/nobody").status_code == 404


def test_no_answer_shows_a_phone_unmasked(centre: Centre, kiosk: Kiosk) -> None:
    send(kiosk, item("rating", bad_rating()))
    for path in ("/v1/admin/cases?state=all", "/v1/admin/scorecard?from=2026-11-01&to=2026-11-30"):
        response = centre.operator("GET", path)
        assert response.status_code == 200 and PHONE not in response.text


def test_a_touchpoint_holding_an_id_number_anywhere_is_refused(kiosk: Kiosk) -> None:
    number = id_number(RNG)
    old = "120199" + "900307" + "123"  # the old 15-digit form: region, YYMMDD, sequence
    for field in ("visit_id", "screen", "detail"):
        for value in (number, "x" + number, old, number.lower()):
            result = send(kiosk, item("touchpoint_event", {**touchpoint("service_abandoned"), field: value}))[
                0
            ]
            assert result["status"] == "rejected", (field, value)
            assert result["reason"] == f"payload field {field}: Value error, {REFUSAL}"
            assert number not in result["reason"]
