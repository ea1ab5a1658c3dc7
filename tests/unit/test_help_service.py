"""The kiosk's "Call staff": through the real client to a real centre, once a visit; an unreachable centre
sends the citizen to the counter; nothing of the citizen is sent."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import select

from central_server.app import create_app
from central_server.help_requests import HelpRequest
from central_server.testing import RunningServer, serve_in_thread
from kiosk.central import CentralClient, CentralUnavailable
from kiosk.central.client import HelpCall
from kiosk.central.sequence import SequenceCounter
from kiosk.i18n import Translator
from kiosk.services.help import SHOWN_OPEN_FOR, HelpService
from kiosk.services.policy import CENTRE_TIME

from .conftest import SECRET, TERMINAL_ID


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 29, 10, 15, tzinfo=CENTRE_TIME)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture(scope="module")
def centre_app() -> FastAPI:
    return create_app(terminals={TERMINAL_ID: SECRET})


@pytest.fixture(scope="module")
def central(centre_app: FastAPI) -> Iterator[RunningServer]:
    """This module's centre (the `client` fixture talks to it), so its calls are the only ones."""
    with serve_in_thread(centre_app) as server:
        yield server


def centre_rows(app: FastAPI) -> list[HelpRequest]:
    with app.state.context.db.transaction() as session:
        return list(session.scalars(select(HelpRequest).order_by(HelpRequest.id)))


def test_a_call_reaches_the_centre_with_the_screen_and_time_only(
    centre_app: FastAPI, client: CentralClient
) -> None:
    clock = Clock()
    service = HelpService(client, clock)
    answer = service.call("withdrawal_amount", visit=1)
    assert answer.outcome == "called" and answer.title == "Someone is coming to help you"
    rows = centre_rows(centre_app)
    assert len(rows) == 1
    row = rows[0]
    assert (row.terminal_id, row.screen, row.calls, row.status) == (
        TERMINAL_ID,
        "withdrawal_amount",
        1,
        "open",
    )
    assert row.at == clock.now
    call = service.open_call()
    assert call is not None and call.request_id == row.id and call.screen == "withdrawal_amount"

    # A second tap in the same visit sends nothing and says staff are called already.
    again = service.call("home", visit=1)
    assert again.outcome == "already_called"
    assert centre_rows(centre_app)[0].calls == 1

    # The next citizen's tap, while the centre still has the call open: the same call, counted.
    clock.now += timedelta(minutes=2)
    assert service.call("home", visit=2).outcome == "called"
    rows = centre_rows(centre_app)
    assert len(rows) == 1 and rows[0].calls == 2
    call = service.open_call()
    assert call is not None and call.taps == 2 and call.screen == "withdrawal_amount"
    assert call.last_at == clock.now and call.first_at == clock.now - timedelta(minutes=2)

    # Hall staff stop seeing it once nobody has tapped for a while.
    clock.now += SHOWN_OPEN_FOR + timedelta(seconds=1)
    assert service.open_call() is None


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_an_unreachable_centre_sends_the_citizen_to_the_counter(tmp_path: Path) -> None:
    offline = CentralClient(
        f"http://127.0.0.1:{_closed_port()}",
        terminal_id=TERMINAL_ID,
        centre_id="00012000",
        secret=SECRET,
        sequence=SequenceCounter(tmp_path / "sequence"),
        timeout_s=2,
    )
    service = HelpService(offline, Clock())
    answer = service.call("home", visit=1)
    assert answer.outcome == "unreachable"
    assert "counter" in answer.body
    assert "窗口" in Translator("zh_CN").gettext(answer.body, "zh_CN")
    assert service.open_call() is None
    # Not "already called": nobody was; the next tap tries again.
    assert service.call("home", visit=1).outcome == "unreachable"
    offline.close()


class Gate:
    """A centre that answers when the test says so, counting what it was sent."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, datetime]] = []
        self.release = threading.Event()
        self.entered = threading.Event()
        self.fail = False

    def call_staff(self, screen: str, at: datetime) -> HelpCall:
        self.sent.append((screen, at))
        self.entered.set()
        assert self.release.wait(5)
        if self.fail:
            raise CentralUnavailable("POST /v1/terminal/help-requests: ConnectTimeout")
        return HelpCall(id=7, status="open", calls=len(self.sent), already_open=False)


def test_a_second_tap_while_the_first_is_on_its_way_sends_nothing() -> None:
    centre = Gate()
    service = HelpService(centre, Clock())
    answers: list[Any] = []
    first = threading.Thread(target=lambda: answers.append(service.call("home", visit="a")))
    first.start()
    assert centre.entered.wait(5)
    assert service.call("home", visit="a").outcome == "already_called"
    centre.release.set()
    first.join(5)
    assert [a.outcome for a in answers] == ["called"] and len(centre.sent) == 1


def test_a_failed_call_lets_the_next_tap_try_again_and_odd_screen_names_are_not_sent() -> None:
    centre = Gate()
    centre.release.set()
    centre.fail = True
    service = HelpService(centre, Clock())
    assert service.call("home", visit=1).outcome == "unreachable"
    centre.fail = False
    assert service.call("张三 110101199003070000", visit=1).outcome == "called"
    assert [screen for screen, _ in centre.sent] == ["home", "unknown"]


def test_every_answer_is_translated() -> None:
    from kiosk.services.help import _ANSWERS

    zh = Translator("zh_CN")
    for answer in _ANSWERS.values():
        for text in (answer.title, answer.body):
            assert zh.gettext(text, "zh_CN") != text, text
    assert zh.gettext(_ANSWERS["called"].title, "zh_CN") == "工作人员马上就到，请稍候"
