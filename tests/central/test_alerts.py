"""Alerts end to end: scripted events through the real endpoints of a server on loopback raise the right
alerts, an ongoing situation updates one alert, acknowledged alerts leave the open list, and nothing
personal is shown unmasked. Each test has a server of its own on a copy of one seeded database."""

from __future__ import annotations

import json
import logging
import shutil
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import select

from central_server.alerts import AlertRules
from central_server.alerts.models import Alert, AlertEvent
from central_server.alerts.rules import KioskFailuresThresholds
from central_server.app import create_app
from central_server.db import Database
from central_server.idnumbers import check_char
from central_server.models import Citizen
from central_server.seed import DEMO_PASSWORD, OTHER_PASSWORD_NAME
from central_server.terminals import TerminalRecord
from central_server.testing import RunningServer, serve_in_thread
from central_server.withdrawal_rules import RENT_MONTHLY_CAP_FEN
from kiosk.masking import mask_bank_card, mask_id_number

from .helpers import FIXED_NOW, LENIENT, FakeClock, Kiosk

OPERATOR = "operator-token-synthetic"
TERMINALS = {
    tid: TerminalRecord(tid, f"{tid.lower()}-secret-synthetic", hall)
    for tid, hall in (("KIOSK-A1", "hall-a"), ("KIOSK-A2", "hall-a"), ("KIOSK-B1", "hall-b"))
}
WRONG = "000000"
# Luhn-valid, synthetic.
CARD = "6222020200001234562"


@dataclass
class Centre:
    server: RunningServer
    clock: FakeClock
    db_path: Path

    def kiosk(self, terminal_id: str) -> Kiosk:
        kiosk = Kiosk(self.server.base_url, terminal_id)
        assert kiosk.authenticate(TERMINALS[terminal_id].secret).status_code == 200
        return kiosk

    def alerts(self, state: str = "open", token: str = OPERATOR) -> list[dict[str, Any]]:
        response = self.operator("GET", f"/v1/admin/alerts?state={state}", token=token)
        assert response.status_code == 200, response.text
        rows: list[dict[str, Any]] = response.json()["data"]
        return rows

    def operator(self, method: str, path: str, token: str = OPERATOR, **kwargs: Any) -> requests.Response:
        return requests.request(
            method,
            self.server.base_url + path,
            headers={"Authorization": f"Bearer {token}"},
            timeout=10,
            **kwargs,
        )

    def citizens(self, where: Callable[[Citizen], bool] = lambda _: True) -> list[tuple[str, str]]:
        with Database(f"sqlite:///{self.db_path}").transaction() as session:
            return [
                (c.id_number, c.name)
                for c in session.scalars(select(Citizen).order_by(Citizen.id))
                if c.name != OTHER_PASSWORD_NAME and where(c)
            ]

    def rows(self) -> tuple[list[Alert], list[AlertEvent]]:
        with Database(f"sqlite:///{self.db_path}").transaction() as session:
            return list(session.scalars(select(Alert))), list(session.scalars(select(AlertEvent)))


Start = Callable[..., Centre]


@pytest.fixture
def start(seeded_file: Path, tmp_path: Path) -> Iterator[Start]:
    servers: list[RunningServer] = []

    def start(alert_rules: AlertRules | None = None) -> Centre:
        path = tmp_path / f"central-{len(servers)}.db"
        shutil.copy(seeded_file, path)
        clock = FakeClock(FIXED_NOW)
        app = create_app(
            f"sqlite:///{path}",
            terminals=TERMINALS,
            clock=clock,
            limits=LENIENT,
            operator_tokens=[OPERATOR],
            alert_rules=alert_rules,
        )
        servers.append(serve_in_thread(app))
        return Centre(servers[-1], clock, path)

    yield start
    for server in servers:
        server.stop()


def _unknown_pair(number: int) -> tuple[str, str]:
    body = f"120199198001{number:02d}999"
    return body + check_char(body), "张测试"


