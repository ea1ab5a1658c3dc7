"""Signing in to the console: the right password opens a session, a wrong one does not, repeated wrong ones
lock the account, the form needs its CSRF token, and every attempt is in the operator log."""

from __future__ import annotations

import re

from central_server.console.accounts import LOCK_AFTER, Role
from tests.console.conftest import USERS, Console


def test_pages_send_an_anonymous_visitor_to_the_sign_in_form(console: Console) -> None:
    anonymous = console.session(None)
    response = anonymous.get("/console/audit?x=1")
    assert response.status_code == 303
    assert response.headers["location"] == "/console/login?next=/console/audit%3Fx%3D1"
    htmx = anonymous.get("/console/audit", headers={"HX-Request": "true"})
    assert htmx.status_code == 401 and htmx.headers["HX-Redirect"].startswith("/console/login")


def test_the_right_password_signs_in_and_goes_where_the_operator_was_going(console: Console) -> None:
    browser = console.session(None)
    form = browser.get("/console/login?next=/console/audit")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text).group(1)  # type: ignore[union-attr]
    username, password = USERS[Role.ADMINISTRATOR]
    response = browser.post(
        "/console/login",
        data={"username": username, "password": password, "csrf_token": token, "next": "/console/audit"},
    )
    assert response.status_code == 303 and response.headers["location"] == "/console/audit"
    cookie = next(c for c in browser.cookies if c.name == "hpf_console")
    assert cookie.has_nonstandard_attr("HttpOnly") and cookie.path == "/console"
    assert browser.get("/console/audit").status_code == 200


def test_a_sign_in_link_cannot_send_the_operator_off_the_console(console: Console) -> None:
    browser = console.session(None)
    form = browser.get("/console/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text).group(1)  # type: ignore[union-attr]
    username, password = USERS[Role.VIEWER]
    response = browser.post(
        "/console/login",
        data={
            "username": username,
            "password": password,
            "csrf_token": token,
            "next": "https://evil.example/",
        },
    )
    assert response.headers["location"] == "/console/fleet"


def test_the_sign_in_form_needs_its_csrf_token(console: Console) -> None:
    browser = console.session(None)
    browser.get("/console/login")
    username, password = USERS[Role.VIEWER]
    response = browser.post("/console/login", data={"username": username, "password": password})
    assert response.status_code == 403 and "hpf_console" not in browser.cookies


def test_wrong_passwords_lock_the_account_and_the_right_one_waits_too(console: Console) -> None:
    from central_server.console import accounts

    with console.app.state.context.db.transaction() as session:
        accounts.add(session, "locked.test", "locked-password-synthetic", Role.VIEWER, now=0)
    browser = console.session(None)
    answers = [browser.sign_in("locked.test", "not-the-password").status_code for _ in range(LOCK_AFTER)]
    assert answers == [401] * (LOCK_AFTER - 1) + [429]
    assert browser.sign_in("locked.test", "locked-password-synthetic").status_code == 429
    admin = console.session(Role.ADMINISTRATOR)
    log = admin.get("/console/audit").text
    assert log.count("locked.test") >= LOCK_AFTER + 1


def test_signing_out_needs_the_token_and_ends_the_session(console: Console) -> None:
    viewer = console.session(Role.VIEWER)
    assert viewer.post("/console/logout").status_code == 403
    assert viewer.submit("/console/logout").status_code == 303
    viewer.cookies.clear()
    assert viewer.get("/console/audit").status_code == 303


def test_a_lower_role_is_refused_with_a_page_that_says_why(console: Console) -> None:
    viewer = console.session(Role.VIEWER)
    response = viewer.get("/console/audit")
    assert response.status_code == 403 and "您无权打开此页面" in response.text
