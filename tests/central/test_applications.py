"""My applications: the citizen's own, newest first, masked, from every registered source."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from central_server.application_sources import ApplicationSummary, newest_first
from central_server.routes.applications import APPLICATION_SOURCES
from central_server.withdrawals import withdrawal_summaries

from .seeded_copies import StartServer
from .test_withdrawal_endpoints import _file_it, filing


def test_withdrawals_are_listed_newest_first_and_masked(start_server: StartServer) -> None:
    own = start_server(filing)
    borrower = own.citizens(lambda row: row.loan is not None and row.account.status == "normal")[0]
    kiosk = own.signed_in(borrower)
    before = kiosk.data("GET", "/v1/citizen/applications")["items"]
    assert before and all(item["kind"] == "withdrawal" and item["state"] == "paid" for item in before)
    assert [item["created_at"] for item in before] == sorted(
        (item["created_at"] for item in before), reverse=True
    )

    own.clock.advance(minutes=1)
    claim = _file_it(kiosk, "06", 500_00)["claim_number"]
    items = kiosk.data("GET", "/v1/citizen/applications")["items"]
    assert items[1:] == before
    assert items[0] == {
        "kind": "withdrawal",
        "number": claim,
        "state": "accepted",
        "created_at": "2026-11-27T03:01:00Z",
        "summary_zh": "物业费提取，已受理",
        "summary_en": "Property fees, accepted",
        "amount_fen": 500_00,
        "card_masked": "622202*********4562",
    }
    assert "6222020200001234562" not in kiosk.call("GET", "/v1/citizen/applications").text


def test_a_citizen_sees_only_their_own(start_server: StartServer) -> None:
    own = start_server()
    never_withdrew = own.citizens(lambda row: not any(r.kind == "withdrawal" for r in row.account.records))
    assert own.signed_in(never_withdrew[0]).data("GET", "/v1/citizen/applications") == {"items": []}


def test_sources_are_merged_newest_first() -> None:
    def summary(number: str, hour: int) -> ApplicationSummary:
        at = dt.datetime(2026, 11, 27, hour, tzinfo=dt.timezone(dt.timedelta(hours=8)))
        return ApplicationSummary(
            kind="appointment",
            number=number,
            state="booked",
            created_at=at,
            summary_zh="预约",
            summary_en="x",
        )

    def first(session: Session, citizen_id: int, now: dt.datetime) -> list[ApplicationSummary]:
        return [summary("A1", 9), summary("A3", 11)]

    def second(session: Session, citizen_id: int, now: dt.datetime) -> list[ApplicationSummary]:
        return [summary("B2", 10)]

    merged = newest_first([first, second], Session(), 1, dt.datetime.now(dt.UTC))
    assert [item.number for item in merged] == ["A3", "B2", "A1"]
    assert withdrawal_summaries in APPLICATION_SOURCES
