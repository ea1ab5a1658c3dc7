from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
import requests

from central_server.app import create_app
from central_server.limits import Limits
from central_server.testing import RunningServer, serve_in_thread

from .helpers import FIXED_NOW, TERMINALS, FakeClock, Kiosk


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


@pytest.fixture
def throttled() -> Iterator[Callable[..., tuple[RunningServer, FakeClock]]]:
    """A fresh server with the given limits on a clock the test moves; no synthetic data is needed."""
    servers: list[RunningServer] = []

    def start(**limits: int) -> tuple[RunningServer, FakeClock]:
        clock = FakeClock(FIXED_NOW)
        servers.append(serve_in_thread(create_app(terminals=TERMINALS, clock=clock, limits=Limits(**limits))))
        return servers[-1], clock

    yield start
    for server in servers:
        server.stop()


def _code(response: requests.Response) -> tuple[int, str]:
    return response.status_code, response.json()["code"]


def test_an_address_that_keeps_guessing_is_refused_even_the_right_secret(
    throttled: Callable[..., tuple[RunningServer, FakeClock]],
) -> None:
    server, clock = throttled(terminal_auth_failures_per_address=3, terminal_auth_window_s=300)
    guesser = Kiosk(server.base_url, source_address="127.0.0.1")
    for _ in range(3):
        assert _code(guesser.authenticate("wrong-guess")) == (401, "terminal_unauthorised")
    refused = guesser.authenticate("wrong-guess")
    assert _code(refused) == (429, "rate_limited")
    assert refused.json()["data"] == {"retry_after": 300}
    assert _code(guesser.authenticate()) == (429, "rate_limited")  # the guess is not even checked
    # Another address is not this one's business.
    assert Kiosk(server.base_url, source_address="127.0.0.2").authenticate().status_code == 200
    clock.advance(seconds=299)
    assert guesser.authenticate().json()["data"] == {"retry_after": 1}
    clock.advance(seconds=1)
    assert guesser.authenticate().status_code == 200


def test_guesses_at_one_terminal_from_many_addresses_do_not_lock_out_the_kiosk(
    throttled: Callable[..., tuple[RunningServer, FakeClock]],
) -> None:
    server, clock = throttled(terminal_auth_failures_per_terminal=3, terminal_auth_window_s=300)
    kiosk = Kiosk(server.base_url, source_address="127.0.0.1")
    assert kiosk.authenticate().status_code == 200
    for last_octet in (2, 3, 4):
        guesser = Kiosk(server.base_url, source_address=f"127.0.0.{last_octet}")
        assert _code(guesser.authenticate("wrong-guess")) == (401, "terminal_unauthorised")
    elsewhere = Kiosk(server.base_url, source_address="127.0.0.5")
    assert _code(elsewhere.authenticate()) == (429, "rate_limited")
    # The kiosk, at the address it last authenticated from, still gets its token while the guessing goes on.
    clock.advance(seconds=60)
    assert kiosk.authenticate().status_code == 200


def test_a_kiosk_re_authenticating_every_hour_is_never_throttled(
    throttled: Callable[..., tuple[RunningServer, FakeClock]],
) -> None:
    server, clock = throttled(terminal_auth_failures_per_address=1, terminal_auth_failures_per_terminal=1)
    kiosk = Kiosk(server.base_url)
    for _ in range(24):
        assert kiosk.authenticate().status_code == 200
        clock.advance(hours=1)


def test_a_forged_forwarded_for_header_does_not_buy_fresh_addresses(
    throttled: Callable[..., tuple[RunningServer, FakeClock]],
) -> None:
    # The per-address limit counts the peer the centre sees. A client that names itself another address in
    # X-Forwarded-For on every guess must still run into it (a reverse proxy in front is configured
    # explicitly, never trusted by default).
    server, _clock = throttled(terminal_auth_failures_per_address=3)
    guesser = Kiosk(server.base_url, source_address="127.0.0.1")
    answers = [
        _code(
            guesser.call(
                "POST",
                "/v1/terminal/auth",
                json={"terminal_id": guesser.terminal_id, "secret": "wrong-guess"},
                replace={"X-Forwarded-For": f"198.51.100.{n}"},
            )
        )
        for n in range(1, 6)
    ]
    assert answers[3:] == [(429, "rate_limited")] * 2


def test_behind_a_named_proxy_each_forwarded_client_address_counts_for_itself() -> None:
    # `serve --forwarded-allow-ips 127.0.0.1`: the proxy on 127.0.0.1 says who the client is; anyone
    # else's X-Forwarded-For is still ignored.
    limits = Limits(terminal_auth_failures_per_address=3, terminal_auth_failures_per_terminal=1000)
    app = create_app(demo=True, terminals=TERMINALS, limits=limits)
    with serve_in_thread(app, forwarded_allow_ips="127.0.0.1") as server:
        proxy = Kiosk(server.base_url, source_address="127.0.0.1")
        stranger = Kiosk(server.base_url, source_address="127.0.0.2")

        def guess(kiosk: Kiosk, client: str) -> tuple[int, str]:
            response = kiosk.call(
                "POST",
                "/v1/terminal/auth",
                json={"terminal_id": kiosk.terminal_id, "secret": "wrong-guess"},
                replace={"X-Forwarded-For": client},
            )
            return _code(response)

        assert [guess(proxy, "198.51.100.1") for _ in range(4)][3] == (429, "rate_limited")
        assert guess(proxy, "198.51.100.2") == (401, "terminal_unauthorised")
        assert [guess(stranger, f"198.51.100.{n}") for n in range(10, 14)][3] == (429, "rate_limited")
