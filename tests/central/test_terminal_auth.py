from __future__ import annotations

from central_server.testing import RunningServer

from .helpers import FakeClock, Kiosk


def test_right_secret_gives_a_token_for_an_hour(demo_server: RunningServer) -> None:
    kiosk = Kiosk(demo_server.base_url)
    response = kiosk.authenticate()
    assert response.status_code == 200
    body = response.json()
    assert body["code"] == "ok"
    assert body["data"]["expires_in"] == 3600
    assert kiosk.call("GET", "/v1/demo/cards").status_code == 200


def test_wrong_secret_unknown_terminal_and_mismatched_body_are_refused(demo_server: RunningServer) -> None:
    kiosk = Kiosk(demo_server.base_url)
    wrong_secret = kiosk.authenticate(secret="not-the-secret")
    unknown = kiosk.call("POST", "/v1/terminal/auth", json={"terminal_id": "KIOSK-NOPE", "secret": "x"})
    other_body = kiosk.call(
        "POST", "/v1/terminal/auth", json={"terminal_id": "KIOSK-DEMO-02", "secret": "second-kiosk-secret"}
    )
    for response in (wrong_secret, unknown, other_body):
        assert response.status_code == 401
        assert response.json()["code"] == "terminal_unauthorised"
        assert response.json()["data"] is None


def test_requests_without_or_with_a_bad_token_are_refused(demo_server: RunningServer) -> None:
    kiosk = Kiosk(demo_server.base_url)
    missing = kiosk.call("GET", "/v1/demo/cards")
    kiosk.terminal_token = "forged"
    forged = kiosk.call("GET", "/v1/demo/cards")
    not_bearer = kiosk.call("GET", "/v1/demo/cards", replace={"Authorization": "Basic Zm9vOmJhcg=="})
    for response in (missing, forged, not_bearer):
        assert response.status_code == 401
        assert response.json()["code"] == "terminal_unauthorised"


def test_a_token_serves_only_the_terminal_it_was_issued_to(demo_server: RunningServer) -> None:
    first = Kiosk(demo_server.base_url, "KIOSK-DEMO-01")
    first.authenticate()
    second = Kiosk(demo_server.base_url, "KIOSK-DEMO-02")
    second.terminal_token = first.terminal_token
    response = second.call("GET", "/v1/demo/cards")
    assert response.status_code == 401
    assert response.json()["code"] == "terminal_unauthorised"


def test_a_token_expires_after_an_hour(clocked_kiosk: Kiosk, clock: FakeClock) -> None:
    clock.advance(minutes=59)
    assert clocked_kiosk.call("GET", "/v1/citizen/account").json()["code"] == "session_expired"
    clock.advance(minutes=1)
    response = clocked_kiosk.call("GET", "/v1/citizen/account")
    assert response.status_code == 401
    assert response.json()["code"] == "terminal_unauthorised"
