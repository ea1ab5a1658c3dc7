"""Servers on real loopback sockets: a demo one on a fixed clock, and one on a clock tests may move."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import APIRouter, FastAPI

from central_server.app import DEFAULT_SEED, create_app
from central_server.testing import RunningServer, serve_in_thread

from .helpers import FIXED_NOW, LENIENT, TERMINALS, FakeClock, Kiosk, Statement, password_of
from .seeded_copies import OwnServer, StartServer
from .visits import Visitor, sign_in


@pytest.fixture(scope="session")
def demo_app() -> FastAPI:
    return create_app(demo=True, terminals=TERMINALS, clock=lambda: FIXED_NOW)


@pytest.fixture(scope="session")
def demo_server(demo_app: FastAPI) -> Iterator[RunningServer]:
    """Demo mode on a clock that never moves; tests here must not lock anyone's password."""
    with serve_in_thread(demo_app) as server:
        yield server


@pytest.fixture
def kiosk(demo_server: RunningServer) -> Kiosk:
    kiosk = Kiosk(demo_server.base_url)
    assert kiosk.authenticate().status_code == 200
    return kiosk


@pytest.fixture(scope="session")
def cards(demo_server: RunningServer) -> list[dict[str, Any]]:
    kiosk = Kiosk(demo_server.base_url)
    kiosk.authenticate()
    return kiosk.data("GET", "/v1/demo/cards")


@pytest.fixture(scope="session")
def visitor(demo_server: RunningServer, cards: list[dict[str, Any]]) -> Visitor:
    """A citizen signed in at KIOSK-DEMO-01 on the demo server; the ticket lasts as its clock never moves."""
    kiosk = Kiosk(demo_server.base_url)
    kiosk.authenticate()
    return sign_in(kiosk, cards[0])


@pytest.fixture(scope="session")
def session_clock() -> FakeClock:
    return FakeClock(FIXED_NOW)


@pytest.fixture(scope="session")
def clocked_server(session_clock: FakeClock) -> Iterator[RunningServer]:
    """Not in demo mode, on a clock tests may move (through `clock`). Same seed and day as the demo server,
    so the demo cards name its citizens too. The tests here fail many sign-ins from one terminal; the
    per-terminal limit has tests of its own."""
    app = create_app(terminals=TERMINALS, seed=DEFAULT_SEED, clock=session_clock, limits=LENIENT)
    with serve_in_thread(app) as server:
        yield server


@pytest.fixture
def clock(session_clock: FakeClock) -> Iterator[FakeClock]:
    yield session_clock
    session_clock.now = FIXED_NOW
    session_clock.broken = False


@pytest.fixture
def clocked_kiosk(clocked_server: RunningServer, clock: FakeClock) -> Kiosk:
    kiosk = Kiosk(clocked_server.base_url)
    assert kiosk.authenticate().status_code == 200
    return kiosk


@pytest.fixture(scope="session")
def statements(demo_server: RunningServer, cards: list[dict[str, Any]]) -> list[Statement]:
    """Every citizen's account, all deposit records (newest first) and loan, fetched over HTTP once."""
    kiosk = Kiosk(demo_server.base_url)
    kiosk.authenticate()
    result = []
    for card in cards:
        assert kiosk.login(card["id_number"], card["name"], password_of(card)).status_code == 200
        records: list[dict[str, Any]] = []
        page = 1
        while True:
            data = kiosk.data("GET", f"/v1/citizen/deposits?page={page}&page_size=100")
            records += data["items"]
            if len(records) >= data["total"]:
                break
            page += 1
        loan = kiosk.call("GET", "/v1/citizen/loan")
        result.append(
            Statement(
                card=card,
                account=kiosk.data("GET", "/v1/citizen/account"),
                records=records,
                loan=loan.json()["data"] if loan.status_code == 200 else None,
                loan_code=loan.json()["code"],
            )
        )
        kiosk.call("DELETE", "/v1/citizen/session")
    return result


# Servers on copies of one seeded SQLite file, for tests that change the centre's data.
@pytest.fixture(scope="module")
def seeded_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("seeded") / "central.db"
    create_app(f"sqlite:///{path}", seed=DEFAULT_SEED, clock=lambda: FIXED_NOW)
    return path


@pytest.fixture
def start_server(seeded_file: Path, tmp_path: Path) -> Iterator[StartServer]:
    """Starts a server on a fresh copy; `routers` are added to it (tests' own routes)."""
    servers: list[RunningServer] = []

    def start(*routers: APIRouter) -> OwnServer:
        path = tmp_path / f"central-{len(servers)}.db"
        shutil.copy(seeded_file, path)
        clock = FakeClock(FIXED_NOW)
        app = create_app(f"sqlite:///{path}", terminals=TERMINALS, clock=clock, limits=LENIENT)
        for router in routers:
            app.include_router(router)
        servers.append(serve_in_thread(app))
        return OwnServer(servers[-1], clock, app)

    yield start
    for server in servers:
        server.stop()
