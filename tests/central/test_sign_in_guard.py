"""Sign-in limits per terminal, the signal a terminal leaves when it fails against many citizens, and
answers for unknown citizens that take as long as for known ones. Each test has a server of its own, on a
copy of one seeded database, so its failures count for it alone."""

from __future__ import annotations

import shutil
import statistics
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import select, update

from central_server.app import create_app
from central_server.idnumbers import check_char
from central_server.limits import Limits
from central_server.models import Citizen
from central_server.security import hash_password
from central_server.sign_in_guard import SignInSignal
from central_server.testing import RunningServer, serve_in_thread

from .helpers import FIXED_NOW, TERMINALS, FakeClock, Kiosk, password_of

WRONG = "000000"
Start = Callable[..., tuple[RunningServer, FakeClock, FastAPI]]


@pytest.fixture
def start(seeded_file: Path, tmp_path: Path) -> Iterator[Start]:
    servers: list[RunningServer] = []

    def start(**limits: int) -> tuple[RunningServer, FakeClock, FastAPI]:
        path = tmp_path / f"central-{len(servers)}.db"
        shutil.copy(seeded_file, path)
        clock = FakeClock(FIXED_NOW)
        app = create_app(f"sqlite:///{path}", terminals=TERMINALS, clock=clock, limits=Limits(**limits))
        servers.append(serve_in_thread(app))
        return servers[-1], clock, app

    yield start
    for server in servers:
        server.stop()


def _pairs(cards: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(card["id_number"], card["name"]) for card in cards if password_of(card) == "123456"]


def _unknown_pair(cards: list[dict[str, Any]], day: int) -> tuple[str, str]:
    body = f"120199198001{day:02d}999"
    assert body + check_char(body) not in {card["id_number"] for card in cards}
    return body + check_char(body), "张测试"


def test_a_terminal_with_too_many_failed_sign_ins_is_rate_limited(
    start: Start, cards: list[dict[str, Any]]
) -> None:
    server, clock, _app = start(sign_in_failures_per_terminal=4, sign_in_window_s=600)
    first, second, third = _pairs(cards)[:3]
    kiosk = Kiosk(server.base_url, "KIOSK-DEMO-01")
    kiosk.authenticate()
    for pair in (first, first, second, second):
        assert kiosk.login(*pair, WRONG).json()["code"] == "sign_in_failed"
    refused = kiosk.login(*third)  # the right password: the terminal is not asked about it now
    assert (refused.status_code, refused.json()["code"]) == (429, "rate_limited")
    assert refused.json()["data"] == {"retry_after": 600}
    assert kiosk.session_token is None

    other = Kiosk(server.base_url, "KIOSK-DEMO-02")
    other.authenticate()
    assert other.login(*third).status_code == 200

    clock.advance(seconds=599)
    assert kiosk.login(*third).json()["data"] == {"retry_after": 1}
    clock.advance(seconds=1)
    assert kiosk.login(*third).status_code == 200


def test_a_terminal_failing_against_many_citizens_leaves_a_signal(
    start: Start, cards: list[dict[str, Any]]
) -> None:
    server, clock, app = start(signal_distinct_pairs=3, sign_in_window_s=600)
    pairs = _pairs(cards)
    forgetful = Kiosk(server.base_url, "KIOSK-DEMO-02")
    forgetful.authenticate()
    for _ in range(3):
        forgetful.login(*pairs[0], WRONG)  # one citizen who forgot the password: no signal

    walker = Kiosk(server.base_url, "KIOSK-DEMO-01")
    walker.authenticate()
    for pair in (pairs[1], pairs[2], pairs[2], _unknown_pair(cards, 1)):
        assert walker.login(*pair, WRONG).json()["code"] == "sign_in_failed"
    clock.advance(seconds=30)
    walker.login(*pairs[3], WRONG)

    with app.state.context.db.transaction() as session:
        signals = [
            (
                row.terminal_id,
                row.window_start,
                row.window_s,
                row.failures,
                row.distinct_pairs,
                row.last_failure_at,
            )
            for row in session.scalars(select(SignInSignal))
        ]
    now = int(FIXED_NOW.timestamp())
    assert signals == [("KIOSK-DEMO-01", now - now % 600, 600, 5, 4, now + 30)]


def test_an_unknown_citizen_takes_as_long_to_refuse_as_a_known_one(
    start: Start, cards: list[dict[str, Any]]
) -> None:
    """With the real password cost, a check takes tens of milliseconds: an answer without one would say
    "no such citizen" by its speed alone."""
    server, _clock, app = start()
    with app.state.context.db.transaction() as session:
        session.execute(update(Citizen).values(password_hash=hash_password("123456")))
    kiosk = Kiosk(server.base_url)
    kiosk.authenticate()

    def seconds(pair: tuple[str, str]) -> float:
        begun = time.perf_counter()
        assert kiosk.login(*pair, WRONG).json()["code"] == "sign_in_failed"
        return time.perf_counter() - begun

    seconds(_unknown_pair(cards, 1))  # the first makes the dummy hash
    # Measured in turns, so that whatever else the machine is doing (the suite's other worker) weighs on
    # both kinds alike rather than on whichever was measured during a busy second.
    known_times, unknown_times = [], []
    for pair, day in zip(_pairs(cards)[:5], range(2, 7), strict=True):
        known_times.append(seconds(pair))
        unknown_times.append(seconds(_unknown_pair(cards, day)))
    known, unknown = statistics.median(known_times), statistics.median(unknown_times)
    assert unknown > 0.6 * known, (known, unknown)