def _send_withdrawal(
    centre: Centre, kiosk: Kiosk, citizen: tuple[str, str], card: str, visit_ticket: str
) -> dict[str, Any]:
    item = {
        "idempotency_key": uuid.uuid4().hex,
        "kind": "withdrawal_application",
        "created_at": centre.clock.now.isoformat(),
        "visit_ticket": visit_ticket,
        "payload": {
            "id_number": citizen[0],
            "name": citizen[1],
            "withdrawal_type": "01",
            "amount_fen": RENT_MONTHLY_CAP_FEN,
            "bank_pan": card,
        },
    }
    result: dict[str, Any] = kiosk.data("POST", "/v1/intake/batch", json={"items": [item]})["results"][0]
    assert result["status"] == "accepted", result
    return result


def _renters(centre: Centre) -> list[tuple[str, str]]:
    return centre.citizens(
        lambda c: c.account.status == "normal" and c.loan is None and c.account.balance_fen > 12 * 150_000
    )


def _signed_in(kiosk: Kiosk, citizen: tuple[str, str]) -> str:
    response = kiosk.login(*citizen, DEMO_PASSWORD)
    assert response.status_code == 200, response.text
    ticket: str = response.json()["data"]["visit_ticket"]
    return ticket


def test_a_burst_of_failed_sign_ins_for_one_citizen_at_several_kiosks_raises_one_alert(start: Start) -> None:
    centre = start()
    citizen = centre.citizens()[0]
    kiosks = [centre.kiosk(tid) for tid in ("KIOSK-A1", "KIOSK-A2", "KIOSK-B1", "KIOSK-A1")]
    for kiosk in kiosks:
        centre.clock.advance(minutes=5)
        assert kiosk.login(*citizen, WRONG).status_code in (401, 423)
    assert centre.alerts() == []
    # The fifth: the password has been locked since the third, and trying on still counts.
    centre.clock.advance(minutes=5)
    assert kiosks[1].login(*citizen, WRONG).json()["code"] == "password_locked"
    (alert,) = centre.alerts()
    assert (alert["rule"], alert["severity"], alert["subject"], alert["count"]) == (
        "citizen_sign_in_failures",
        "medium",
        mask_id_number(citizen[0]),
        1,
    )
    assert alert["evidence"]["failures"] == 5
    assert alert["evidence"]["terminals"] == ["KIOSK-A1", "KIOSK-A2", "KIOSK-B1"]
    # The situation goes on: the same alert, counted again.
    centre.clock.advance(minutes=1)
    kiosks[2].login(*citizen, WRONG)
    (again,) = centre.alerts()
    assert (again["id"], again["count"], again["evidence"]["failures"]) == (alert["id"], 2, 6)
    assert again["last_seen"] > alert["last_seen"] and again["first_seen"] == alert["first_seen"]


def test_failures_for_one_citizen_at_a_single_kiosk_raise_no_citizen_alert(start: Start) -> None:
    centre = start()
    citizen = centre.citizens()[0]
    kiosk = centre.kiosk("KIOSK-A1")
    for _ in range(6):
        kiosk.login(*citizen, WRONG)
    assert centre.alerts() == []


def test_one_kiosk_failing_against_many_citizens_raises_a_kiosk_alert(start: Start) -> None:
    centre = start()
    kiosk = centre.kiosk("KIOSK-B1")
    for number in range(1, 5):
        assert kiosk.login(*_unknown_pair(number), WRONG).json()["code"] == "sign_in_failed"
    assert centre.alerts() == []
    kiosk.login(*_unknown_pair(5), WRONG)
    (alert,) = centre.alerts()
    assert (alert["rule"], alert["severity"], alert["subject"]) == (
        "kiosk_sign_in_failures",
        "high",
        "KIOSK-B1",
    )
    assert alert["evidence"] == {"distinct_citizens": 5, "failures": 5, "window_s": 600}
    # Ten minutes later the list has left the window: nothing new.
    centre.clock.advance(minutes=11)
    kiosk.login(*_unknown_pair(6), WRONG)
    assert [a["count"] for a in centre.alerts()] == [1]


