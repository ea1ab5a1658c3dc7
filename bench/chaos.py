"""Chaos: transactions from a real kiosk outbox through a faulty network to a centre that is restarted.

    bench/chaos.py [--transactions 10000] [--outage-s 600] [--seed N] [--json]

The kiosk side is the product's own, in this process: Outbox + Forwarder + CentralClient, fed by a
producer thread that enqueues synthetic transactions (tests/offline_queue/synthetic.py: pre-registrations
and ratings of signed-in visits) at a steady rate. Between it and the centre sits a fault-injecting proxy
(tests/offline_queue/chaos_proxy.py). The centre is `kiosk-central serve --demo` as a process of its own on a
SQLite file (tests/offline_queue/centre_process.py), so that it can crash (SIGKILL) and come back on the
same file and port; what it applied is read from that file at the end. Three phases, one centre:

1. Baseline: 1,000 transactions at 50/s through a pass-through proxy (no faults): enqueue-to-applied delay.
2. Chaos: --transactions at 50/s through the proxy's fates (pass 45%, delay <= 0.2 s 13%, held
   0.05-0.5 s beyond the client's 2 s time-out and then passed on 4%, dropped 8%, reset 8%, 500 from the
   proxy 7%, committed and the answer lost 15%), the centre killed -9 at 25% and 75% of the transactions
   and stopped cleanly at 50%. The fast RetryPolicy of the tests (base 5 ms, cap 50 ms): what is measured
   is correctness under faults, not how long a kiosk waits.
3. Outage: the kiosk's production RetryPolicy (base 1 s, cap 300 s), Forwarder defaults (offline after 3
   silent failures, then a health probe every 10 s while rows wait) and CentralClient time-out (8 s). Once
   the forwarder is online, the network is cut for --outage-s: every request is black-holed (no answer
   until the client gives up), while the producer enqueues at 10/s. A busy kiosk files about one
   transaction every 10 s, 60 in ten minutes, too few to time a drain: 10/s builds a backlog of 6,000 rows
   in ten minutes, what a kiosk gathers in some 17 hours at the realistic rate. The time from restore to
   first delivery does not depend on the rate; the drain rate is the forwarder's (batches of 100, in
   order). The producer stops at the restore, so the backlog drains alone.

Measured: lost (enqueued, never applied or left in the outbox), doubled (two intake records or two effect
rows -- pre-registrations, ratings -- for one key), out of order (accepted records applied before one
enqueued earlier), enqueue-to-applied delay p50/p99/max per phase and the chaos/baseline ratio, the fault
counts per fate (with centre_down: requests that found the centre down, and applied_after_give_up: held
requests the centre applied after the kiosk had given up, the classic double-send), the restarts and the
seconds the centre was away; for the outage: time from restore to the first backlog item applied, time
to empty the backlog, and the drain rate. "Applied" is when the centre's answer that it applied an item
(accepted, or duplicate for a resend) passed the proxy, to the millisecond; for a commit whose answer never
came back it is the first answer to a resend (an upper bound). The centre stores received_at in whole
seconds only, too coarse for the baseline.

Goal: lost 0 and doubled 0 (and none rejected, none out of order) in every phase; exit 1 otherwise. The
outage figures are reported, not gated. Baseline: phase 1 of the same run. All data is synthetic.
"""

from __future__ import annotations

import argparse
import inspect
import json
import logging
import random
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from kiosk.central import CentralClient  # noqa: E402
from kiosk.central.sequence import SequenceCounter  # noqa: E402
from kiosk.offline_queue import Connectivity, Forwarder, Outbox, RetryPolicy  # noqa: E402
from kiosk.offline_queue.bounds import BoundsPolicy  # noqa: E402
from kiosk.settings import CentralSection  # noqa: E402
from tests.offline_queue.centre_process import SECRET, TERMINAL_ID, Applied, CentreProcess  # noqa: E402
from tests.offline_queue.chaos_proxy import FATES, ChaosProxy  # noqa: E402
from tests.offline_queue.synthetic import Visit, transaction  # noqa: E402

