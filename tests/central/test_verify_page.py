"""The public verification page, over real HTTP: genuine, unknown, malformed, rate-limited, and masked."""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from fastapi import FastAPI
from sqlalchemy import select

from central_server.app import DEFAULT_SEED, create_app
from central_server.certificate_rules import CODE_ALPHABET
from central_server.limits import Limits
from central_server.loan_history import SettledLoan
from central_server.models import Citizen, Unit
from central_server.testing import RunningServer, serve_in_thread

from .helpers import FIXED_NOW, TERMINALS, FakeClock, Kiosk, password_of

PATH = "/v1/citizen/certificates"
# Few look-ups, so the limit is reached quickly.
LIMITS = Limits(verify_lookups_per_address=8, verify_window_s=60)
_addresses = iter(range(20, 250))


@pytest.fixture(scope="module")
def verify_clock() -> FakeClock:
    return FakeClock(FIXED_NOW)


@pytest.fixture(scope="module")
def verify_app(verify_clock: FakeClock) -> FastAPI:
    return create_app(terminals=TERMINALS, seed=DEFAULT_SEED, clock=verify_clock, limits=LIMITS)


@pytest.fixture(scope="module")
def server(verify_app: FastAPI) -> Iterator[RunningServer]:
    with serve_in_thread(verify_app) as running:
        yield running


@pytest.fixture
def browser(server: RunningServer) -> requests.Session:
    """A client of its own loopback address, so each test has its own lookup count."""
    return Kiosk(server.base_url, source_address=f"127.0.0.{next(_addresses)}").http


def _citizens(app: FastAPI) -> list[dict[str, Any]]:
    with app.state.context.db.transaction() as session:
        settled = set(session.scalars(select(SettledLoan.citizen_id)))
        return [
            {
                "id_number": c.id_number,
                "name": c.name,
                "account_no": c.account.account_no,
                "status": c.account.status,
                "settled": c.id in settled,
                "unit_id": c.account.unit_id,
            }
            for c in session.scalars(select(Citizen).order_by(Citizen.id))
        ]


