"""The outbox crash test at scale: kill -9 a kiosk at random moments of enqueue, forward and purge, N times.

    bench/crash_cycles.py [--cycles 1000] [--seed N] [--json]

A zygote forks one kiosk per cycle (tests/offline_queue/crash_worker.py, through crash_harness): it opens
the outbox in one data directory, forwards to a reference centre served in this process, purges delivered
rows at every forwarder step (kept only 20 ms, so purges run all the time), and enqueues synthetic
transactions, a tenth of them re-enqueues of keys returned before, most of them delivered and purged by
then. After 5-100 ms it is SIGKILLed. Each kiosk journals what it does, so each kill is put in the phase(s)
it cut: open, enqueue, forward, purge (or idle). After every ten kills one more kiosk is SIGTERMed instead
and closes the outbox cleanly, so that the next kiosk's Outbox.open is the baseline: an open after a clean
close of the same file, in the same run, against the recovery open after a kill. At the end the outbox is
drained and the journal compared with the centre's applied records.

Figures: enqueues returned; lost (returned, never applied), doubled (applied more than once), unintended
(applied, never enqueued); resent after delivery (claimed again after its delivery was recorded, with no
re-enqueue in between: a delivered or purged row sent again); the outbox's integrity_check and what is left
in it; kills per phase; time per kill cycle and Outbox.open after a kill against after a clean close
(median and p95). Goal: lost 0 and doubled 0, and nothing unintended or resent, the outbox consistent and
empty of pending, in-flight and dead rows. Exits 1 when the goal is missed. All data is synthetic.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from central_server.app import DEFAULT_SEED, create_app  # noqa: E402
from central_server.testing import serve_in_thread  # noqa: E402
from kiosk.central import CentralClient  # noqa: E402
from kiosk.central.sequence import SequenceCounter  # noqa: E402
from kiosk.offline_queue.states import State  # noqa: E402
from tests.offline_queue.central_records import applied, visit_at  # noqa: E402
from tests.offline_queue.crash_harness import (  # noqa: E402
    Phase,
    Verdict,
    drain,
    left_in_outbox,
    read_journal,
    run_cycles,
)

TERMINAL, SECRET = "KIOSK-CRASH-01", "crash-bench-secret-synthetic"
CLEAN_EVERY = 10


def _progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _spread(values: list[float]) -> dict[str, Any]:
    """Median and p95 in milliseconds, and how many values."""
    if not values:
        return {"median": None, "p95": None, "n": 0}
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {"median": round(statistics.median(ordered), 2), "p95": round(p95, 2), "n": len(ordered)}


def run(cycles: int, seed: int, scratch: Path) -> dict[str, Any]:
    app = create_app(terminals={TERMINAL: SECRET}, seed=DEFAULT_SEED)
    data_dir, journal_path = scratch / "kiosk", scratch / "journal"
    with serve_in_thread(app) as server:
        visit = visit_at(app, TERMINAL)
        where = [
            str(data_dir),
            server.base_url,
            str(journal_path),
            TERMINAL,
            SECRET,
            json.dumps(asdict(visit)),
        ]
        _progress(f"{cycles} kill cycles (and a clean close after every {CLEAN_EVERY}) ...")
        started = time.perf_counter()
        durations = run_cycles(where, cycles, random.Random(seed), clean_every=CLEAN_EVERY)
        cycles_s = time.perf_counter() - started
        _progress(f"cycles done in {cycles_s:.1f} s; draining ...")
        client = CentralClient(
            server.base_url,
            terminal_id=TERMINAL,
            centre_id="00012000",
            secret=SECRET,
            sequence=SequenceCounter(scratch / "drain-sequence"),
            timeout_s=5,
        )
        started = time.perf_counter()
        drain(data_dir, journal_path, client)
        drain_s = time.perf_counter() - started
        client.close()
        at_centre = applied(app, TERMINAL)
    journal = read_journal(journal_path)
    verdict = Verdict.of(journal, at_centre)
    leftover = left_in_outbox(data_dir)
    kills = journal.kills()
    after_kill = [us / 1000 for us in journal.open_us(after_clean=False)]
    after_clean = [us / 1000 for us in journal.open_us(after_clean=True)]
    left = {state.value: leftover.counts[state] for state in (State.PENDING, State.IN_FLIGHT, State.DEAD)}
    result: dict[str, Any] = {
        "cycles": len(durations),
        "clean_closes": sum(life.clean for life in journal.lives) - 1,  # the drain closes cleanly too
        "seed": seed,
        "enqueues_returned": journal.enqueues_returned,
        "keys_returned": len(journal.returned),
        "reenqueues": journal.reenqueues,
        "resent_after_reenqueue": journal.resent_after_reenqueue,
        "applied": sum(at_centre.values()),
        "lost": len(verdict.lost),
        "doubled": len(verdict.doubled),
        "unintended": len(verdict.unintended),
        "resent_after_delivery": len(journal.resent_after_delivery),
        "undelivered_purged": leftover.undelivered_deleted,
        "outbox_integrity": leftover.integrity,
        "left_in_outbox": left,
        "purges": journal.purges,
        "rows_purged": journal.rows_purged,
        "kills_in_phase": {phase.value: kills[phase] for phase in Phase},
        "cycle_ms": _spread([s * 1000 for s in durations]),
        "open_after_kill_ms": _spread(after_kill),
        "open_after_clean_ms": _spread(after_clean),
        "open_ratio_kill_vs_clean": (
            round(statistics.median(after_kill) / statistics.median(after_clean), 2)
            if after_kill and after_clean
            else None
        ),
        "cycles_s": round(cycles_s, 1),
        "drain_s": round(drain_s, 2),
    }
    result["goal_met"] = (
        result["lost"] == result["doubled"] == result["unintended"] == 0
        and result["resent_after_delivery"] == result["undelivered_purged"] == 0
        and leftover.integrity == "ok"
        and not any(left.values())
    )
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cycles", type=int, default=1000, help="kiosks to SIGKILL (default 1000)")
    parser.add_argument("--seed", type=int, default=20261127, help="seeds the kill moments and clean closes")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--scratch", type=Path, default=None, help="where to put the outbox and journal")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="crash-cycles-", dir=args.scratch) as scratch:
        result = run(args.cycles, args.seed, Path(scratch))
    if args.json:
        print(json.dumps(result))
    else:
        for name, value in result.items():
            print(f"{name:26} {value}")
    return 0 if result["goal_met"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
