"""Servers of their own for tests that change citizens' data (passwords, applications): each on a fresh copy
of one seeded SQLite file, so nothing they do reaches the shared servers or another test."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi import APIRouter, FastAPI
from sqlalchemy import select

from central_server.app import DEFAULT_SEED, create_app
from central_server.models import Citizen
from central_server.seed import DEMO_PASSWORD, OTHER_PASSWORD_NAME
from central_server.testing import RunningServer, serve_in_thread

from .helpers import FIXED_NOW, LENIENT, TERMINALS, FakeClock, Kiosk


@dataclass
class OwnServer:
    server: RunningServer
    clock: FakeClock
    app: FastAPI

    def kiosk(self, terminal_id: str = "KIOSK-DEMO-01") -> Kiosk:
        kiosk = Kiosk(self.server.base_url, terminal_id)
        assert kiosk.authenticate().status_code == 200
        return kiosk

    def citizens(self, where: Callable[[Citizen], bool]) -> list[tuple[str, str]]:
        """(ID number, name) of the citizens with the demo password for whom `where` holds."""
        with self.app.state.context.db.transaction() as session:
            return [
                (citizen.id_number, citizen.name)
                for citizen in session.scalars(select(Citizen).order_by(Citizen.id))
                if citizen.name != OTHER_PASSWORD_NAME and where(citizen)
            ]

    def signed_in(self, citizen: tuple[str, str], terminal_id: str = "KIOSK-DEMO-01") -> Kiosk:
        kiosk = self.kiosk(terminal_id)
        assert kiosk.login(*citizen, DEMO_PASSWORD).status_code == 200
        return kiosk


StartServer = Callable[..., OwnServer]


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
