from __future__ import annotations

from typing import Any

import pytest

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
