"""Appointments end to end: a real server on loopback, its own database, a clock the tests move."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest

from central_server.app import DEFAULT_SEED, create_app
from central_server.testing import RunningServer, serve_in_thread

from .helpers import FIXED_NOW, LENIENT, TERMINALS, FakeClock, Kiosk, password_of, without_appointments

# FIXED_NOW is Friday 2026-11-27, 11:00 in the centre.
MONDAY = "2026-11-30"
# Two places a slot at SHILI (central_server/seed_services.py).
LOAN_AT_SHILI = {"business": "loan", "office": "SHILI"}


@pytest.fixture(scope="module")
def module_clock() -> FakeClock:
    return FakeClock(FIXED_NOW)


@pytest.fixture(scope="module")
def server(module_clock: FakeClock) -> Iterator[RunningServer]:
    app = create_app(terminals=TERMINALS, seed=DEFAULT_SEED, clock=module_clock, limits=LENIENT)
    with serve_in_thread(app) as running:
        yield running


@pytest.fixture
def clock(module_clock: FakeClock) -> Iterator[FakeClock]:
    yield module_clock
    module_clock.now = FIXED_NOW


@pytest.fixture(scope="module")
def cards(server: RunningServer) -> list[dict[str, Any]]:
    kiosk = Kiosk(server.base_url)
    kiosk.authenticate()
    # Demo cards are served in demo mode only; the demo server has the same seed and day.
    demo = create_app(demo=True, terminals=TERMINALS, clock=lambda: FIXED_NOW)
    with serve_in_thread(demo) as demo_server:
        demo_kiosk = Kiosk(demo_server.base_url)
        demo_kiosk.authenticate()
        listed: list[dict[str, Any]] = demo_kiosk.data("GET", "/v1/demo/cards")
    return listed


def signed_in(server: RunningServer, card: dict[str, Any]) -> Kiosk:
    kiosk = Kiosk(server.base_url)
    assert kiosk.authenticate().status_code == 200
    assert kiosk.login(card["id_number"], card["name"], password_of(card)).status_code == 200
    return kiosk


def book(kiosk: Kiosk, date: str, slot: str, where: dict[str, str] = LOAN_AT_SHILI) -> Any:
    return kiosk.call("POST", "/v1/citizen/appointments", json={**where, "date": date, "slot": slot})


def test_slots_start_after_now_skip_the_weekend_and_stop_at_the_horizon(
    server: RunningServer, cards: list[dict[str, Any]]
) -> None:
    kiosk = signed_in(server, cards[0])
    data = kiosk.data("GET", "/v1/citizen/appointments/slots?business=withdrawal&office=YANGLI")
    dates = [day["date"] for day in data["days"]]
    assert dates[0] == "2026-11-27" and dates[1] == MONDAY  # Saturday and Sunday are not offered
    assert dates[-1] == "2026-12-10"  # today and the 13 days after it
    assert data["days"][0]["slots"][0] == {"slot": "11:30-12:00", "places_left": 4}
    assert len(data["days"][1]["slots"]) == 13
    last = kiosk.data(
        "GET", "/v1/citizen/appointments/slots?business=withdrawal&office=YANGLI&from=2026-12-10"
    )
    assert [day["date"] for day in last["days"]] == ["2026-12-10"]


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("business=withdrawal&office=SHILI&from=2026-11-26", "bad_request"),
        ("business=withdrawal&office=SHILI&from=2026-02-30", "bad_request"),
        ("business=withdrawal&office=SHILI&days=15", "bad_request"),
        ("business=nothing&office=SHILI", "not_bookable"),
        ("business=transfer&office=SHILI", "not_bookable"),  # pre-registered only
        ("business=loan&office=CESHI", "not_bookable"),  # not handled there
    ],
)
def test_slot_queries_the_centre_cannot_answer(
    server: RunningServer, cards: list[dict[str, Any]], query: str, code: str
) -> None:
    response = signed_in(server, cards[0]).call("GET", f"/v1/citizen/appointments/slots?{query}")
    assert response.json()["code"] == code


def test_slots_need_a_citizen_session(server: RunningServer) -> None:
    kiosk = Kiosk(server.base_url)
    kiosk.authenticate()
    response = kiosk.call("GET", "/v1/citizen/appointments/slots?business=loan&office=SHILI")
    assert response.json()["code"] == "session_expired"


def test_booking_listing_and_cancelling(server: RunningServer, cards: list[dict[str, Any]]) -> None:
    kiosk = signed_in(server, cards[1])
    booked = book(kiosk, "2026-12-01", "14:00-14:30")
    assert booked.status_code == 200, booked.text
    appointment = booked.json()["data"]
    assert appointment["state"] == "booked"
    assert appointment["call_number"][0] == "B" and appointment["call_number"][1:].isdigit()
    assert kiosk.data("GET", "/v1/citizen/appointments") == [appointment]
    slots = kiosk.data(
        "GET", "/v1/citizen/appointments/slots?business=loan&office=SHILI&from=2026-12-01&days=1"
    )
    assert {"slot": "14:00-14:30", "places_left": 1} in slots["days"][0]["slots"]

    again = book(kiosk, "2026-12-02", "09:00-09:30")
    assert again.status_code == 409 and again.json()["code"] == "appointment_limit"

    cancelled = kiosk.data("DELETE", f"/v1/citizen/appointments/{appointment['booking_id']}")
    assert cancelled["state"] == "cancelled"
    slots = kiosk.data(
        "GET", "/v1/citizen/appointments/slots?business=loan&office=SHILI&from=2026-12-01&days=1"
    )
    assert {"slot": "14:00-14:30", "places_left": 2} in slots["days"][0]["slots"]
    twice = kiosk.call("DELETE", f"/v1/citizen/appointments/{appointment['booking_id']}")
    assert twice.json()["code"] == "cancel_refused"
    # Cancelled, it no longer holds the citizen's one appointment for the business; the number is new.
    rebooked = book(kiosk, "2026-12-01", "14:00-14:30").json()["data"]
    assert rebooked["call_number"] != appointment["call_number"]


def test_only_the_citizens_own_appointment_can_be_cancelled(
    server: RunningServer, cards: list[dict[str, Any]]
) -> None:
    free = without_appointments(server.base_url, cards, 2)
    owner = signed_in(server, free[0])
    booking_id = book(owner, "2026-12-03", "10:00-10:30").json()["data"]["booking_id"]
    other = signed_in(server, free[1])
    response = other.call("DELETE", f"/v1/citizen/appointments/{booking_id}")
    assert response.status_code == 404 and response.json()["code"] == "not_found"
    assert [row["state"] for row in owner.data("GET", "/v1/citizen/appointments")] == ["booked"]


def test_an_appointment_that_has_begun_cannot_be_cancelled_and_frees_the_limit(
    server: RunningServer, cards: list[dict[str, Any]], clock: FakeClock
) -> None:
    kiosk = signed_in(server, cards[4])
    booking_id = book(kiosk, "2026-11-27", "11:30-12:00").json()["data"]["booking_id"]
    clock.advance(minutes=30)  # 11:30, the slot begins
    assert kiosk.login(cards[4]["id_number"], cards[4]["name"], password_of(cards[4])).status_code == 200
    response = kiosk.call("DELETE", f"/v1/citizen/appointments/{booking_id}")
    assert response.status_code == 409 and response.json()["code"] == "cancel_refused"
    assert kiosk.data("GET", "/v1/citizen/appointments")[0]["state"] == "past"
    assert book(kiosk, MONDAY, "09:00-09:30").status_code == 200


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"slot": "12:00-12:30"}, "not_bookable"),  # lunch
        ({"slot": "09:15-09:45"}, "not_bookable"),
        ({"date": "2026-11-28"}, "not_bookable"),  # Saturday
        ({"date": "2026-12-11"}, "not_bookable"),  # beyond the horizon
        ({"date": "2026-11-27", "slot": "10:30-11:00"}, "not_bookable"),  # begun
        ({"date": 20261130}, "bad_request"),
        ({"date": "2026-11-31"}, "bad_request"),
        ({"office": ["SHILI"]}, "bad_request"),
        ({"seat": 1}, "bad_request"),
    ],
)
def test_bookings_the_centre_refuses(
    server: RunningServer, cards: list[dict[str, Any]], change: dict[str, Any], code: str
) -> None:
    body = {**LOAN_AT_SHILI, "date": MONDAY, "slot": "15:00-15:30", **change}
    response = signed_in(server, cards[5]).call("POST", "/v1/citizen/appointments", json=body)
    assert response.json()["code"] == code, response.text


def test_two_places_go_to_exactly_two_of_many_kiosks_booking_at_once(
    server: RunningServer, cards: list[dict[str, Any]]
) -> None:
    contenders = [signed_in(server, card) for card in without_appointments(server.base_url, cards, 16)]
    start = threading.Barrier(len(contenders))
    codes: list[str] = []

    def attempt(kiosk: Kiosk) -> None:
        start.wait()
        codes.append(book(kiosk, "2026-12-04", "16:30-17:00").json()["code"])

    threads = [threading.Thread(target=attempt, args=(kiosk,)) for kiosk in contenders]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(codes) == ["ok", "ok"] + ["slot_full"] * (len(contenders) - 2)
    numbers = set()
    for kiosk in contenders:
        for row in kiosk.data("GET", "/v1/citizen/appointments"):
            numbers.add(row["call_number"])
    assert len(numbers) == 2
    day = contenders[0].data(
        "GET", "/v1/citizen/appointments/slots?business=loan&office=SHILI&from=2026-12-04&days=1"
    )["days"][0]
    assert {"slot": "16:30-17:00", "places_left": 0} in day["slots"]


def test_today_is_the_centres_day(
    server: RunningServer, cards: list[dict[str, Any]], clock: FakeClock
) -> None:
    clock.now = FIXED_NOW.replace(hour=23, minute=30)  # Friday in UTC, Saturday 07:30 in the centre
    kiosk = signed_in(server, cards[7])
    data = kiosk.data("GET", "/v1/citizen/appointments/slots?business=withdrawal&office=CESHI&days=2")
    assert data["days"] == []
    assert (
        book(kiosk, "2026-11-27", "16:30-17:00", {"business": "withdrawal", "office": "CESHI"}).json()["code"]
        == "not_bookable"
    )