def test_thresholds_come_from_the_alert_rules(start: Start) -> None:
    centre = start(AlertRules(kiosk_sign_in_failures=KioskFailuresThresholds(citizens=2, window_s=60)))
    kiosk = centre.kiosk("KIOSK-A1")
    kiosk.login(*_unknown_pair(1), WRONG)
    kiosk.login(*_unknown_pair(2), WRONG)
    assert [a["rule"] for a in centre.alerts()] == ["kiosk_sign_in_failures"]


def test_an_acknowledged_alert_leaves_the_open_list_and_the_next_occurrence_opens_a_new_one(
    start: Start,
) -> None:
    centre = start(AlertRules(kiosk_sign_in_failures=KioskFailuresThresholds(citizens=2)))
    kiosk = centre.kiosk("KIOSK-A1")
    kiosk.login(*_unknown_pair(1), WRONG)
    kiosk.login(*_unknown_pair(2), WRONG)
    (alert,) = centre.alerts()
    body = {"by": "wang.ops", "note": "kiosk inspected; a test script left running"}
    assert (
        centre.operator("POST", f"/v1/admin/alerts/{alert['id']}/ack", token="wrong", json=body).json()[
            "code"
        ]
        == "operator_unauthorised"
    )
    acked = centre.operator("POST", f"/v1/admin/alerts/{alert['id']}/ack", json=body).json()["data"]
    assert (acked["acknowledged_by"], acked["note"]) == ("wang.ops", body["note"])
    assert acked["acknowledged_at"] is not None
    assert centre.alerts() == []
    assert [a["id"] for a in centre.alerts("all")] == [alert["id"]]
    twice = centre.operator("POST", f"/v1/admin/alerts/{alert['id']}/ack", json=body)
    assert (twice.status_code, twice.json()["code"]) == (409, "already_acknowledged")
    assert twice.json()["message"].startswith(
        f"alert {alert['id']} was acknowledged already by wang.ops at 2026-11-27 11:00 (UTC+8)"
    )
    missing = centre.operator("POST", "/v1/admin/alerts/999/ack", json=body)
    assert (missing.status_code, missing.json()["code"]) == (404, "not_found")
    centre.clock.advance(seconds=10)
    kiosk.login(*_unknown_pair(3), WRONG)
    (fresh,) = centre.alerts()
    assert fresh["id"] != alert["id"] and fresh["count"] == 1


def test_the_same_citizen_signing_in_at_two_halls_within_minutes(start: Start) -> None:
    centre = start()
    citizen, other = centre.citizens()[:2]
    _signed_in(centre.kiosk("KIOSK-A1"), other)
    _signed_in(centre.kiosk("KIOSK-A1"), citizen)
    centre.clock.advance(minutes=4)
    _signed_in(centre.kiosk("KIOSK-A2"), citizen)  # the same hall
    centre.clock.advance(minutes=7)
    _signed_in(centre.kiosk("KIOSK-B1"), other)  # another hall, but 11 minutes on
    assert centre.alerts() == []
    centre.clock.advance(minutes=2)
    _signed_in(centre.kiosk("KIOSK-B1"), citizen)  # 9 minutes after KIOSK-A2
    (alert,) = centre.alerts()
    assert (alert["rule"], alert["subject"]) == ("two_halls", mask_id_number(citizen[0]))
    assert alert["evidence"] == {
        "halls": ["hall-a", "hall-b"],
        "minutes_between": 9,
        "terminals": ["KIOSK-A2", "KIOSK-B1"],
    }


