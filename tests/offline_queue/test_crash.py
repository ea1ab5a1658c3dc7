"""Crash test: a kiosk process enqueues and forwards while it is SIGKILLed at random moments, 200 times.

Afterwards every enqueue that returned was applied at the central exactly once, and nothing was applied
that the kiosk did not at least start to enqueue.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

from fastapi import FastAPI

from central_server.testing import RunningServer
from kiosk.central import CentralClient
from kiosk.offline_queue import Forwarder, Outbox, RetryPolicy
from kiosk.offline_queue.staff import OutboxAdmin
from kiosk.offline_queue.states import State

from .central_records import applied
from .conftest import SECRET, TERMINAL_ID
from .synthetic import Visit

CYCLES = 200
WORKER = Path(__file__).with_name("crash_worker.py")


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def _journal(path: Path) -> tuple[set[str], set[str]]:
    intended, returned = set(), set()
    for line in path.read_text(encoding="ascii").splitlines():
        mark, _, key = line.partition(" ")
        if len(key) == 32:  # a line cut short by the kill is ignored
            (intended if mark == "I" else returned).add(key)
    return intended, returned


def _drain(data_dir: Path, client: CentralClient) -> None:
    outbox = Outbox.open(data_dir)
    forwarder = Forwarder(outbox, client, retry=RetryPolicy(base_s=0.01, cap_s=0.05))
    deadline = time.monotonic() + 60
    while forwarder.step() == 0.0 and time.monotonic() < deadline:
        pass
    outbox.close()


def test_sigkill_at_random_moments_loses_nothing_and_applies_nothing_twice(
    tmp_path: Path,
    central: RunningServer,
    central_app: FastAPI,
    make_client: Callable[[str], CentralClient],
    visit: Visit,
) -> None:
    data_dir, journal = tmp_path / "kiosk", tmp_path / "journal"
    where = [str(data_dir), central.base_url, str(journal), TERMINAL_ID, SECRET, json.dumps(asdict(visit))]
    rng = random.Random(20261127)
    zygote = subprocess.Popen(
        [sys.executable, str(WORKER), *where],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert zygote.stdin is not None and zygote.stdout is not None
    try:
        for _ in range(CYCLES):
            zygote.stdin.write("go\n")
            zygote.stdin.flush()
            pid = int(zygote.stdout.readline())
            time.sleep(rng.uniform(0.005, 0.1))
            os.kill(pid, signal.SIGKILL)
            deadline = time.monotonic() + 10
            while not _gone(pid):
                assert time.monotonic() < deadline, "a killed kiosk did not go away"
                time.sleep(0.002)
    finally:
        zygote.stdin.close()
        zygote.wait(10)

    intended, returned = _journal(journal)
    _drain(data_dir, make_client(central.base_url))
    at_central = applied(central_app, TERMINAL_ID)

    assert len(returned) > CYCLES, "too few enqueues returned for the test to mean anything"
    assert {key for key in returned if at_central[key] != 1} == set()
    assert set(at_central) <= intended
    assert max(at_central.values()) == 1
    admin = OutboxAdmin(data_dir)
    counts = admin.status().counts
    admin.close()
    assert counts[State.PENDING] == counts[State.IN_FLIGHT] == counts[State.DEAD] == 0
