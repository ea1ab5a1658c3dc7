"""Every console route, listed with the role it needs: an anonymous visitor is sent to sign in, a user of
the role below is refused, and a post without the form's CSRF token is refused, whichever route it is.
A route added without a line here fails the first test, so none is left unguarded by oversight."""

from __future__ import annotations

import re

import pytest

from central_server.console import fleet, operators, rollouts, scorecard, sign_in, terminals, work
from central_server.console.accounts import Role
from tests.console.conftest import Console

VIEWER, OPERATOR, ADMIN = Role.VIEWER, Role.OPERATOR, Role.ADMINISTRATOR
# (method, path) -> the lowest role that may use it; None: open to anyone (signing in, the language).
ROUTES: dict[tuple[str, str], Role | None] = {
    ("GET", "/console"): None,
    ("GET", "/console/login"): None,
    ("POST", "/console/login"): None,
    ("GET", "/console/language/{language}"): None,
    ("POST", "/console/logout"): VIEWER,
    ("GET", "/console/audit"): ADMIN,
    ("GET", "/console/fleet"): VIEWER,
    ("GET", "/console/fleet/table"): VIEWER,
    ("GET", "/console/fleet/{terminal_id}"): VIEWER,
    ("POST", "/console/fleet/help/{request_id}/{action}"): OPERATOR,
    ("GET", "/console/rollouts"): VIEWER,
    ("GET", "/console/rollouts/new"): OPERATOR,
    ("POST", "/console/rollouts/new"): OPERATOR,
    ("GET", "/console/rollouts/prepare"): OPERATOR,
    ("POST", "/console/rollouts/prepare"): OPERATOR,
    ("GET", "/console/rollouts/{version}"): VIEWER,
    ("POST", "/console/rollouts/{version}/{action}"): OPERATOR,
    ("GET", "/console/scorecard"): VIEWER,
    ("GET", "/console/scorecard.csv"): VIEWER,
    ("GET", "/console/cases"): VIEWER,
    ("GET", "/console/cases/{case_id}"): VIEWER,
    ("POST", "/console/cases/{case_id}/assign"): OPERATOR,
    ("POST", "/console/cases/{case_id}/note"): OPERATOR,
    ("POST", "/console/cases/{case_id}/callback"): OPERATOR,
    ("POST", "/console/cases/{case_id}/close"): OPERATOR,
    ("GET", "/console/alerts"): VIEWER,
    ("POST", "/console/alerts/{alert_id}/ack"): OPERATOR,
    ("GET", "/console/customers"): OPERATOR,
    ("POST", "/console/customers"): OPERATOR,
    ("POST", "/console/customers/unmasked"): ADMIN,
    ("GET", "/console/terminals"): ADMIN,
    ("POST", "/console/terminals"): ADMIN,
    ("POST", "/console/terminals/{terminal_id}/revoke"): ADMIN,
    ("GET", "/console/operators"): ADMIN,
    ("POST", "/console/operators"): ADMIN,
    ("POST", "/console/operators/{username}/role"): ADMIN,
    ("POST", "/console/operators/{username}/password"): ADMIN,
    ("POST", "/console/operators/{username}/disable"): ADMIN,
    ("POST", "/console/operators/{username}/enable"): ADMIN,
    ("POST", "/console/operators/{username}/unlock"): ADMIN,
}
GUARDED = [(method, path, role) for (method, path), role in ROUTES.items() if role is not None]
BELOW = {Role.OPERATOR: Role.VIEWER, Role.ADMINISTRATOR: Role.OPERATOR}
_EXAMPLE = {
    "terminal_id": "KIOSK-HALL1-01",
    "version": "1",
    "request_id": "1",
    "action": "pause",
    "case_id": "1",
    "alert_id": "1",
    "username": "viewer.test",
}


def _url(path: str) -> str:
    return re.sub(r"{(\w+)}", lambda m: _EXAMPLE[m.group(1)], path)


def test_every_console_route_is_listed_with_its_role() -> None:
    served = {
        (method, route.path)
        for module in (sign_in, fleet, rollouts, scorecard, work, terminals, operators)
        for route in module.router.routes
        for method in route.methods  # type: ignore[attr-defined]
    }
    assert served == set(ROUTES)


@pytest.mark.parametrize(("method", "path", "role"), GUARDED, ids=[f"{m} {p}" for m, p, _ in GUARDED])
def test_anonymous_visitors_are_sent_to_sign_in(console: Console, method: str, path: str, role: Role) -> None:
    response = console.session(None).request(method, _url(path), data={"csrf_token": "x"})
    if method == "GET":
        assert response.status_code == 303 and response.headers["location"].startswith("/console/login?next=")
    else:
        assert response.status_code == 401


@pytest.mark.parametrize(
    ("method", "path", "role"),
    [g for g in GUARDED if g[2] in BELOW],
    ids=[f"{m} {p}" for m, p, r in GUARDED if r in BELOW],
)
def test_the_role_below_is_refused(console: Console, method: str, path: str, role: Role) -> None:
    session = console.session(BELOW[role])
    data = {"csrf_token": session.csrf()}
    response = session.request(method, _url(path), data=data)
    assert response.status_code == 403 and "您无权打开此页面" in response.text


@pytest.mark.parametrize(
    ("method", "path", "role"),
    [g for g in GUARDED if g[0] == "POST"],
    ids=[f"{m} {p}" for m, p, r in GUARDED if m == "POST"],
)
def test_a_post_without_the_forms_token_is_refused(
    console: Console, method: str, path: str, role: Role
) -> None:
    response = console.session(Role.ADMINISTRATOR).post(_url(path), data={})
    assert response.status_code == 403 and "页面已过期" in response.text
