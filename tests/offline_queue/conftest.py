"""A real central on loopback and real outboxes in temporary directories."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI

from central_server.app import DEFAULT_SEED, create_app
from central_server.testing import RunningServer, serve_in_thread
from kiosk.central import CentralClient
from kiosk.central.sequence import SequenceCounter
from kiosk.offline_queue import Outbox

from .central_records import visit_at
from .synthetic import Visit

TERMINAL_ID = "KIOSK-OUTBOX-01"
SECRET = "outbox-test-secret-synthetic"


@pytest.fixture(scope="module")
def central_app() -> FastAPI:
    """Seeded: a citizen's transactions need a visit ticket, and a ticket needs a citizen (visit)."""
    return create_app(terminals={TERMINAL_ID: SECRET}, seed=DEFAULT_SEED)


@pytest.fixture(scope="module")
def central(central_app: FastAPI) -> Iterator[RunningServer]:
    with serve_in_thread(central_app) as server:
        yield server


@pytest.fixture
def visit(central_app: FastAPI) -> Visit:
    return visit_at(central_app, TERMINAL_ID)


@pytest.fixture
def make_client(tmp_path: Path) -> Iterator[Callable[[str], CentralClient]]:
    clients: list[CentralClient] = []
    sequence = SequenceCounter(tmp_path / "sequence")

    def make(base_url: str, timeout_s: float = 5.0) -> CentralClient:
        client = CentralClient(
            base_url,
            terminal_id=TERMINAL_ID,
            centre_id="00012000",
            secret=SECRET,
            sequence=sequence,
            timeout_s=timeout_s,
        )
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def outbox(tmp_path: Path) -> Iterator[Outbox]:
    box = Outbox.open(tmp_path / "outbox")
    yield box
    box.close()