BASELINE_TRANSACTIONS = 1000
RATE_PER_S = 50.0
OUTAGE_RATE_PER_S = 10.0
WARM_UP = 20
# Transactions per visit (one visit ticket each): a citizen files a few, the stream needs many visits.
PER_VISIT = 20
CHAOS_WEIGHTS = {
    "pass": 0.45,
    "delay": 0.13,
    "timeout": 0.04,
    "drop": 0.08,
    "reset": 0.08,
    "error500": 0.07,
    "lost": 0.15,
}
PASS_THROUGH = {"pass": 1.0}
CHAOS_CLIENT_TIMEOUT_S = 2.0
FAST = RetryPolicy(base_s=0.005, cap_s=0.05)
# (fraction of the chaos phase's transactions enqueued, SIGKILL?) for each restart of the centre.
RESTARTS = ((0.25, True), (0.5, False), (0.75, True))
# Bounds are not under test: none may refuse a transaction while measuring.
UNBOUNDED = BoundsPolicy(max_rows=10_000_000, max_bytes=10**12)
DRAIN_TIMEOUT_S = 1800.0
# The kiosk's default [central] timeout_s, and the forwarder's default health-probe interval while offline.
PRODUCTION_TIMEOUT_S = CentralSection.model_fields["timeout_s"].default
OFFLINE_PROBE_EVERY_S = inspect.signature(Forwarder).parameters["offline_probe_every_s"].default


def say(message: str) -> None:
    print(f"chaos: {message}", file=sys.stderr, flush=True)


