"""Chaos test: 2,000 transactions through a proxy that drops, resets, delays, answers 500 and loses answers
after the central committed. None is lost, none applied twice, and the central applied them in order."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from pathlib import Path

from fastapi import FastAPI

from central_server.testing import RunningServer
from kiosk.central import CentralClient
from kiosk.offline_queue import Connectivity, ConnectivityChanged, Forwarder, Outbox, RetryPolicy
from kiosk.offline_queue.events import OutboxEvent

from .central_records import applied, applied_in_order
from .chaos_proxy import ChaosProxy
from .conftest import TERMINAL_ID
from .synthetic import Visit, transaction

TRANSACTIONS = 2000
WEIGHTS = {"pass": 0.5, "delay": 0.15, "drop": 0.08, "reset": 0.08, "error500": 0.07, "lost": 0.12}


def test_two_thousand_transactions_through_a_faulty_network(
    tmp_path: Path,
    central: RunningServer,
    central_app: FastAPI,
    make_client: Callable[[str, float], CentralClient],
    visit: Visit,
) -> None:
    already = set(applied(central_app, TERMINAL_ID))
    rng = random.Random(6)
    with ChaosProxy(central.base_url, WEIGHTS, seed=6) as proxy:
        outbox = Outbox.open(tmp_path)
        events: list[OutboxEvent] = []
        outbox.events.subscribe(events.append)
        forwarder = Forwarder(
            outbox, make_client(proxy.base_url, 2.0), retry=RetryPolicy(base_s=0.005, cap_s=0.05)
        )
        forwarder.start()
        keys: list[str] = []

        def citizens_at_the_kiosk() -> None:
            for _ in range(TRANSACTIONS):
                receipt = outbox.enqueue(*transaction(rng, visit), visit_ticket=visit.ticket)
                keys.append(receipt.idempotency_key)

        producer = threading.Thread(target=citizens_at_the_kiosk)
        producer.start()
        producer.join()
        deadline = time.monotonic() + 150
        while outbox.usage().rows and time.monotonic() < deadline:
            time.sleep(0.05)
        forwarder.stop()
        outbox.close()

    at_central = applied(central_app, TERMINAL_ID)
    assert outbox.usage().rows == 0, "the backlog did not drain (or rows went dead)"
    assert {key for key in keys if at_central[key] != 1} == set()
    assert set(at_central) - already == set(keys)
    order = [key for key in applied_in_order(central_app, TERMINAL_ID) if key not in already]
    assert order == keys
    # The faults happened, including answers lost after the central had committed.
    assert all(proxy.counts[fate] > 0 for fate in WEIGHTS), proxy.counts
    states = [event.state for event in events if isinstance(event, ConnectivityChanged)]
    assert Connectivity.ONLINE in states and Connectivity.DEGRADED in states
