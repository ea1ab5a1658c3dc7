"""Crash test: a kiosk process enqueues, forwards and purges while it is SIGKILLed at random moments, 200
times (crash_harness, crash_worker).

Afterwards every enqueue that returned was applied at the central exactly once, nothing was applied that the
kiosk did not at least start to enqueue, no row was sent again once its delivery was recorded (so none that
was delivered and purged), and the outbox is consistent with nothing left to send. Kills landed in each
phase, purge included. bench/crash_cycles.py runs the same at scale.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

from fastapi import FastAPI

from central_server.testing import RunningServer
from kiosk.central import CentralClient
from kiosk.offline_queue.states import State

from .central_records import applied
from .conftest import SECRET, TERMINAL_ID
from .crash_harness import Phase, Verdict, drain, left_in_outbox, read_journal, run_cycles
from .synthetic import Visit

CYCLES = 200
# Kills land in purge about one time in ten; fewer than this means purge is not under fire.
MIN_KILLS_IN_PURGE = 5


def test_sigkill_at_random_moments_loses_nothing_and_applies_nothing_twice(
    tmp_path: Path,
    central: RunningServer,
    central_app: FastAPI,
    make_client: Callable[[str], CentralClient],
    visit: Visit,
) -> None:
    data_dir, journal_path = tmp_path / "kiosk", tmp_path / "journal"
    where = [
        str(data_dir),
        central.base_url,
        str(journal_path),
        TERMINAL_ID,
        SECRET,
        json.dumps(asdict(visit)),
    ]
    run_cycles(where, CYCLES, random.Random(20261127))
    drain(data_dir, journal_path, make_client(central.base_url))
    journal = read_journal(journal_path)
    verdict = Verdict.of(journal, applied(central_app, TERMINAL_ID))
    left = left_in_outbox(data_dir)
    kills = journal.kills()
    # Counts, not the sets themselves, so a failure's message stays readable.
    returned, purged = journal.enqueues_returned, journal.rows_purged
    lost, doubled, unintended = len(verdict.lost), len(verdict.doubled), len(verdict.unintended)
    resent = len(journal.resent_after_delivery)

    assert returned > CYCLES, "too few enqueues returned for the test to mean anything"
    assert (lost, doubled, unintended) == (0, 0, 0)
    assert resent == 0, "rows were sent again after their delivery was recorded"
    assert left.undelivered_deleted == 0, "purge deleted rows that were not delivered"
    assert left.integrity == "ok"
    assert left.counts[State.PENDING] == left.counts[State.IN_FLIGHT] == left.counts[State.DEAD] == 0
    # Delivered rows were purged, and keys of purged rows enqueued and sent again: the case to watch.
    assert purged > 0 and journal.resent_after_reenqueue > 0, (purged, journal.reenqueues, returned)
    assert kills[Phase.PURGE] >= MIN_KILLS_IN_PURGE, kills
    assert kills[Phase.ENQUEUE] > 0 and kills[Phase.FORWARD] > 0, kills
