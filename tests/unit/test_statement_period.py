"""A statement period offered to every citizen, for an account younger than the period: the kiosk asks the
centre only for months of the account's life, which is all the centre issues (a period starting earlier is
a bad request, which the citizen would have been told was an outage)."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace
from typing import Any

import pytest

from kiosk.central import CentralUnavailable
from kiosk.services.certificates import CertificateRefused, CertificateService, statement_periods
from kiosk.services.citizen import Unavailable

TODAY = date(2026, 11, 30)


class Centre:
    """Records the period asked for, then does not answer: what happens after is not this test's."""

    def __init__(self, opened_on: date) -> None:
        self.opened_on = opened_on
        self.asked: tuple[str | None, str | None] | None = None

    def account(self, token: str) -> Any:
        return SimpleNamespace(opened_on=self.opened_on)

    def issue_certificate(self, token: str, kind: str, period_from: str | None, period_to: str | None) -> Any:
        self.asked = (period_from, period_to)
        raise CentralUnavailable("not this test's")


def _service(centre: Centre) -> CertificateService:
    citizen = SimpleNamespace(signed_in_citizen=lambda: SimpleNamespace(session_token="t"))
    return CertificateService(centre, citizen, SimpleNamespace(printing=object()))  # type: ignore[arg-type]


def _ask(opened_on: date, key: str) -> tuple[str | None, str | None] | None:
    centre = Centre(opened_on)
    service = _service(centre)
    period = next(p for p in statement_periods(TODAY) if p.key == key)
    with pytest.raises(Unavailable):
        service.issue_and_print("statement", period)
    return centre.asked


def test_an_older_account_gets_the_period_as_offered() -> None:
    assert _ask(date(2019, 3, 9), "last_year") == ("2025-01", "2025-12")
    assert _ask(date(2019, 3, 9), "last_12_months") == ("2025-12", "2026-11")


def test_an_account_opened_within_the_period_gets_it_from_its_opening_month() -> None:
    assert _ask(date(2025, 10, 14), "last_year") == ("2025-10", "2025-12")
    assert _ask(date(2026, 2, 1), "last_12_months") == ("2026-02", "2026-11")
    assert _ask(date(2026, 2, 1), "this_year") == ("2026-02", "2026-11")


def test_a_period_that_ended_before_the_account_opened_is_refused_as_such() -> None:
    centre = Centre(date(2026, 2, 1))
    service = _service(centre)
    last_year = next(p for p in statement_periods(TODAY) if p.key == "last_year")
    with pytest.raises(CertificateRefused) as refused:
        service.issue_and_print("statement", last_year)
    assert refused.value.code == "opened_after_period"
    assert centre.asked is None
