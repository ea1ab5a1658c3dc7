"""Issuing certificates through POST /v1/citizen/certificates, on real servers over loopback."""

from __future__ import annotations

import itertools
import json
import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from central_server import certificates
from central_server.app import DEFAULT_SEED, create_app
from central_server.certificate_schemas import DepositFacts
from central_server.certificates import Certificate
from central_server.loan_history import SettledLoan
from central_server.models import Citizen
from central_server.testing import RunningServer, serve_in_thread

from .helpers import FIXED_NOW, TERMINALS, Kiosk, password_of

CODE = re.compile(r"^[2-9A-HJ-NP-Z]{4}(-[2-9A-HJ-NP-Z]{4}){3}$")
PATH = "/v1/citizen/certificates"


def _card(cards: list[dict[str, Any]], **where: Any) -> dict[str, Any]:
    return next(card for card in cards if all(card[key] == value for key, value in where.items()))


def _settled_loans(app: FastAPI) -> dict[str, SettledLoan]:
    """Settled loans by the holder's ID number."""
    with app.state.context.db.transaction() as session:
        rows = session.execute(select(Citizen.id_number, SettledLoan).join(Citizen)).all()
    return {id_number: loan for id_number, loan in rows}


def _signed_in(kiosk: Kiosk, card: dict[str, Any]) -> Kiosk:
    assert kiosk.login(card["id_number"], card["name"], password_of(card)).status_code == 200
    return kiosk


def _stored(app: FastAPI, code: str) -> Certificate:
    with app.state.context.db.transaction() as session:
        certificate = certificates.find(session, code.replace("-", ""))
    assert certificate is not None
    return certificate


def test_a_deposit_certificate_holds_the_account_a_code_and_the_verify_url(
    kiosk: Kiosk, cards: list[dict[str, Any]], demo_app: FastAPI, demo_server: RunningServer
) -> None:
    card = _card(cards, status="normal", has_loan=False)
    _signed_in(kiosk, card)
    account = kiosk.data("GET", "/v1/citizen/account")
    data = kiosk.data("POST", PATH, json={"kind": "deposit"})
    assert CODE.match(data["code"])
    assert data["issued_at"] == "2026-11-27T11:00:00+08:00"
    assert data["verify_form_url"] == f"{demo_server.base_url}/verify"
    assert data["verify_url"] == f"{demo_server.base_url}/verify/{data['code']}"
    facts = data["facts"]
    assert facts["kind"] == "deposit"
    for key in ("name", "id_number", "account_no", "unit_name", "opened_on", "status", "balance_fen"):
        assert facts[key] == account[key]
    assert facts["deposit_base_fen"] == account["deposit_base_fen"]
    assert facts["monthly_deposit_fen"] == account["monthly_deposit_fen"]
    assert (facts["period_from"], facts["period_to"]) == (account["opened_on"][:7], account["paid_up_to"])
    assert kiosk.data("POST", PATH, json={"kind": "deposit"})["code"] != data["code"]

    stored = _stored(demo_app, data["code"])
    assert (stored.kind, stored.terminal_id, stored.issued_at) == ("deposit", "KIOSK-DEMO-01", FIXED_NOW)
    # What the centre keeps is the masked view only.
    assert card["name"] not in stored.masked_view and card["id_number"] not in stored.masked_view
    assert account["account_no"] not in stored.masked_view
    view = json.loads(stored.masked_view)
    assert view["id_number"] == card["id_number"][:3] + "*" * 11 + card["id_number"][-4:]
    assert view["name"] == card["name"][0] + "*" * (len(card["name"]) - 1)


def test_the_loan_record_tells_repaying_settled_and_none(
    kiosk: Kiosk, cards: list[dict[str, Any]], demo_app: FastAPI
) -> None:
    settled = _settled_loans(demo_app)
    repaying = _card(cards, status="normal", has_loan=True)
    settled_card = next(c for c in cards if c["id_number"] in settled and c["status"] != "closed")
    none = next(
        c for c in cards if c["id_number"] not in settled and not c["has_loan"] and c["status"] == "normal"
    )
    for card, record in ((repaying, "repaying"), (settled_card, "settled"), (none, "none")):
        _signed_in(kiosk, card)
        assert kiosk.data("POST", PATH, json={"kind": "deposit"})["facts"]["loan_record"] == record


