"""A kiosk whose sign-ins the centre pauses tells the citizen so calmly, against a real central."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from central_server.app import create_app
from central_server.limits import Limits
from central_server.testing import RunningServer, serve_in_thread
from kiosk.central import CentralClient
from kiosk.central.sequence import SequenceCounter
from kiosk.services.citizen import CardHolder, CitizenService, SignIn

TERMINAL_ID = "KIOSK-TEST-02"
SECRET = "test-secret-synthetic"


@pytest.fixture
def strict_central() -> Iterator[RunningServer]:
    app = create_app(
        demo=True, terminals={TERMINAL_ID: SECRET}, limits=Limits(sign_in_failures_per_terminal=2)
    )
    with serve_in_thread(app) as server:
        yield server


def test_a_paused_kiosk_says_try_later(strict_central: RunningServer, tmp_path: Path) -> None:
    client = CentralClient(
        strict_central.base_url,
        terminal_id=TERMINAL_ID,
        centre_id="00012000",
        secret=SECRET,
        sequence=SequenceCounter(tmp_path / "sequence"),
        timeout_s=5,
    )
    card = client.demo_cards()[0]
    service = CitizenService(client)
    service.begin_visit(CardHolder(card.name, card.id_number, "resident", False))
    assert service.sign_in("000000").outcome is SignIn.WRONG_PASSWORD
    assert service.sign_in("000001").outcome is SignIn.WRONG_PASSWORD
    assert service.sign_in("123456").outcome is SignIn.RATE_LIMITED
    client.close()
