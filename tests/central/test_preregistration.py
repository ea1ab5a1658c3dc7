"""Pre-registration: what the intake records (apply_pre_registration, called directly on the server's real
SQLite file) and what a counter system sees of it over HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from fastapi import FastAPI
from sqlalchemy import func, select

from central_server.app import DEFAULT_SEED, create_app
from central_server.db import Database
from central_server.models import Citizen
from central_server.preregistration import (
    PreRegistrationRecord,
    Refused,
    Registered,
    apply_pre_registration,
)
from central_server.testing import RunningServer, serve_in_thread
from kiosk.transaction_numbers import kiosk_code, readable

from .helpers import FIXED_NOW, TERMINALS, FakeClock

COUNTER_TOKEN = "counter-secret-not-for-production"
TERMINAL = "KIOSK-DEMO-01"


@pytest.fixture(scope="module")
def module_clock() -> FakeClock:
    return FakeClock(FIXED_NOW)


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory, module_clock: FakeClock) -> FastAPI:
    path: Path = tmp_path_factory.mktemp("centre") / "centre.db"
    return create_app(
        f"sqlite:///{path}",
        terminals=TERMINALS,
        seed=DEFAULT_SEED,
        clock=module_clock,
        counter_tokens=[COUNTER_TOKEN],
    )


@pytest.fixture(scope="module")
def server(app: FastAPI) -> Iterator[RunningServer]:
    with serve_in_thread(app) as running:
        yield running


@pytest.fixture
def db(app: FastAPI) -> Database:
    database: Database = app.state.context.db
    return database


@pytest.fixture
def clock(module_clock: FakeClock) -> Iterator[FakeClock]:
    yield module_clock
    module_clock.now = FIXED_NOW


def citizen_at(db: Database, index: int) -> Citizen:
    with db.transaction() as session:
        return session.scalars(select(Citizen).order_by(Citizen.id).offset(index).limit(1)).one()


def payload_of(citizen: Citizen, business_code: str = "withdrawal", note: str = "") -> dict[str, Any]:
    return {
        "id_number": citizen.id_number,
        "name": citizen.name,
        "business_code": business_code,
        "note": note,
    }


def apply(
    db: Database,
    citizen: Citizen,
    payload: dict[str, Any],
    key: str,
    taken_at: datetime = FIXED_NOW,
    now: datetime = FIXED_NOW,
) -> Registered | Refused:
    with db.transaction() as session:
        return apply_pre_registration(
            session, citizen, payload, terminal_id=TERMINAL, idempotency_key=key, taken_at=taken_at, now=now
        )


def counter(server: RunningServer, method: str, path: str, token: str = COUNTER_TOKEN) -> requests.Response:
    return requests.request(
        method, server.base_url + path, headers={"Authorization": f"Bearer {token}"}, timeout=10
    )


def test_the_code_is_the_one_the_kiosk_derived(db: Database) -> None:
    citizen = citizen_at(db, 0)
    outcome = apply(db, citizen, payload_of(citizen, note="带齐材料"), "prereg-key-0001")
    assert outcome == Registered(kiosk_code(TERMINAL, "prereg-key-0001"), FIXED_NOW.date() + timedelta(7))
    # The same item applied again keeps its code and makes no second record.
    assert apply(db, citizen, payload_of(citizen, note="带齐材料"), "prereg-key-0001") == outcome
    with db.transaction() as session:
        count = session.scalar(
            select(func.count())
            .select_from(PreRegistrationRecord)
            .where(PreRegistrationRecord.code == outcome.code)
        )
    assert count == 1


@pytest.mark.parametrize(
    ("business_code", "reason"),
    [
        ("nothing", "payload field business_code: no business type nothing"),
        ("details_change", "payload field business_code: business details_change is not pre-registered"),
    ],
)
def test_businesses_that_cannot_be_pre_registered(db: Database, business_code: str, reason: str) -> None:
    citizen = citizen_at(db, 1)
    assert apply(db, citizen, payload_of(citizen, business_code), "prereg-key-0002") == Refused(reason)


def test_the_payload_must_name_the_visits_citizen(db: Database) -> None:
    citizen, other = citizen_at(db, 2), citizen_at(db, 3)
    outcome = apply(db, citizen, payload_of(other), "prereg-key-0003")
    assert outcome == Refused("payload fields id_number and name: not the citizen of this visit")
    assert other.id_number not in outcome.reason and other.name not in outcome.reason


def test_an_item_that_arrives_after_its_code_expired_is_refused(db: Database) -> None:
    citizen = citizen_at(db, 4)
    outcome = apply(db, citizen, payload_of(citizen), "prereg-key-0004", now=FIXED_NOW + timedelta(days=8))
    assert isinstance(outcome, Refused) and "2026-12-04" in outcome.reason


def test_a_code_held_by_another_pre_registration_is_refused_clearly(db: Database) -> None:
    citizen = citizen_at(db, 5)
    code = kiosk_code(TERMINAL, "prereg-key-0005")
    with db.transaction() as session:
        # Another transaction whose key hashed to the same code.
        session.add(
            PreRegistrationRecord(
                code=code,
                citizen_id=citizen.id,
                business_code="loan",
                note="",
                terminal_id="KIOSK-DEMO-02",
                idempotency_key="other-key-0005",
                taken_at=FIXED_NOW,
                valid_until=FIXED_NOW.date(),
                state="waiting",
                done_at=None,
            )
        )
    outcome = apply(db, citizen, payload_of(citizen), "prereg-key-0005")
    assert isinstance(outcome, Refused) and readable(code) in outcome.reason


def test_a_counter_sees_the_citizen_and_marks_it_done(db: Database, server: RunningServer) -> None:
    citizen = citizen_at(db, 6)
    outcome = apply(db, citizen, payload_of(citizen, "loan", "二手房"), "prereg-key-0006")
    assert isinstance(outcome, Registered)
    typed = readable(outcome.code).lower().replace("-", "")
    found = counter(server, "GET", f"/v1/counter/pre-registrations/{typed}").json()["data"]
    assert found["code"] == readable(outcome.code)
    assert found["state"] == "waiting"
    assert (found["name"], found["id_number"]) == (citizen.name, citizen.id_number)
    assert found["business"]["code"] == "loan" and found["business"]["materials_zh"]
    assert found["note"] == "二手房" and found["valid_until"] == "2026-12-04"

    done = counter(server, "POST", f"/v1/counter/pre-registrations/{outcome.code}/done")
    assert done.status_code == 200 and done.json()["data"]["state"] == "done"
    again = counter(server, "POST", f"/v1/counter/pre-registrations/{outcome.code}/done")
    assert again.status_code == 409 and again.json()["code"] == "pre_registration_closed"


def test_an_expired_code_cannot_be_handled(db: Database, server: RunningServer, clock: FakeClock) -> None:
    citizen = citizen_at(db, 7)
    outcome = apply(db, citizen, payload_of(citizen), "prereg-key-0007")
    assert isinstance(outcome, Registered)
    clock.now = datetime(2026, 12, 4, 15, 59, tzinfo=UTC)  # 23:59 on its last valid day
    assert counter(server, "GET", f"/v1/counter/pre-registrations/{outcome.code}").json()["data"][
        "state"
    ] == ("waiting")
    clock.advance(minutes=1)
    assert counter(server, "GET", f"/v1/counter/pre-registrations/{outcome.code}").json()["data"][
        "state"
    ] == ("expired")
    response = counter(server, "POST", f"/v1/counter/pre-registrations/{outcome.code}/done")
    assert response.json()["code"] == "pre_registration_closed"


@pytest.mark.parametrize(
    ("token", "path", "code"),
    [
        ("wrong", "/v1/counter/pre-registrations/ABCD-EFGH", "counter_unauthorised"),
        (COUNTER_TOKEN, "/v1/counter/pre-registrations/ABCD-EFGH", "not_found"),
        (COUNTER_TOKEN, "/v1/counter/pre-registrations/ABCD-EFG0", "bad_request"),
        (COUNTER_TOKEN, "/v1/counter/pre-registrations/ABCD-EFGH/done", "not_found"),
    ],
)
def test_counter_requests_the_centre_refuses(server: RunningServer, token: str, path: str, code: str) -> None:
    method = "POST" if path.endswith("/done") else "GET"
    assert counter(server, method, path, token).json()["code"] == code


def test_without_counter_tokens_every_counter_is_refused() -> None:
    app = create_app(terminals=TERMINALS)
    with serve_in_thread(app) as running:
        response = counter(running, "GET", "/v1/counter/pre-registrations/ABCD-EFGH", "")
    assert response.status_code == 401 and response.json()["code"] == "counter_unauthorised"
