"""A full disk, for real: SQLite's max_page_count on the outbox's own connection makes every write that
needs one more page fail with SQLITE_FULL, exactly as a full file system does. The citizen gets a clear
refusal (OutboxFull, bound "disk"), the forwarder still drains, and delivering makes room again."""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi import FastAPI

from central_server.testing import RunningServer
from kiosk.central import CentralClient
from kiosk.offline_queue import Forwarder, Outbox, OutboxFull, RetryPolicy

from .central_records import applied
from .conftest import TERMINAL_ID
from .synthetic import Visit, pre_registration


def _fill_the_disk(
    outbox: Outbox, rng: random.Random, room_pages: int, prefix: str, visit: Visit
) -> dict[str, dict[str, object]]:
    """Let the database grow by `room_pages` pages, then enqueue the visit's pre-registrations until the disk
    refuses one (not withdrawals: the centre grants a citizen one a year, and these are all delivered);
    returns the payloads taken by key."""
    driver = outbox._conn.connection.driver_connection
    pages = driver.execute("PRAGMA page_count").fetchone()[0]
    driver.execute(f"PRAGMA max_page_count = {pages + room_pages}")
    taken = {}
    while True:
        payload = visit.owns(pre_registration(rng))
        # Keys of one length and order (as the visit flow makes them), so the pages fill alike each run.
        key = f"{prefix}-{len(taken):06d}"
        try:
            outbox.enqueue("pre_registration", payload, idempotency_key=key, visit_ticket=visit.ticket)
        except OutboxFull as full:
            assert full.bound == "disk" and full.message_key == "outbox_full"
            assert "disk" in str(full) and "120199" not in str(full)
            return taken
        taken[key] = payload
        assert len(taken) < 1000, "the disk never filled up"


# How full pages are when the disk fills varies with the room; claiming and delivering must work at each.
@pytest.mark.parametrize("room_pages", [5, 12, 24, 40])
def test_a_full_disk_refuses_clearly_and_delivering_makes_room_again(
    room_pages: int,
    tmp_path: Path,
    central: RunningServer,
    central_app: FastAPI,
    make_client: Callable[[str], CentralClient],
    visit: Visit,
) -> None:
    rng = random.Random(51)
    outbox = Outbox.open(tmp_path)
    taken = _fill_the_disk(
        outbox, rng, room_pages, prefix=f"full-disk-{room_pages:03d}-{rng.getrandbits(32):08x}", visit=visit
    )
    keys = list(taken)
    assert len(keys) >= 10
    # A key already taken still gets its first receipt, full disk or not; a new one is refused.
    again = outbox.enqueue(
        "pre_registration", taken[keys[0]], idempotency_key=keys[0], visit_ticket=visit.ticket
    )
    assert again.idempotency_key == keys[0]
    with pytest.raises(OutboxFull):
        outbox.enqueue("pre_registration", visit.owns(pre_registration(rng)), visit_ticket=visit.ticket)

    # Claiming writes nothing (in flight is the forwarder's, in memory), so it cannot need a page either.
    driver = outbox._conn.connection.driver_connection
    changes = driver.total_changes
    claimed, _ = outbox.claim(100)
    assert claimed and driver.total_changes == changes
    outbox.record_failure(claimed, "a test's own failure", blamed=False, retry_in_s=0, max_attempts=10)

    forwarder = Forwarder(outbox, make_client(central.base_url), retry=RetryPolicy(base_s=0.01, cap_s=0.02))
    for _ in range(50):
        if not outbox.usage().rows:
            break
        forwarder.step()
    assert outbox.usage().rows == 0, "the forwarder could not drain a full outbox"
    at_central = applied(central_app, TERMINAL_ID)
    assert all(at_central[key] == 1 for key in keys)

    # The room that delivery freed takes new transactions again.
    more = [outbox.enqueue("pre_registration", pre_registration(rng)) for _ in range(5)]
    assert len(more) == 5
    outbox.close()