def _issue(server: RunningServer, citizen: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
    kiosk = Kiosk(server.base_url)
    kiosk.authenticate()
    assert kiosk.login(citizen["id_number"], citizen["name"], password_of(citizen)).status_code == 200
    data: dict[str, Any] = kiosk.data("POST", PATH, json=body)
    return data


def _assert_masked(html: str, citizen: dict[str, Any]) -> None:
    for secret in (citizen["id_number"], citizen["name"], citizen["account_no"]):
        assert secret not in html
    assert citizen["id_number"][:3] + "*" * 11 + citizen["id_number"][-4:] in html


def _assert_page(response: requests.Response, status: int) -> str:
    assert response.status_code == status
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"
    policy = response.headers["content-security-policy"]
    assert policy.startswith("default-src 'none'; ")
    style = re.search(r"<style>(.*?)</style>", response.text, re.S)
    assert style is not None
    digest = base64.b64encode(hashlib.sha256(style.group(1).encode()).digest()).decode()
    assert f"style-src 'sha256-{digest}'" in policy
    assert "<script" not in response.text
    return response.text


def test_a_genuine_deposit_certificate_shows_its_masked_facts(
    server: RunningServer, verify_app: FastAPI, browser: requests.Session
) -> None:
    citizen = next(c for c in _citizens(verify_app) if c["status"] == "normal")
    data = _issue(server, citizen, {"kind": "deposit"})
    html = _assert_page(browser.get(data["verify_url"], timeout=10), 200)
    assert "此证明真实有效" in html and "This certificate is genuine" in html
    assert "个人缴存证明" in html and data["code"] in html
    assert citizen["name"][0] + "*" in html
    assert "2026-11-27 11:00" in html and "KIOSK-DEMO-01" in html
    balance = data["facts"]["balance_fen"]
    assert f"¥{balance // 100:,}.{balance % 100:02d}" in html
    _assert_masked(html, citizen)


def test_statement_and_loan_settlement_pages_are_masked_too(
    server: RunningServer, verify_app: FastAPI, browser: requests.Session
) -> None:
    citizen = next(c for c in _citizens(verify_app) if c["settled"])
    for body, title in (
        ({"kind": "loan_settled"}, "贷款结清证明"),
        ({"kind": "statement", "from": "2026-01", "to": "2026-11"}, "缴存明细"),
    ):
        data = _issue(server, citizen, body)
        html = _assert_page(browser.get(data["verify_url"], timeout=10), 200)
        assert title in html
        _assert_masked(html, citizen)
    assert data["facts"]["records"][0]["date"] in html


def test_a_typed_in_code_is_found_whatever_its_case_and_spacing(
    server: RunningServer, verify_app: FastAPI, browser: requests.Session
) -> None:
    citizen = next(c for c in _citizens(verify_app) if c["status"] == "sealed")
    code = _issue(server, citizen, {"kind": "deposit"})["code"]
    typed = " ".join(code.lower().split("-"))
    html = _assert_page(browser.get(f"{server.base_url}/verify", params={"code": typed}, timeout=10), 200)
    assert "此证明真实有效" in html
    form = _assert_page(browser.get(f"{server.base_url}/verify", timeout=10), 200)
    assert '<form method="get" action="/verify">' in form and "真实有效" not in form
    assert "真实有效" not in _assert_page(browser.get(f"{server.base_url}/verify?code=", timeout=10), 200)


def test_an_unknown_code_gets_a_calm_404_page(server: RunningServer, browser: requests.Session) -> None:
    html = _assert_page(browser.get(f"{server.base_url}/verify/2222-3333-4444-5555", timeout=10), 404)
    assert "没有验证码为 <code>2222-3333-4444-5555</code> 的证明" in html
    assert "There is no certificate with this code" in html
    html = _assert_page(browser.get(f"{server.base_url}/verify?code=2222333344445555", timeout=10), 404)
    assert "2222-3333-4444-5555" in html


@pytest.mark.parametrize(
    "path",
    [
        "/verify/ABCD",
        "/verify/2222-3333-4444-555O",
        "/verify/%3Cscript%3Ealert(1)%3C%2Fscript%3E",
        "/verify/2222/3333/4444/5555",
        "/verify?code=%3Cscript%3Ealert(1)%3C%2Fscript%3E",
        "/verify?code=" + "A" * 5000,
    ],
)
def test_a_malformed_code_gets_a_400_page_that_does_not_echo_it(
    server: RunningServer, browser: requests.Session, path: str
) -> None:
    html = _assert_page(browser.get(server.base_url + path, timeout=10), 400)
    assert "This is not a certificate code" in html
    assert "alert" not in html and "AAAAAAAA" not in html


def test_lookups_are_limited_per_address_and_the_limit_lifts(
    server: RunningServer, verify_app: FastAPI, verify_clock: FakeClock, browser: requests.Session
) -> None:
    citizen = next(c for c in _citizens(verify_app) if c["status"] == "normal")
    genuine = _issue(server, citizen, {"kind": "deposit"})["verify_url"]
    try:
        for number in range(LIMITS.verify_lookups_per_address - 1):
            unknown = f"2222-2222-2222-22{CODE_ALPHABET[number // 32]}{CODE_ALPHABET[number % 32]}"
            assert browser.get(f"{server.base_url}/verify/{unknown}", timeout=10).status_code == 404
        # A malformed code is answered without a look-up, so it does not count.
        assert browser.get(f"{server.base_url}/verify/not-a-code", timeout=10).status_code == 400
        assert browser.get(genuine, timeout=10).status_code == 200
        refused = browser.get(genuine, timeout=10)
        html = _assert_page(refused, 429)
        assert refused.headers["retry-after"] == str(LIMITS.verify_window_s)
        assert "查询过于频繁" in html and "真实有效" not in html
        assert browser.get(f"{server.base_url}/verify/not-a-code", timeout=10).status_code == 400
        # Another address is not held back by this one.
        other = Kiosk(server.base_url, source_address=f"127.0.0.{next(_addresses)}").http
        assert other.get(genuine, timeout=10).status_code == 200
        verify_clock.advance(seconds=LIMITS.verify_window_s)
        assert browser.get(genuine, timeout=10).status_code == 200
    finally:
        verify_clock.now = FIXED_NOW


def test_stored_text_is_escaped(
    server: RunningServer, verify_app: FastAPI, browser: requests.Session
) -> None:
    citizen = next(c for c in _citizens(verify_app) if c["status"] == "normal")
    attack = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    with verify_app.state.context.db.transaction() as session:
        unit = session.get_one(Unit, citizen["unit_id"])
        name, unit.name = unit.name, attack
    try:
        data = _issue(server, citizen, {"kind": "deposit"})
    finally:
        with verify_app.state.context.db.transaction() as session:
            session.get_one(Unit, citizen["unit_id"]).name = name
    assert data["facts"]["unit_name"] == attack
    html = _assert_page(browser.get(data["verify_url"], timeout=10), 200)
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;" in html
    assert "<img" not in html


def test_the_published_limit_is_30_look_ups_a_minute() -> None:
    """docs/central-api.md bases its guessing odds on these numbers."""
    assert (Limits().verify_lookups_per_address, Limits().verify_window_s) == (30, 60)
