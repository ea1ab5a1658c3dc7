"""Servers on real loopback sockets: a demo one on a fixed clock, and one on a clock tests may move.

With CENTRAL_TEST_DB=postgresql the whole suite runs on a real PostgreSQL (`postgres_database`)."""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import APIRouter, FastAPI
from sqlalchemy import make_url
from sqlalchemy.engine import Engine

from central_server import db as central_db
from central_server.app import DEFAULT_SEED, create_app
from central_server.testing import RunningServer, serve_in_thread
from tests.postgres_support import PostgresServer

from .helpers import FIXED_NOW, LENIENT, TERMINALS, FakeClock, Kiosk, Statement, password_of
from .seeded_copies import OwnServer, StartServer
from .visits import Visitor, sign_in

ON_POSTGRES = os.environ.get("CENTRAL_TEST_DB", "sqlite") == "postgresql"


# Tests of how SQLite itself behaves, which have no meaning on PostgreSQL; test_migrations.py covers what
# PostgreSQL needs in their place.
_SQLITE_ONLY = {
    # reads the text SQLite stores an instant as
    "test_intake_times.py::test_the_same_wall_time_in_two_offsets_is_stored_eight_hours_apart",
    # SQLite's EXPLAIN QUERY PLAN
    "test_customer_indexes.py::test_one_citizens_applications_are_read_through_an_index",
    "test_customer_indexes.py::test_one_citizens_pre_registrations_are_read_through_an_index",
    # SQLite's exception class for a missing table
    "test_database.py::test_sql_errors_never_carry_bound_values",
}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    if not ON_POSTGRES:
        return
    for item in items:
        if item.nodeid.partition("tests/central/")[2] in _SQLITE_ONLY:
            item.add_marker(pytest.mark.skip(reason="tests SQLite's own behaviour"))


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """This worker's PostgreSQL server (each xdist worker starts its own, on a socket in its own
    directory)."""
    try:
        server = PostgresServer()
    except FileNotFoundError as exc:
        pytest.fail(str(exc), pytrace=False)
    yield server
    server.stop()


@pytest.fixture(scope="session", autouse=ON_POSTGRES)
def postgres_database(postgres_server: PostgresServer) -> Iterator[None]:
    """Puts every database the tests open on this worker's PostgreSQL server, so the tests, written with
    SQLite URLs, run unchanged on PostgreSQL: each in-memory URL gets a new database, and each SQLite file
    path one database, named in the file. Copying such a file (the tests' way to start from a seeded
    centre) copies the name; opening the copy gives it a copy of that database. Only this process is
    redirected: the CLI tests' subprocesses stay on SQLite."""
    server = postgres_server
    real_make_engine = central_db.make_engine
    # A migrated database to copy: each test database starts at the head revision without migrating.
    template = server.create_database()
    migrated = central_db.Database(server.url(template))
    migrated.create_schema()
    migrated.engine.dispose()

    def make_engine(url: str) -> Engine:
        parsed = make_url(url)
        if parsed.get_backend_name() != "sqlite":
            return real_make_engine(url)
        if parsed.database in (None, "", ":memory:"):
            return real_make_engine(server.url(server.create_database(template)))
        path = Path(parsed.database)
        if not path.parent.is_dir():
            return real_make_engine(url)  # the centre's own error for a file it cannot create
        if path.exists() and path.read_bytes().startswith(b"SQLite format 3"):
            return real_make_engine(url)  # a real SQLite file a subprocess made: the test reads it as such
        # The file holds its database's name and the path it was written at: at another path it is a copy.
        here = hashlib.sha256(str(path).encode()).hexdigest()[:16]
        held = path.read_text().split() if path.exists() else []
        if len(held) == 2 and held[1] == here:
            return real_make_engine(server.url(held[0]))
        name = server.create_database(held[0] if held else template)
        path.write_text(f"{name} {here}")
        return real_make_engine(server.url(name))

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(central_db, "make_engine", make_engine)
        yield


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