@dataclass
class Producer:
    """Enqueues `count` transactions at `rate_per_s`, a visit's ticket every PER_VISIT, noting when each
    was stored."""

    outbox: Outbox
    visits: list[Visit]
    count: int
    rate_per_s: float
    rng: random.Random
    keys: list[str] = field(default_factory=list)
    enqueued_at: dict[str, float] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="producer", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        started = time.monotonic()
        for number in range(self.count):
            pause = started + number / self.rate_per_s - time.monotonic()
            if self._stop.wait(max(pause, 0)):
                return
            visit = self.visits[number // PER_VISIT % len(self.visits)]
            receipt = self.outbox.enqueue(*transaction(self.rng, visit), visit_ticket=visit.ticket)
            self.enqueued_at[receipt.idempotency_key] = receipt.created_at.timestamp()
            self.keys.append(receipt.idempotency_key)

    def stop(self) -> None:
        self._stop.set()
        self.join()

    def join(self) -> None:
        if self._thread is not None:
            self._thread.join()


class Kiosk:
    """An outbox in its own directory and a forwarder through the proxy."""

    def __init__(
        self, directory: Path, sequence: SequenceCounter, base_url: str, timeout_s: float, retry: RetryPolicy
    ) -> None:
        self.outbox = Outbox.open(directory, bounds=UNBOUNDED)
        self.client = CentralClient(
            base_url,
            terminal_id=TERMINAL_ID,
            centre_id="00012000",
            secret=SECRET,
            sequence=sequence,
            timeout_s=timeout_s,
        )
        self.forwarder = Forwarder(self.outbox, self.client, retry=retry)
        self.forwarder.start()

    def drained(self, timeout_s: float = DRAIN_TIMEOUT_S) -> float | None:
        """Wait for the outbox to empty; when it did (time.time()), None if it did not in time."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.outbox.usage().rows == 0:
                return time.time()
            time.sleep(0.02)
        return None

    def close(self) -> None:
        self.forwarder.stop()
        self.outbox.close()
        self.client.close()


def _percentile(values: list[float], percent: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(percent / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


def _delays(producer: Producer, proxy: ChaosProxy) -> dict[str, float | None]:
    delays = [
        proxy.applied_at[key] - producer.enqueued_at[key] for key in producer.keys if key in proxy.applied_at
    ]
    if not delays:
        return {"p50_s": None, "p99_s": None, "max_s": None}
    return {
        "p50_s": round(statistics.median(delays), 3),
        "p99_s": round(_percentile(delays, 99), 3),
        "max_s": round(max(delays), 3),
    }


def _out_of_order(applied: Applied, keys: list[str]) -> int:
    """Accepted records applied after a record of a transaction enqueued later."""
    position = {key: number for number, key in enumerate(keys)}
    seen = [position[key] for key in applied.order if key in position]
    latest, inversions = -1, 0
    for number in seen:
        if number < latest:
            inversions += 1
        latest = max(latest, number)
    return inversions


def _verdict(applied: Applied, keys: list[str], outbox_rows: int) -> dict[str, Any]:
    rejected = set(applied.rejected)
    return {
        "transactions": len(keys),
        "lost": len(applied.lost(keys)),
        "doubled": len(applied.doubled(keys)),
        "rejected": sum(key in rejected for key in keys),
        "out_of_order": _out_of_order(applied, keys),
        "left_in_outbox": outbox_rows,
    }


def _streamed(
    directory: Path,
    centre: CentreProcess,
    sequence: SequenceCounter,
    weights: dict[str, float],
    count: int,
    seed: int,
    restarts: tuple[tuple[float, bool], ...] = (),
) -> tuple[Producer, ChaosProxy, int, list[float]]:
    """Phases 1 and 2: `count` transactions at RATE_PER_S through a proxy of `weights`, restarting the
    centre as `restarts` say; returns the producer, the proxy, the rows left and the seconds away."""
    visits = centre.visits(count // PER_VISIT + 1, offset=seed)
    with ChaosProxy(centre.base_url, weights, seed=seed, client_timeout_s=CHAOS_CLIENT_TIMEOUT_S) as proxy:
        kiosk = Kiosk(directory, sequence, proxy.base_url, CHAOS_CLIENT_TIMEOUT_S, FAST)
        producer = Producer(kiosk.outbox, visits, count, RATE_PER_S, random.Random(seed))
        producer.start()
        away = []
        for fraction, crash in restarts:
            while len(producer.keys) < fraction * count:
                time.sleep(0.05)
            away.append(centre.restart(crash=crash))
            say(f"centre {'killed -9' if crash else 'stopped'} at {fraction:.0%}, back in {away[-1]:.1f} s")
        producer.join()
        if kiosk.drained() is None:
            say("the outbox did not drain in time")
        left = kiosk.outbox.usage().rows
        kiosk.close()
    return producer, proxy, left, away


def _outage(
    directory: Path, centre: CentreProcess, sequence: SequenceCounter, outage_s: float, seed: int
) -> tuple[dict[str, Any], Producer, ChaosProxy, int]:
    """Phase 3, with the kiosk's production retry policy, forwarder and client time-out; the producer
    returned holds the warm-up's transactions and the backlog's."""
    backlog = int(outage_s * OUTAGE_RATE_PER_S)
    visits = centre.visits((WARM_UP + backlog) // PER_VISIT + 2, offset=seed)
    with ChaosProxy(centre.base_url, PASS_THROUGH, seed=seed) as proxy:
        kiosk = Kiosk(directory, sequence, proxy.base_url, PRODUCTION_TIMEOUT_S, RetryPolicy())
        warm = Producer(kiosk.outbox, visits[:1], WARM_UP, RATE_PER_S, random.Random(seed))
        warm.start()
        warm.join()
        kiosk.drained()
        proxy.cut()
        say(f"network cut for {outage_s:.0f} s, {backlog} transactions enqueued meanwhile")
        producer = Producer(kiosk.outbox, visits[1:], backlog, OUTAGE_RATE_PER_S, random.Random(seed + 1))
        producer.start()
        time.sleep(outage_s)
        producer.stop()
        offline = kiosk.forwarder.connectivity.state is Connectivity.OFFLINE
        restored = time.time()
        proxy.restore()
        say(f"network restored, {len(producer.keys)} rows waiting")
        emptied = kiosk.drained()
        left = kiosk.outbox.usage().rows
        kiosk.close()
    applied = [proxy.applied_at[key] for key in producer.keys if key in proxy.applied_at]
    first, last = min(applied, default=None), max(applied, default=None)
    result = {
        "policy": _policy(RetryPolicy(), PRODUCTION_TIMEOUT_S)
        | {"offline_probe_every_s": OFFLINE_PROBE_EVERY_S},
        "rate_per_s": OUTAGE_RATE_PER_S,
        "backlog": len(producer.keys),
        "offline_at_restore": offline,
        "restore_to_first_applied_s": None if first is None else round(first - restored, 1),
        "restore_to_empty_s": None if emptied is None or last is None else round(last - restored, 1),
        "drain_rows_per_s": None
        if first is None or last is None
        else round(len(applied) / (last - restored), 1),
        "drain_rows_per_s_after_first": (
            None
            if first is None or last is None or last <= first
            else round(len(applied) / (last - first), 1)
        ),
        "black_holed_requests": proxy.counts["outage"],
    }
    producer.keys = warm.keys + producer.keys
    producer.enqueued_at.update(warm.enqueued_at)
    return result, producer, proxy, left


def _policy(retry: RetryPolicy, timeout_s: float) -> dict[str, float]:
    return {"retry_base_s": retry.base_s, "retry_cap_s": retry.cap_s, "client_timeout_s": timeout_s}


def _ratio(value: float | None, baseline: float | None) -> float | None:
    return None if value is None or not baseline else round(value / baseline, 1)


def chaos(transactions: int, outage_s: float, seed: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="kiosk-chaos-") as tmp:
        directory = Path(tmp)
        with CentreProcess(directory) as centre:
            sequence = SequenceCounter(directory / "sequence")
            say(f"baseline: {BASELINE_TRANSACTIONS} transactions, no faults")
            base, base_proxy, base_left, _ = _streamed(
                directory / "baseline", centre, sequence, PASS_THROUGH, BASELINE_TRANSACTIONS, seed
            )
            say(f"chaos: {transactions} transactions, faults and restarts")
            storm, storm_proxy, storm_left, away = _streamed(
                directory / "chaos", centre, sequence, CHAOS_WEIGHTS, transactions, seed + 1, RESTARTS
            )
            say(f"outage: {outage_s:.0f} s")
            outage, calm, calm_proxy, calm_left = _outage(
                directory / "outage", centre, sequence, outage_s, seed + 2
            )
            applied = centre.applied()
    streamed = _policy(FAST, CHAOS_CLIENT_TIMEOUT_S) | {"rate_per_s": RATE_PER_S}
    baseline = {**_verdict(applied, base.keys, base_left), **_delays(base, base_proxy), "policy": streamed}
    storm_delays = _delays(storm, storm_proxy)
    phases: dict[str, dict[str, Any]] = {
        "baseline": baseline,
        "chaos": {
            **_verdict(applied, storm.keys, storm_left),
            **storm_delays,
            "p50_ratio": _ratio(storm_delays["p50_s"], baseline["p50_s"]),
            "p99_ratio": _ratio(storm_delays["p99_s"], baseline["p99_s"]),
            "policy": streamed,
            "requests": sum(storm_proxy.counts[fate] for fate in FATES),
            "fates": dict(sorted(storm_proxy.counts.items())),
            "restarts": len(away),
            "kills": sum(crash for _, crash in RESTARTS),
            "centre_away_s": [round(seconds, 1) for seconds in away],
        },
        "outage": {**_verdict(applied, calm.keys, calm_left), **outage, **_delays(calm, calm_proxy)},
    }
    totals = Counter[str]()
    for phase in phases.values():
        for name in ("lost", "doubled", "rejected", "out_of_order", "left_in_outbox"):
            totals[name] += phase[name]
    return {
        "lost": totals["lost"],
        "doubled": totals["doubled"],
        **phases,
        "goal_met": not any(totals.values()),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--transactions", type=int, default=10_000, help="of the chaos phase")
    parser.add_argument("--outage-s", type=float, default=600.0, help="how long the network is cut")
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument("--json", action="store_true", help="one JSON object")
    args = parser.parse_args()
    # Every injected fault logs a warning from the forwarder: thousands of lines that would bury progress.
    logging.getLogger("kiosk.offline_queue.forwarder").setLevel(logging.ERROR)
    if args.transactions < 4 or args.outage_s <= 0:
        parser.error("need --transactions >= 4 and --outage-s > 0")
    result = chaos(args.transactions, args.outage_s, args.seed)
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
    else:
        for key, value in result.items():
            print(f"{key}: {value}")
    return 0 if result["goal_met"] else 1


if __name__ == "__main__":
    sys.exit(main())
