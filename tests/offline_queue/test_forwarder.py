"""The forwarder against a real central: delivery, connectivity events, silence versus errors."""

from __future__ import annotations

import random
import socket
import time
from collections.abc import Callable
from pathlib import Path

from fastapi import FastAPI

from central_server.testing import RunningServer
from kiosk.central import CentralClient
from kiosk.offline_queue import Connectivity, ConnectivityChanged, Forwarder, Outbox, RetryPolicy
from kiosk.offline_queue.events import OutboxEvent
from kiosk.offline_queue.staff import OutboxAdmin
from kiosk.offline_queue.states import State

from .central_records import applied
from .chaos_proxy import ChaosProxy
from .conftest import TERMINAL_ID
from .synthetic import Visit, rating, transaction

FAST = RetryPolicy(base_s=0.001, cap_s=0.002, max_attempts=3)


def _closed_port() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"


def _counts(data_dir: Path) -> dict[State, int]:
    admin = OutboxAdmin(data_dir)
    counts = admin.status().counts
    admin.close()
    return counts


def _run_until_idle(forwarder: Forwarder, steps: int = 200) -> None:
    for _ in range(steps):
        wait = forwarder.step()
        if wait > FAST.cap_s:
            return
        time.sleep(wait)


def test_the_thread_delivers_what_is_enqueued_and_reports_online(
    tmp_path: Path,
    central: RunningServer,
    central_app: FastAPI,
    make_client: Callable[[str], CentralClient],
    visit: Visit,
) -> None:
    outbox = Outbox.open(tmp_path)
    events: list[OutboxEvent] = []
    outbox.events.subscribe(events.append)
    forwarder = Forwarder(outbox, make_client(central.base_url), retry=FAST)
    forwarder.start()
    rng = random.Random(41)
    keys = [
        outbox.enqueue(*transaction(rng, visit), visit_ticket=visit.ticket).idempotency_key
        for _ in range(250)
    ]
    deadline = time.monotonic() + 30
    while outbox.usage().rows and time.monotonic() < deadline:
        time.sleep(0.02)
    forwarder.stop()
    outbox.close()
    assert all(applied(central_app, TERMINAL_ID)[key] == 1 for key in keys)
    assert _counts(tmp_path)[State.DELIVERED] == 250
    online = [e for e in events if isinstance(e, ConnectivityChanged)]
    assert online[0].state is Connectivity.ONLINE and online[0].last_success_at is not None
    assert forwarder.connectivity.state is Connectivity.ONLINE


def test_an_unreachable_centre_goes_offline_and_never_kills_a_row(
    tmp_path: Path, make_client: Callable[[str], CentralClient]
) -> None:
    outbox = Outbox.open(tmp_path)
    events: list[OutboxEvent] = []
    outbox.events.subscribe(events.append)
    outbox.enqueue("rating", rating(random.Random(42)))
    forwarder = Forwarder(outbox, make_client(_closed_port()), retry=FAST, offline_after=3)
    for _ in range(3 * FAST.max_attempts + 5):
        forwarder.step()
        time.sleep(FAST.cap_s)
    outbox.close()
    states = [e.state for e in events if isinstance(e, ConnectivityChanged)]
    assert states == [Connectivity.DEGRADED, Connectivity.OFFLINE]
    assert forwarder.connectivity.last_success_at is None
    assert _counts(tmp_path)[State.PENDING] == 1


def test_a_centre_that_keeps_failing_dead_letters_after_max_attempts_then_staff_retry_delivers(
    tmp_path: Path, central: RunningServer, central_app: FastAPI, make_client: Callable[[str], CentralClient]
) -> None:
    outbox = Outbox.open(tmp_path)
    rng = random.Random(43)
    keys = [outbox.enqueue("rating", rating(rng)).idempotency_key for _ in range(4)]
    with ChaosProxy(central.base_url, {"error500": 1.0}, seed=1) as proxy:
        broken = Forwarder(outbox, make_client(proxy.base_url), retry=FAST)
        _run_until_idle(broken)
    admin = OutboxAdmin(tmp_path)
    rows = admin.rows()
    assert [row.state for row in rows] == [State.DEAD] * 4 and proxy.counts["error500"] > 0
    assert [row.attempts for row in rows] == [FAST.max_attempts] * 4
    assert all(row.last_error and "HTTP 500" in row.last_error for row in rows)
    assert admin.retry_dead(int(time.time() * 1000)) == 4
    admin.close()
    _run_until_idle(Forwarder(outbox, make_client(central.base_url), retry=FAST))
    outbox.close()
    assert all(applied(central_app, TERMINAL_ID)[key] == 1 for key in keys)


class _Longest(random.Random):
    """Full jitter drawn at its ceiling: every backoff as long as the policy allows."""

    def uniform(self, a: float, b: float) -> float:
        return b


def test_an_offline_forwarder_delivers_soon_after_the_network_is_back_not_after_its_backoff(
    tmp_path: Path,
    central: RunningServer,
    central_app: FastAPI,
    make_client: Callable[[str, float], CentralClient],
) -> None:
    outbox = Outbox.open(tmp_path)
    key = outbox.enqueue("rating", rating(random.Random(44))).idempotency_key
    with ChaosProxy(central.base_url, {"pass": 1.0}, seed=2) as proxy:
        # Backoff at the production cap from the first failure: the row's retry is five minutes away, as
        # after a long outage.
        forwarder = Forwarder(
            outbox,
            make_client(proxy.base_url, 0.2),
            retry=RetryPolicy(base_s=300.0),
            offline_after=1,
            offline_probe_every_s=0.3,
            rng=_Longest(),
        )
        proxy.cut()
        assert forwarder.step() == 0.0
        assert forwarder.connectivity.state is Connectivity.OFFLINE
        proxy.restore()
        deadline = time.monotonic() + 5
        while outbox.usage().rows and time.monotonic() < deadline:
            wait = forwarder.step()
            assert wait <= 0.3, "the backoff, not the probe, would decide when the row goes"
            time.sleep(wait)
    outbox.close()
    assert applied(central_app, TERMINAL_ID)[key] == 1
    assert forwarder.connectivity.state is Connectivity.ONLINE
