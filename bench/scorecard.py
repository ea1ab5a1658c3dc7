"""The scorecard on a year of touchpoints: fills a temporary SQLite file with N touchpoints (default
1,000,000, a dozen kiosks in three halls, a year) and times the scorecard for one month and for the year,
against a plain COUNT(*) over the same rows.

    .venv/bin/python bench/scorecard.py [--rows N] [--runs R]
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import tempfile
import time
from pathlib import Path

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from central_server.crm.models import Touchpoint
from central_server.crm.periods import period_keys
from central_server.crm.scorecard import Scope, scorecard
from central_server.crm.store import count_touchpoints
from central_server.db import Database
from central_server.intake_schemas import KIOSK_SERVICES

START = dt.datetime(2025, 12, 1, tzinfo=dt.UTC)
# One visit's events, in order; a visit is about 8 touchpoints.
EVENTS = ("visit_started", "signed_in", "service_entered", "service_completed", "service_entered")


def fill(db: Database, rows: int, rng: random.Random) -> None:
    kiosks = [(f"K{n:02d}", f"H{n % 3}") for n in range(12)]
    batch: list[dict[str, object]] = []
    made = 0
    with db.transaction() as session:
        while made < rows:
            kiosk, hall = rng.choice(kiosks)
            at = int(START.timestamp()) + rng.randrange(365 * 86400)
            visit = f"v{made}"
            service = rng.choice(KIOSK_SERVICES)
            ending = "service_abandoned" if rng.random() < 0.15 else "service_completed"
            extra = ["device_failure"] if rng.random() < 0.02 else []
            for step, event in enumerate((*EVENTS, ending, *extra, "visit_ended")):
                batch.append(
                    {
                        "terminal_id": kiosk,
                        "hall": hall,
                        "channel": "kiosk",
                        "visit_id": visit,
                        "citizen_ref": None,
                        "event": event,
                        "service": service if event.startswith("service") else None,
                        "screen": "confirm" if event == "service_abandoned" else None,
                        "detail": None,
                        "at_s": at + step * 20,
                        "duration_ms": rng.randrange(5_000, 300_000) if event == ending else None,
                        "delay_s": rng.randrange(0, 600),
                        "received_at": at + 600,
                        **period_keys(at),
                    }
                )
            made += 5 + 2 + len(extra)
            if len(batch) >= 50_000:
                _insert(session, batch)
                batch = []
        if batch:
            _insert(session, batch)


def _insert(session: Session, batch: list[dict[str, object]]) -> None:
    session.execute(insert(Touchpoint), batch)
    count_touchpoints(session, batch)


def timed(action: object, runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        action()  # type: ignore[operator]
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        db = Database(f"sqlite:///{Path(folder) / 'bench.db'}")
        db.create_schema()
        started = time.perf_counter()
        fill(db, args.rows, random.Random(12))
        with db.transaction() as session:
            count = session.scalar(select(func.count()).select_from(Touchpoint))
        print(f"filled {count:,} touchpoints in {time.perf_counter() - started:.1f} s")

        def count_all() -> None:
            with db.transaction() as session:
                session.scalar(select(func.count()).select_from(Touchpoint))

        def card(first: dt.date, last: dt.date, period: str) -> None:
            with db.transaction() as session:
                scorecard(session, Scope(first, last, period), 0)  # type: ignore[arg-type]

        baseline = timed(count_all, args.runs)
        print(f"baseline COUNT(*): median {baseline * 1000:.0f} ms over {args.runs} runs")
        for label, first, last, period in (
            ("a month by day", dt.date(2026, 3, 1), dt.date(2026, 3, 31), "day"),
            ("the year by month", dt.date(2025, 12, 1), dt.date(2026, 11, 30), "month"),
        ):
            median = timed(lambda a=first, b=last, p=period: card(a, b, p), args.runs)
            print(f"scorecard {label}: median {median * 1000:.0f} ms ({median / baseline:.1f}x baseline)")


if __name__ == "__main__":
    main()
