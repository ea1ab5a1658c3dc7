"""A kiosk-side client that speaks the envelope, and a clock tests can move."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import requests
from requests.adapters import HTTPAdapter

from central_server.limits import Limits

# 11:00 in the centre (UTC+8) on a Friday.
FIXED_NOW = datetime(2026, 11, 27, 3, 0, tzinfo=UTC)
TERMINALS = {"KIOSK-DEMO-01": "demo-secret-not-for-production", "KIOSK-DEMO-02": "second-kiosk-secret"}
DEMO_PASSWORD = "123456"
# For servers whose tests fail many sign-ins at one terminal without meaning to test that limit.
LENIENT = Limits(sign_in_failures_per_terminal=10_000)


class FakeClock:
    def __init__(self, now: datetime) -> None:
        self.now = now
        self.broken = False

    def __call__(self) -> datetime:
        if self.broken:
            raise RuntimeError("clock failure injected by a test")
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


class _FromAddress(HTTPAdapter):
    """Connects from the given local address (any of 127.0.0.0/8 works on loopback), so tests can be
    several clients to the server."""

    def __init__(self, address: str) -> None:
        self._address = address
        super().__init__()

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, source_address=(self._address, 0), **kwargs)


class Kiosk:
    """One terminal's view of the API: envelope headers with a rising sequence number, and its tokens."""

    def __init__(self, base_url: str, terminal_id: str = "KIOSK-DEMO-01", source_address: str = "") -> None:
        self.base_url = base_url
        self.terminal_id = terminal_id
        self.http = requests.Session()
        if source_address:
            self.http.mount("http://", _FromAddress(source_address))
        self._seq = itertools.count(1)
        self.terminal_token: str | None = None
        self.session_token: str | None = None

    def headers(self) -> dict[str, str]:
        headers = {
            "X-Channel": "50",
            "X-Terminal-Id": self.terminal_id,
            "X-Centre-Id": "00012000",
            "X-Seq-No": str(next(self._seq)),
        }
        if self.terminal_token:
            headers["Authorization"] = f"Bearer {self.terminal_token}"
        if self.session_token:
            headers["X-Citizen-Session"] = self.session_token
        return headers

    def call(
        self,
        method: str,
        path: str,
        *,
        drop: tuple[str, ...] = (),
        replace: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> requests.Response:
        headers = {name: value for name, value in self.headers().items() if name not in drop}
        headers.update(replace or {})
        return self.http.request(method, self.base_url + path, headers=headers, timeout=10, **kwargs)

    def authenticate(self, secret: str | None = None) -> requests.Response:
        response = self.call(
            "POST",
            "/v1/terminal/auth",
            json={"terminal_id": self.terminal_id, "secret": secret or TERMINALS[self.terminal_id]},
        )
        if response.status_code == 200:
            self.terminal_token = response.json()["data"]["token"]
        return response

    def login(self, id_number: str, name: str, password: str = DEMO_PASSWORD) -> requests.Response:
        self.session_token = None
        response = self.call(
            "POST", "/v1/citizen/session", json={"id_number": id_number, "name": name, "password": password}
        )
        if response.status_code == 200:
            self.session_token = response.json()["data"]["session_token"]
        return response

    def data(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.call(method, path, **kwargs)
        assert response.status_code == 200, response.text
        return response.json()["data"]


def password_of(card: dict[str, Any]) -> str:
    return "654321" if card["name"] == "司马样例" else DEMO_PASSWORD


@dataclass(frozen=True)
class Statement:
    card: dict[str, Any]
    account: dict[str, Any]
    records: list[dict[str, Any]]
    loan: dict[str, Any] | None
    loan_code: str


def without_appointments(base_url: str, cards: list[dict[str, Any]], count: int) -> list[dict[str, Any]]:
    """The first `count` demo cards whose citizen has no appointment at all, past or booked: the seeded
    counter history (central_server/seed_history.py) gives most citizens some."""
    chosen: list[dict[str, Any]] = []
    for card in cards:
        kiosk = Kiosk(base_url)
        kiosk.authenticate()
        if kiosk.login(card["id_number"], card["name"], password_of(card)).status_code != 200:
            continue
        if not kiosk.data("GET", "/v1/citizen/appointments"):
            chosen.append(card)
            if len(chosen) == count:
                return chosen
    raise AssertionError(f"the seed has fewer than {count} citizens without appointments")
