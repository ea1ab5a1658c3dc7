"""A demo centre with its console on a real loopback socket, three kiosks in two groups, an operator signing
key the centre trusts, and one signed-in HTTP session per role."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
from fastapi import FastAPI
from itsdangerous import URLSafeTimedSerializer

from central_server.app import create_app
from central_server.console import accounts
from central_server.console.accounts import Role
from central_server.console.web import SESSION_COOKIE
from central_server.terminals import TerminalRecord
from central_server.testing import RunningServer, serve_in_thread
from kiosk.remote_config.bundle import generate_keypair

OPERATOR_TOKEN = "console-test-operator-token"
TERMINALS = {
    "KIOSK-HALL1-01": TerminalRecord("KIOSK-HALL1-01", "hall1-first-secret-synthetic", "hall-1"),
    "KIOSK-HALL1-02": TerminalRecord("KIOSK-HALL1-02", "hall1-second-secret-synthetic", "hall-1"),
    "KIOSK-HALL2-01": TerminalRecord("KIOSK-HALL2-01", "hall2-first-secret-synthetic", "hall-2"),
}
# One account per role; passwords are synthetic and obviously so.
USERS = {
    Role.VIEWER: ("viewer.test", "viewer-password-synthetic"),
    Role.OPERATOR: ("operator.test", "operator-password-synthetic"),
    Role.ADMINISTRATOR: ("admin.test", "admin-password-synthetic"),
}


@dataclass
class Console:
    """The running centre and its console."""

    server: RunningServer
    app: FastAPI
    signing_key: Path  # the private key of an operator the centre trusts (kiosk-admin sign --key)

    @property
    def base_url(self) -> str:
        return self.server.base_url

    def session(self, role: Role | None) -> ConsoleSession:
        """A fresh HTTP session, signed in as the role's account (None: anonymous)."""
        session = ConsoleSession(self)
        if role is not None:
            session.sign_in(*USERS[role])
        return session


class ConsoleSession(requests.Session):
    """requests.Session on the console: relative paths, no redirects followed, CSRF token on every post."""

    def __init__(self, console: Console) -> None:
        super().__init__()
        self.console = console

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
        kwargs["allow_redirects"] = False  # requests.get would follow them: tests look at each answer
        kwargs.setdefault("timeout", 30)
        return super().request(method, self.console.base_url + str(url), *args, **kwargs)

    def sign_in(self, username: str, password: str) -> requests.Response:
        form = self.get("/console/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
        assert token is not None, form.text
        response = self.post(
            "/console/login",
            data={"username": username, "password": password, "csrf_token": token.group(1)},
        )
        return response

    def csrf(self) -> str:
        cookie = self.cookies.get(SESSION_COOKIE)
        assert cookie, "not signed in"
        secret = self.console.app.state.console.secret
        token: str = URLSafeTimedSerializer(secret, salt="console-session").loads(cookie)["csrf"]
        return token

    def submit(self, path: str, data: dict[str, Any] | None = None, **kwargs: Any) -> requests.Response:
        """POST a form as the page's own form would: with this session's CSRF token."""
        return self.post(path, data={**(data or {}), "csrf_token": self.csrf()}, **kwargs)


@contextmanager
def running_console(keys: Path) -> Iterator[Console]:
    """A demo centre trusting a fresh operator key made in `keys`, with the role accounts, on loopback."""
    private, public = generate_keypair(keys)
    app = create_app(
        demo=True,
        terminals=TERMINALS,
        operator_tokens=[OPERATOR_TOKEN],
        operator_keys=[public],
        console_secure_cookies=False,
    )
    with app.state.context.db.transaction() as session:
        for role, (username, password) in USERS.items():
            accounts.add(session, username, password, role, now=0)
    with serve_in_thread(app) as server:
        yield Console(server, app, private)


@pytest.fixture(scope="session")
def console(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Console]:
    with running_console(tmp_path_factory.mktemp("operator-keys")) as running:
        yield running
