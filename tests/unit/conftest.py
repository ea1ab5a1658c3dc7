"""A real reference central on loopback for the kiosk-side tests (tests may import the server; the kiosk
never does)."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from central_server.app import create_app
from central_server.testing import RunningServer, serve_in_thread
from kiosk.central import CentralClient
from kiosk.central.sequence import SequenceCounter

TERMINAL_ID = "KIOSK-TEST-01"
SECRET = "test-secret-synthetic"


@pytest.fixture(scope="module")
def central() -> Iterator[RunningServer]:
    with serve_in_thread(create_app(demo=True, terminals={TERMINAL_ID: SECRET})) as server:
        yield server


@pytest.fixture
def client(central: RunningServer, tmp_path: Path) -> Iterator[CentralClient]:
    client = CentralClient(
        central.base_url,
        terminal_id=TERMINAL_ID,
        centre_id="00012000",
        secret=SECRET,
        sequence=SequenceCounter(tmp_path / "sequence"),
        timeout_s=5,
    )
    yield client
    client.close()
