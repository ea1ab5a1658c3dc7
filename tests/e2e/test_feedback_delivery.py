"""A visit's touchpoints and a bad rating, from the kiosk's visit flow through its real outbox and forwarder
to a real centre on loopback (database file), read back through the operators' endpoints: signed-in
touchpoints and the rating land under the citizen's pseudonym, anonymous ones under none, the rating
opens a follow-up case, and the callback phone never comes back in plain text."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from central_server.app import create_app
from central_server.testing import serve_in_thread
from kiosk.runtime import Runtime, build_runtime
from kiosk.services.citizen import CardHolder, SignIn
from kiosk.services.rating import query_case
from kiosk.settings import load_settings

TERMINAL_ID = "KIOSK-TEST-01"
SECRET = "test-secret-synthetic"
OPERATOR = "operator-token-synthetic"
PASSWORD = "123456"
PHONE = "13812345678"  # synthetic
MASKED_PHONE = "138****5678"
DELIVERY_TIMEOUT_S = 20


@dataclass(frozen=True)
class Centre:
    base_url: str
    database: Path

    def operator(self, path: str) -> Any:
        response = requests.get(
            f"{self.base_url}{path}", headers={"Authorization": f"Bearer {OPERATOR}"}, timeout=10
        )
        assert response.status_code == 200, response.text
        assert PHONE not in response.text
        return response.json()["data"]

    def touchpoints(self, visit_id: str) -> list[tuple[str, str | None]]:
        """(event, citizen_ref) of one visit as the centre stored them, in the order they happened."""
        with sqlite3.connect(f"file:{self.database}?mode=ro", uri=True) as db:
            rows = db.execute(
                "SELECT event, citizen_ref FROM crm_touchpoints WHERE visit_id = ? ORDER BY at_s, id",
                (visit_id,),
            )
            return [(event, ref) for event, ref in rows]


@pytest.fixture
def centre(tmp_path: Path) -> Iterator[Centre]:
    database = tmp_path / "centre.db"
    app = create_app(
        f"sqlite:///{database}", demo=True, terminals={TERMINAL_ID: SECRET}, operator_tokens=[OPERATOR]
    )
    with serve_in_thread(app) as server:
        yield Centre(server.base_url, database)


@pytest.fixture
def runtime(centre: Centre, kiosk_settings: Callable[..., Path]) -> Iterator[Runtime]:
    path = kiosk_settings()
    path.write_text(path.read_text(encoding="utf-8").replace("http://127.0.0.1:9", centre.base_url), "utf-8")
    runtime = build_runtime(load_settings(path))
    runtime.start_background_services()
    assert not runtime.problems, runtime.problems
    yield runtime
    runtime.stop().result(20)


def _delivered(runtime: Runtime) -> None:
    """Everything the visits queued has reached the centre (the feedback lane first, then the outbox)."""
    runtime.visit.touchpoints._worker.submit(lambda: None).result(5)
    outbox = runtime.outbox
    assert outbox is not None
    deadline = time.monotonic() + DELIVERY_TIMEOUT_S
    while outbox.waiting(("touchpoint_event", "rating")):
        assert time.monotonic() < deadline, "the forwarder did not deliver the feedback"
        time.sleep(0.05)


def test_touchpoints_and_a_bad_rating_reach_the_centre(runtime: Runtime, centre: Centre) -> None:
    visit = runtime.visit
    face = next(face for face in runtime.central.demo_cards() if face.status == "normal")

    # A signed-in visit: the overview, seen and left, then rated 非常不满意 with reasons and a phone.
    assert visit.card_placed(CardHolder(face.name, face.id_number, "resident", expired=False)) is None
    visit.choose("overview")
    assert visit.sign_in(PASSWORD).outcome is SignIn.OK
    visit.after_sign_in()
    citizen_ref = visit.citizen.citizen_ref
    signed_in_visit = visit.touchpoints.visit_id
    assert citizen_ref is not None and signed_in_visit is not None
    visit.leaving("overview")
    case = visit.rating.next_case()
    assert case == query_case("overview", signed_in_visit)
    visit.rating.rate(case, 1, ["slow", "not_solved"], PHONE)
    runtime.end_visit()

    # An anonymous visit: a tap, a service chosen, and Exit on the card screen (as the app says it).
    visit.begin()
    assert visit.choose("deposits") == "card"
    anonymous_visit = visit.touchpoints.visit_id
    assert anonymous_visit is not None
    visit.leaving("card")
    assert visit.rating.next_case() is None
    runtime.end_visit()
    _delivered(runtime)

    # Before the sign-in the visit had no ticket: those two events have no pseudonym, the rest have it.
    assert centre.touchpoints(signed_in_visit) == [
        ("visit_started", None),
        ("service_entered", None),
        ("signed_in", citizen_ref),
        ("service_completed", citizen_ref),
        ("visit_ended", citizen_ref),
    ]
    assert centre.touchpoints(anonymous_visit) == [
        ("visit_started", None),
        ("service_entered", None),
        ("service_abandoned", None),
        ("visit_ended", None),
    ]

    timeline = centre.operator(f"/v1/admin/customers/{citizen_ref}")["timeline"]
    assert sorted(entry["what"] for entry in timeline if entry["kind"] == "touchpoint") == [
        "service_completed", "signed_in", "visit_ended"
    ]
    (rated,) = [entry for entry in timeline if entry["kind"] == "rating"]
    assert (rated["what"], rated["service"], rated["reference"]) == ("score 1", "overview", case.case_ref)

    (opened,) = centre.operator("/v1/admin/cases?state=all")
    assert opened["state"] == "open"
    assert (opened["case_ref"], opened["service"], opened["terminal_id"]) == (
        case.case_ref, "overview", TERMINAL_ID
    )
    assert (opened["score"], opened["reasons"]) == (1, ["slow", "not_solved"])
    assert opened["callback_phone"] == MASKED_PHONE
    # Nor is it kept in plain text: not in the database file, nor its write-ahead log.
    for stored in centre.database.parent.glob(f"{centre.database.name}*"):
        assert PHONE.encode() not in stored.read_bytes(), stored.name