def test_a_loan_settlement_certificate_needs_a_settled_loan(
    kiosk: Kiosk, cards: list[dict[str, Any]], demo_app: FastAPI
) -> None:
    settled = _settled_loans(demo_app)
    assert len(settled) == 4
    holder = next(card for card in cards if card["id_number"] in settled)
    loan = settled[holder["id_number"]]
    facts = _signed_in(kiosk, holder).data("POST", PATH, json={"kind": "loan_settled"})["facts"]
    assert facts == {
        "kind": "loan_settled",
        "name": holder["name"],
        "id_number": holder["id_number"],
        "account_no": facts["account_no"],
        "contract_no": loan.contract_no,
        "principal_fen": loan.principal_fen,
        "annual_rate_bp": loan.annual_rate_bp,
        "term_months": loan.term_months,
        "start_date": loan.start_date.isoformat(),
        "settled_on": loan.settled_on.isoformat(),
    }
    assert date.fromisoformat(facts["settled_on"]) < FIXED_NOW.date()

    # A loan still being repaid is no settled loan.
    _signed_in(kiosk, _card(cards, has_loan=True))
    response = kiosk.call("POST", PATH, json={"kind": "loan_settled"})
    assert response.status_code == 409
    assert response.json()["code"] == "no_settled_loan"


def test_a_closed_account_gets_no_deposit_certificate_but_its_statement(
    kiosk: Kiosk, cards: list[dict[str, Any]], demo_app: FastAPI
) -> None:
    card = _card(cards, status="closed")
    _signed_in(kiosk, card)
    before = _certificate_count(demo_app)
    response = kiosk.call("POST", PATH, json={"kind": "deposit"})
    assert (response.status_code, response.json()["code"]) == (409, "account_closed")
    assert _certificate_count(demo_app) == before

    records = kiosk.data("GET", "/v1/citizen/deposits?page_size=100")["items"]
    closing_month = records[0]["date"][:7]
    statement = kiosk.data(
        "POST", PATH, json={"kind": "statement", "from": closing_month, "to": closing_month}
    )
    assert statement["facts"]["closing_balance_fen"] == 0
    after_closing = _next_month(closing_month)
    response = kiosk.call(
        "POST", PATH, json={"kind": "statement", "from": closing_month, "to": after_closing}
    )
    assert response.status_code == 400
    assert (
        response.json()["message"] == f"body field to: after {closing_month}, the last month of the account"
    )


def test_a_statement_lists_the_period_oldest_first_with_its_balances(
    kiosk: Kiosk, cards: list[dict[str, Any]]
) -> None:
    _signed_in(kiosk, _card(cards, status="normal", has_loan=False))
    body = {"kind": "statement", "from": "2025-06", "to": "2026-11"}
    facts = kiosk.data("POST", PATH, json=body)["facts"]
    listed = kiosk.data("GET", "/v1/citizen/deposits?from=2025-06&to=2026-11&page_size=100")["items"]
    assert [(r["date"], r["type"], r["amount_fen"], r["balance_fen"]) for r in facts["records"]] == [
        (r["date"], r["type"], r["amount_fen"], r["balance_fen"]) for r in reversed(listed)
    ]
    assert facts["records"]
    assert (
        facts["opening_balance_fen"] + sum(r["amount_fen"] for r in facts["records"])
        == facts["closing_balance_fen"]
    )
    assert (facts["period_from"], facts["period_to"]) == ("2025-06", "2026-11")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"kind": "statement", "from": "2026-10", "to": "2026-12"}, "to: after 2026-11"),
        ({"kind": "statement", "from": "2024-01", "to": "2026-01"}, "to: more than 24 months after from"),
        ({"kind": "statement", "from": "2026-05", "to": "2026-04"}, "from: after to"),
        ({"kind": "statement", "from": "1990-01", "to": "1990-02"}, "from: before "),
        ({"kind": "statement", "from": "2026-01"}, "statement.to: Field required"),
        (
            {"kind": "statement", "from": 202601, "to": "2026-02"},
            "statement.from: Input should be a valid string",
        ),
        ({"kind": "statement", "from": "2026-1", "to": "2026-02"}, "statement.from: String should match"),
        ({"kind": "deposit", "from": "2026-01"}, "deposit.from: Extra inputs are not permitted"),
        ({"kind": "deposit", "copies": 2}, "deposit.copies: Extra inputs are not permitted"),
        ({"kind": "diploma"}, "body: Input tag 'diploma' found using 'kind' does not match"),
    ],
)
def test_a_bad_request_names_the_field_and_issues_nothing(
    kiosk: Kiosk, cards: list[dict[str, Any]], demo_app: FastAPI, body: dict[str, Any], message: str
) -> None:
    _signed_in(kiosk, _card(cards, status="normal", has_loan=False))
    before = _certificate_count(demo_app)
    response = kiosk.call("POST", PATH, json=body)
    assert (response.status_code, response.json()["code"]) == (400, "bad_request")
    assert message in response.json()["message"]
    assert _certificate_count(demo_app) == before


