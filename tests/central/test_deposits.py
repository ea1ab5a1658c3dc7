from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from .helpers import Kiosk, Statement, password_of


@pytest.fixture
def statement(statements: list[Statement]) -> Statement:
    """A citizen with a long history, for paging."""
    return max(statements, key=lambda s: len(s.records))


@pytest.fixture
def logged_in(kiosk: Kiosk, statement: Statement) -> Kiosk:
    card = statement.card
    assert kiosk.login(card["id_number"], card["name"], password_of(card)).status_code == 200
    return kiosk


def test_pages_are_newest_first_and_join_up_to_everything(logged_in: Kiosk, statement: Statement) -> None:
    first = logged_in.data("GET", "/v1/citizen/deposits")
    assert (first["page"], first["page_size"], first["total"]) == (1, 20, len(statement.records))
    joined: list[dict[str, Any]] = []
    for page in range(1, len(statement.records) // 7 + 2):
        data = logged_in.data("GET", f"/v1/citizen/deposits?page={page}&page_size=7")
        assert len(data["items"]) <= 7
        joined += data["items"]
    assert joined == statement.records
    dates = [item["date"] for item in joined]
    assert dates == sorted(dates, reverse=True)
    beyond = logged_in.data("GET", "/v1/citizen/deposits?page=99&page_size=100")
    assert (beyond["items"], beyond["total"]) == ([], len(statement.records))


@pytest.mark.parametrize(
    ("query", "low", "high"),
    [
        ("from=2025-03&to=2025-08", "2025-03", "2025-08"),
        ("from=2026-01", "2026-01", "9999-12"),
        ("to=2024-02", "0000-01", "2024-02"),
        ("from=2025-05&to=2025-05", "2025-05", "2025-05"),
        ("from=0001-01&to=9999-12", "0001-01", "9999-12"),
    ],
)
def test_from_and_to_filter_by_record_month(
    logged_in: Kiosk, statement: Statement, query: str, low: str, high: str
) -> None:
    data = logged_in.data("GET", f"/v1/citizen/deposits?{query}&page_size=100")
    expected = [r for r in statement.records if low <= r["date"][:7] <= high]
    assert expected
    assert data["items"] == expected
    assert data["total"] == len(expected)


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("from=2025-13", "from"),
        ("to=202501", "to"),
        ("from=2025-1", "from"),
        ("to=２０２５-01", "to"),
        ("page=0", "page"),
        ("page=x", "page"),
        ("page_size=0", "page_size"),
        ("page_size=101", "page_size"),
        ("from=2025-06&to=2025-01", "from"),
        ("from=0000-01", "from"),
        ("to=0000-12", "to"),
    ],
)
def test_bad_parameters_are_bad_request_naming_the_parameter(
    logged_in: Kiosk, query: str, parameter: str
) -> None:
    response = logged_in.call("GET", f"/v1/citizen/deposits?{query}")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "bad_request"
    assert f" {parameter}" in body["message"]


_MONTHS = st.from_regex(r"[0-9]{4}-[0-9]{2}", fullmatch=True) | st.text(max_size=12)


# The fixtures are a logged-in kiosk on a clock that never moves: the same for every example.
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(low=_MONTHS, high=_MONTHS, page=st.integers(min_value=-1, max_value=10**20))
@example(low="0000-01", high="9999-12", page=1)
@example(low="9999-12", high="9999-12", page=1_000_000)
def test_any_months_and_page_get_an_answer_or_a_400_never_a_500(
    logged_in: Kiosk, low: str, high: str, page: int
) -> None:
    response = logged_in.call("GET", "/v1/citizen/deposits", params={"from": low, "to": high, "page": page})
    body = response.json()
    assert (response.status_code, body["code"]) in ((200, "ok"), (400, "bad_request")), body
    if response.status_code == 400:
        assert body["data"] is None and body["message"].startswith("query parameter")
