"""POST /v1/terminal/help-requests: a kiosk calls staff; the call is stored with the kiosk, the screen and
the time only, listed for the console, acknowledged and done; a kiosk has one open call at a time."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import func, select

from central_server import help_requests
from central_server.app import create_app
from central_server.help_requests import HelpRequest, NotOpen
from central_server.testing import RunningServer, serve_in_thread

from .helpers import FIXED_NOW, TERMINALS, FakeClock, Kiosk

AT = "2026-11-27T11:00:05+08:00"


@pytest.fixture
def centre() -> Iterator[tuple[RunningServer, Any, FakeClock]]:
    """A centre of its own (no seed: calls of other tests do not mix in)."""
    clock = FakeClock(FIXED_NOW)
    app = create_app(terminals=TERMINALS, clock=clock)
    with serve_in_thread(app) as server:
        yield server, app.state.context, clock


def kiosk_at(server: RunningServer, terminal_id: str = "KIOSK-DEMO-01") -> Kiosk:
    kiosk = Kiosk(server.base_url, terminal_id)
    assert kiosk.authenticate().status_code == 200
    return kiosk


def body(kiosk: Kiosk, screen: str = "withdrawal", **extra: Any) -> dict[str, Any]:
    return {"terminal_id": kiosk.terminal_id, "screen": screen, "at": AT, **extra}


def stored(context: Any) -> list[HelpRequest]:
    with context.db.transaction() as session:
        return list(session.scalars(select(HelpRequest).order_by(HelpRequest.id)))


def test_a_call_needs_a_terminal_token(centre: tuple[RunningServer, Any, FakeClock]) -> None:
    server, context, _ = centre
    kiosk = Kiosk(server.base_url)  # not authenticated
    response = kiosk.call("POST", "/v1/terminal/help-requests", json=body(kiosk))
    assert response.status_code == 401 and response.json()["code"] == "terminal_unauthorised"
    assert stored(context) == []


def test_a_call_is_stored_and_listed_as_open(centre: tuple[RunningServer, Any, FakeClock]) -> None:
    server, context, _ = centre
    kiosk = kiosk_at(server)
    response = kiosk.call("POST", "/v1/terminal/help-requests", json=body(kiosk, "withdrawal_amount"))
    assert response.status_code == 200, response.text
    data = response.json()["data"]
    assert data["terminal_id"] == "KIOSK-DEMO-01" and data["screen"] == "withdrawal_amount"
    assert data["status"] == "open" and data["calls"] == 1 and data["already_open"] is False
    assert data["at"].startswith("2026-11-27T03:00:05") and data["received_at"].startswith(
        "2026-11-27T03:00:00"
    )
    with context.db.transaction() as session:
        listed = help_requests.open_requests(session)
        assert [(r.id, r.terminal_id, r.screen, r.status) for r in listed] == [
            (data["id"], "KIOSK-DEMO-01", "withdrawal_amount", "open")
        ]


def test_a_second_tap_returns_the_open_call(centre: tuple[RunningServer, Any, FakeClock]) -> None:
    server, context, clock = centre
    first, other = kiosk_at(server), kiosk_at(server, "KIOSK-DEMO-02")
    one = first.data("POST", "/v1/terminal/help-requests", json=body(first))
    clock.advance(seconds=30)
    again = first.data("POST", "/v1/terminal/help-requests", json=body(first, "home"))
    assert again["id"] == one["id"] and again["already_open"] is True and again["calls"] == 2
    assert again["screen"] == "withdrawal"  # the first tap's screen: where the citizen asked first
    theirs = other.data("POST", "/v1/terminal/help-requests", json=body(other))
    assert theirs["id"] != one["id"] and theirs["already_open"] is False
    rows = stored(context)
    assert len(rows) == 2 and rows[0].last_call_at - rows[0].received_at == 30


def test_taps_at_the_same_moment_make_one_call(centre: tuple[RunningServer, Any, FakeClock]) -> None:
    server, context, _ = centre
    kiosks = [kiosk_at(server) for _ in range(6)]
    answers: list[dict[str, Any]] = []
    start = threading.Barrier(len(kiosks))

    def tap(kiosk: Kiosk) -> None:
        start.wait()
        answers.append(kiosk.data("POST", "/v1/terminal/help-requests", json=body(kiosk)))

    threads = [threading.Thread(target=tap, args=(k,)) for k in kiosks]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({a["id"] for a in answers}) == 1
    assert sorted(a["already_open"] for a in answers) == [False] + [True] * 5
    assert len(stored(context)) == 1 and stored(context)[0].calls == 6


@pytest.mark.parametrize(
    "extra",
    [
        {"id_number": "110101199003070000"},
        {"name": "张三"},
        {"card_number": "6222020200000000000"},
        {"note": "anything"},
    ],
)
def test_no_other_field_is_accepted(
    centre: tuple[RunningServer, Any, FakeClock], extra: dict[str, str]
) -> None:
    server, context, _ = centre
    kiosk = kiosk_at(server)
    response = kiosk.call("POST", "/v1/terminal/help-requests", json=body(kiosk, **extra))
    assert response.status_code == 400 and response.json()["code"] == "bad_request"
    assert stored(context) == []


@pytest.mark.parametrize("screen", ["张三", "Withdrawal", "home page", "a" * 41, "", "110101199003070000"])
def test_the_screen_is_a_screen_name_not_free_text(
    centre: tuple[RunningServer, Any, FakeClock], screen: str
) -> None:
    server, context, _ = centre
    kiosk = kiosk_at(server)
    response = kiosk.call("POST", "/v1/terminal/help-requests", json=body(kiosk, screen))
    assert response.status_code == 400 and response.json()["code"] == "bad_request"
    assert stored(context) == []


def test_a_naive_time_or_another_kiosks_id_is_refused(centre: tuple[RunningServer, Any, FakeClock]) -> None:
    server, context, _ = centre
    kiosk = kiosk_at(server)
    naive = kiosk.call(
        "POST", "/v1/terminal/help-requests", json={**body(kiosk), "at": "2026-11-27T11:00:05"}
    )
    assert naive.status_code == 400
    other = kiosk.call(
        "POST", "/v1/terminal/help-requests", json={**body(kiosk), "terminal_id": "KIOSK-DEMO-02"}
    )
    assert other.status_code == 400 and "terminal_id" in other.json()["message"]
    assert stored(context) == []


def test_acknowledged_then_done_and_the_kiosk_may_call_again(
    centre: tuple[RunningServer, Any, FakeClock],
) -> None:
    server, context, _ = centre
    kiosk = kiosk_at(server)
    first = kiosk.data("POST", "/v1/terminal/help-requests", json=body(kiosk))
    with context.db.transaction() as session:
        help_requests.acknowledge(session, first["id"], "operator.test", 100)
    with context.db.transaction() as session, pytest.raises(NotOpen):
        help_requests.acknowledge(session, first["id"], "someone.else", 101)
    # Acknowledged is still open: staff are on the way, another tap joins the same call.
    again = kiosk.data("POST", "/v1/terminal/help-requests", json=body(kiosk))
    assert again["id"] == first["id"] and again["status"] == "acknowledged"
    with context.db.transaction() as session:
        help_requests.finish(session, first["id"], "operator.test", 200)
        assert help_requests.open_requests(session) == []
    with context.db.transaction() as session, pytest.raises(NotOpen):
        help_requests.finish(session, first["id"], "operator.test", 201)
    later = kiosk.data("POST", "/v1/terminal/help-requests", json=body(kiosk))
    assert later["id"] != first["id"] and later["already_open"] is False
    rows = stored(context)
    assert [(r.status, r.acknowledged_by, r.done_by) for r in rows] == [
        ("done", "operator.test", "operator.test"),
        ("open", None, None),
    ]
    with context.db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(HelpRequest)) == 2