def test_certificates_need_a_citizen_session(kiosk: Kiosk) -> None:
    response = kiosk.call("POST", PATH, json={"kind": "deposit"})
    assert (response.status_code, response.json()["code"]) == (401, "session_expired")


def test_the_public_base_url_setting_starts_the_verify_urls(cards: list[dict[str, Any]]) -> None:
    app = create_app(
        terminals=TERMINALS,
        seed=DEFAULT_SEED,
        clock=lambda: FIXED_NOW,
        public_base_url="https://gjj.example.cn/c/",
    )
    with serve_in_thread(app) as server:
        kiosk = Kiosk(server.base_url)
        kiosk.authenticate()
        data = _signed_in(kiosk, _card(cards, status="normal")).data("POST", PATH, json={"kind": "deposit"})
    assert data["verify_form_url"] == "https://gjj.example.cn/c/verify"
    assert data["verify_url"] == f"https://gjj.example.cn/c/verify/{data['code']}"


@pytest.mark.parametrize(
    "url", ["gjj.example.cn", "ftp://gjj.example.cn", "https://gjj.example.cn/?a=1", "https://"]
)
def test_a_public_base_url_that_is_no_http_url_is_refused_at_start(url: str) -> None:
    with pytest.raises(ValueError, match="public_base_url must look like https://host"):
        create_app(public_base_url=url)


def test_a_code_already_taken_is_not_given_twice(tmp_path: Path) -> None:
    """The unique constraint decides; a colliding draw is drawn again."""
    app = create_app(f"sqlite:///{tmp_path / 'central.db'}", seed=DEFAULT_SEED, clock=lambda: FIXED_NOW)
    draws = itertools.chain([0] * 16, [0] * 16, itertools.repeat(1))
    facts = DepositFacts(
        name="王测试",
        id_number="120199199001011234",
        account_no="120199100001",
        unit_name="示例科技有限公司",
        opened_on=date(2015, 3, 1),
        status="normal",
        deposit_base_fen=1_000_000,
        unit_rate_bp=1200,
        personal_rate_bp=1200,
        monthly_deposit_fen=240_000,
        balance_fen=5_000_000,
        loan_record="none",
        period_from="2015-03",
        period_to="2026-10",
    )
    with app.state.context.db.transaction() as session:
        citizen_id = session.scalars(select(Citizen.id).limit(1)).one()
        issued = [
            certificates.issue(
                session,
                facts,
                citizen_id=citizen_id,
                terminal_id="K",
                now=FIXED_NOW,
                randbelow=lambda n: next(draws),
            )
            for _ in range(2)
        ]
    assert issued == ["2" * 16, "3" * 16]


def _certificate_count(app: FastAPI) -> int:
    with app.state.context.db.transaction() as session:
        return session.scalar(select(func.count()).select_from(Certificate)) or 0


def _next_month(month: str) -> str:
    year, number = (int(part) for part in month.split("-"))
    return f"{year + number // 12:04d}-{number % 12 + 1:02d}"
