"""Instants keep their offset (stored in UTC), need one, and must be plausible; so must appointment dates."""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.exc import StatementError

from central_server.app import DEFAULT_SEED, create_app
from central_server.models import IntakeRecord
from central_server.testing import serve_in_thread
from tests.offline_queue.synthetic import id_number, rating

from .helpers import TERMINALS, FakeClock, Kiosk
from .test_intake import PATH, intake_item, stored
from .visits import issued_at

# The centre's clock in this module: 20:00 on 29 November 2026 in the centre (UTC+8).
NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
RNG = random.Random(59)


@pytest.fixture(scope="module")
def app() -> FastAPI:
    return create_app(terminals=TERMINALS, clock=FakeClock(NOW), seed=DEFAULT_SEED)


@pytest.fixture(scope="module")
def kiosk(app: FastAPI) -> Iterator[Kiosk]:
    with serve_in_thread(app) as server:
        kiosk = Kiosk(server.base_url)
        assert kiosk.authenticate().status_code == 200
        yield kiosk


def _send(kiosk: Kiosk, *items: dict[str, Any]) -> list[dict[str, Any]]:
    results: list[dict[str, Any]] = kiosk.data("POST", PATH, json={"items": list(items)})["results"]
    return results


def _touchpoint(at: str) -> dict[str, Any]:
    return {"visit_id": "v1", "channel": "kiosk", "event": "visit_started", "screen": "home", "at": at}


def test_the_same_wall_time_in_two_offsets_is_stored_eight_hours_apart(kiosk: Kiosk, app: FastAPI) -> None:
    east, utc = "2026-11-29T10:00:00+08:00", "2026-11-29T10:00:00+00:00"
    items = [intake_item("touchpoint_event", _touchpoint(at), created_at=at) for at in (east, utc)]
    assert [r["status"] for r in _send(kiosk, *items)] == ["accepted", "accepted"]
    first, second = (stored(app, item["idempotency_key"]) for item in items)
    assert first.kiosk_created_at == datetime(2026, 11, 29, 2, 0, tzinfo=UTC)
    assert second.kiosk_created_at == datetime(2026, 11, 29, 10, 0, tzinfo=UTC)
    with app.state.context.db.transaction() as session:
        on_disk = session.execute(
            text("SELECT kiosk_created_at FROM intake_records WHERE idempotency_key = :key"),
            {"key": items[0]["idempotency_key"]},
        ).scalar_one()
    assert on_disk.startswith("2026-11-29 02:00:00")
    assert [json.loads(record.payload or "")["at"] for record in (first, second)] == [
        "2026-11-29T02:00:00Z",
        "2026-11-29T10:00:00Z",
    ]


def test_the_table_refuses_a_naive_instant(app: FastAPI) -> None:
    record = IntakeRecord(
        terminal_id="KIOSK-DEMO-01",
        idempotency_key=uuid.uuid4().hex,
        kind="rating",
        status="accepted",
        payload_digest="0" * 64,
        kiosk_created_at=datetime(2026, 11, 29, 10, 0),
        received_at=int(NOW.timestamp()),
    )
    with pytest.raises(StatementError, match="naive datetime"), app.state.context.db.transaction() as session:
        session.add(record)


def test_an_instant_without_an_offset_rejects_its_item_only(kiosk: Kiosk) -> None:
    naive_created = intake_item("rating", rating(RNG), created_at="2026-11-29T10:00:00")
    naive_at = intake_item("touchpoint_event", _touchpoint("2026-11-29T10:00:00"))
    fine = intake_item("rating", rating(RNG))
    results = _send(kiosk, naive_created, naive_at, fine)
    assert [(r["status"], r["reason"]) for r in results] == [
        ("rejected", "created_at: Input should have timezone info"),
        ("rejected", "payload field at: Input should have timezone info"),
        ("accepted", None),
    ]


@pytest.mark.parametrize(
    ("created_at", "reason"),
    [
        ("0001-01-01T00:00:00+08:00", "before 2000-01-01"),
        ("1999-12-31T23:59:59+00:00", "before 2000-01-01"),
        ("9999-12-31T23:59:59-08:00", "more than a day ahead of the centre's clock"),
        ((NOW + timedelta(days=1, seconds=1)).isoformat(), "more than a day ahead of the centre's clock"),
        ("2026-11-29", "Input should be an ISO 8601 date and time"),
        ("yesterday", "Input should be an ISO 8601 date and time"),
    ],
)
def test_an_absurd_created_at_is_refused_naming_it(kiosk: Kiosk, created_at: str, reason: str) -> None:
    (result,) = _send(kiosk, intake_item("rating", rating(RNG), created_at=created_at))
    assert result["status"] == "rejected"
    assert result["reason"] in (f"created_at: {reason}", f"created_at: Value error, {reason}")


@pytest.mark.parametrize("at", ["0001-01-01T00:00:00Z", "9999-12-31T23:59:59+14:00", "2027-06-01T00:00:00Z"])
def test_an_absurd_instant_in_a_payload_is_refused_naming_its_field(kiosk: Kiosk, at: str) -> None:
    (result,) = _send(kiosk, intake_item("touchpoint_event", _touchpoint(at)))
    assert result["status"] == "rejected" and result["reason"].startswith("payload field at: Value error, ")


def test_the_window_of_instants_is_inclusive(kiosk: Kiosk, app: FastAPI) -> None:
    earliest = intake_item("rating", rating(RNG), created_at="2000-01-01T08:00:00+08:00")
    latest = intake_item("rating", rating(RNG), created_at=(NOW + timedelta(days=1)).isoformat())
    assert [r["status"] for r in _send(kiosk, earliest, latest)] == ["accepted", "accepted"]
    assert stored(app, earliest["idempotency_key"]).kiosk_created_at == datetime(2000, 1, 1, tzinfo=UTC)


# 01:00 on 27 November in the centre, still 26 November in UTC: the appointment window starts on the 27th.
TAKEN_AT = "2026-11-26T17:00:00+00:00"


def _appointment(app: FastAPI, date: str) -> dict[str, Any]:
    payload = {
        "id_number": id_number(RNG),
        "name": "赵测试",
        "business_code": "WD01",
        "office": "HP01",
        "date": date,
        "slot": "09:00-09:30",
    }
    # Taken during a visit that began then, days before the centre's clock: the ticket still covers it.
    visitor = issued_at(app, "KIOSK-DEMO-01", datetime.fromisoformat(TAKEN_AT))
    return intake_item("appointment", payload, created_at=TAKEN_AT, visitor=visitor)


@pytest.mark.parametrize("date", ["2026-11-27", "2027-02-25"])
def test_an_appointment_is_taken_from_its_day_to_the_horizon(kiosk: Kiosk, app: FastAPI, date: str) -> None:
    assert _send(kiosk, _appointment(app, date))[0]["status"] == "accepted"


@pytest.mark.parametrize("date", ["0001-01-01", "9999-12-31", "2026-11-26", "2027-02-26"])
def test_an_appointment_outside_the_horizon_is_refused_naming_the_date(
    kiosk: Kiosk, app: FastAPI, date: str
) -> None:
    (result,) = _send(kiosk, _appointment(app, date))
    assert result["status"] == "rejected"
    assert result["reason"] == (
        "payload field date: Value error, must be from the day it was taken (created_at, centre time) "
        "to 90 days after"
    )