def test_a_withdrawal_right_after_a_password_change(start: Start) -> None:
    centre = start()
    changer, steady = _renters(centre)[:2]
    kiosk = centre.kiosk("KIOSK-A1")
    ticket = _signed_in(kiosk, changer)
    changed = kiosk.call(
        "POST", "/v1/citizen/password", json={"old_password": DEMO_PASSWORD, "new_password": "802613"}
    )
    assert changed.status_code == 200, changed.text
    centre.clock.advance(hours=23)
    kiosk = centre.kiosk("KIOSK-A1")  # its terminal token has expired
    ticket = _signed_in_with(kiosk, changer, "802613")
    filed = _send_withdrawal(centre, kiosk, changer, CARD, ticket)
    other_kiosk = centre.kiosk("KIOSK-A2")
    _send_withdrawal(centre, other_kiosk, steady, "6217000000000012348", _signed_in(other_kiosk, steady))
    (alert,) = centre.alerts()
    assert (alert["rule"], alert["subject"]) == (
        "withdrawal_after_password_change",
        mask_id_number(changer[0]),
    )
    assert alert["evidence"]["minutes_between"] == 23 * 60
    assert alert["evidence"]["claim_number"] == filed["reference"]
    assert alert["evidence"]["card"] == mask_bank_card(CARD)


def _signed_in_with(kiosk: Kiosk, citizen: tuple[str, str], password: str) -> str:
    response = kiosk.login(*citizen, password)
    assert response.status_code == 200, response.text
    ticket: str = response.json()["data"]["visit_ticket"]
    return ticket


def test_a_payee_card_used_by_two_citizens(start: Start) -> None:
    centre = start()
    first, second, third = _renters(centre)[:3]
    kiosk = centre.kiosk("KIOSK-B1")
    _send_withdrawal(centre, kiosk, first, CARD, _signed_in(kiosk, first))
    _send_withdrawal(centre, kiosk, third, "6217000000000012348", _signed_in(kiosk, third))
    assert centre.alerts() == []
    centre.clock.advance(days=20)
    kiosk = centre.kiosk("KIOSK-B1")  # its terminal token has expired
    _send_withdrawal(centre, kiosk, second, CARD, _signed_in(kiosk, second))
    (alert,) = centre.alerts()
    assert (alert["rule"], alert["severity"], alert["subject"]) == (
        "shared_payee_card",
        "high",
        mask_bank_card(CARD),
    )
    assert alert["evidence"]["citizens"] == sorted([mask_id_number(first[0]), mask_id_number(second[0])])
    assert len(alert["evidence"]["withdrawals"]) == 2


def test_nothing_personal_in_answers_logs_or_alert_tables(
    start: Start, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    centre = start(AlertRules(kiosk_sign_in_failures=KioskFailuresThresholds(citizens=2)))
    first, second = _renters(centre)[:2]
    kiosk = centre.kiosk("KIOSK-A1")
    for citizen in (first, first, second):
        kiosk.login(*citizen, WRONG)
    for tid in ("KIOSK-A2", "KIOSK-B1", "KIOSK-A2"):
        centre.kiosk(tid).login(*first, WRONG)
    _send_withdrawal(centre, kiosk, second, CARD, _signed_in(kiosk, second))
    centre.clock.advance(days=1)  # the next centre day: the failures' lock is over
    other = centre.kiosk("KIOSK-B1")
    _send_withdrawal(centre, other, first, CARD, _signed_in_with(other, first, DEMO_PASSWORD))
    answer = centre.operator("GET", "/v1/admin/alerts?state=all").text
    assert {a["rule"] for a in json.loads(answer)["data"]} >= {
        "citizen_sign_in_failures",
        "kiosk_sign_in_failures",
        "shared_payee_card",
    }
    alerts, events = centre.rows()
    stored = answer + caplog.text + repr([(a.subject, a.evidence) for a in alerts])
    stored += repr([(e.masked_id, e.citizen_key, e.pair_key, e.card_key) for e in events])
    for secret in (first[0], second[0], first[1], second[1], CARD):
        assert secret not in stored
