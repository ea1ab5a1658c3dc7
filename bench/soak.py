"""Soak: visits through `kiosk simulate`'s kiosk one after another in one process, watching for leaks.

    bench/soak.py [--visits 500] [--json] [--trace]

One kiosk is built from settings as `kiosk simulate` builds it (kiosk.simulate.Simulation: the runtime
with its outbox, forwarder, fleet agent and emulated ID card and bank card readers) and serves the visits
in a row. A visit is a demo citizen's: ID card placed and read, password, account overview, the
withdrawal screen, then a withdrawal to their debit card (every fourth visit, while some citizen may still
withdraw for a reason the withdrawal screen offered them) or else a pre-registration, My applications,
goodbye. Every receipt is printed on the virtual printer.

The reference centre (`kiosk-central serve --demo`, the kiosk being its demo terminal) and the virtual
printer (`kiosk devices printer emulate`) run as processes of their own on loopback, so the figures are the
kiosk's alone: an in-thread centre would add its in-memory database, which grows with every visit, to this
process. The centre keeps its default limits (central_server/limits.py): they count failed sign-ins and
terminal logins, and no visit here fails one.

Resident memory (VmRSS), threads and open file descriptors are read from /proc/self after a warm-up of 20
visits and after the last, each after a full garbage collection. Targets: RSS growth <= 5 MB, no thread
or descriptor growth. `--trace` adds tracemalloc's largest growths between the two points (slower).
All data is synthetic.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import tracemalloc
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.hall import Usage, serve_centre_and_printer, stop, usage, write_settings  # noqa: E402
from central_server.seed import DEMO_PASSWORD, OTHER_PASSWORD_NAME  # noqa: E402
from kiosk.settings import load_settings  # noqa: E402
from kiosk.simulate import Simulation, VisitReport  # noqa: E402
from kiosk.simulate_script import Visit  # noqa: E402

WARM_UP = 20
WITHDRAW_EVERY = 4
TARGET_RSS_GROWTH_MB = 5.0
PRE_REGISTRABLE = "transfer"  # a business type of the demo catalogue that any citizen may pre-register


@dataclass
class Planner:
    """Whom each visit serves and what they do: every WITHDRAW_EVERY visits a withdrawal, by a citizen
    whose last withdrawal screen offered a reason not used since, while there is one; otherwise the
    citizens in turn, each pre-registering."""

    citizens: list[str]  # ID numbers
    offered: dict[str, list[str]] = field(default_factory=dict)  # ID number -> reasons still to use

    def visit(self, number: int) -> tuple[Visit, str]:
        id_number = self.citizens[number % len(self.citizens)]
        filing: list[dict[str, Any]] = [
            {"do": "pre_registration", "business": PRE_REGISTRABLE, "expect": "accepted"}
        ]
        applicant = next((c for c, reasons in self.offered.items() if reasons), None)
        if number % WITHDRAW_EVERY == 0 and applicant is not None:
            id_number = applicant
            reason = self.offered[applicant].pop(0)  # pending once filed: the centre refuses a second
            filing = [
                {"do": "withdrawal", "reason": reason, "amount": "100.00"},
                {"do": "insert_bank_card", "card": "debit"},
                {"do": "bank_card", "timeout_s": 10},
                {"do": "confirm", "expect": "accepted"},
            ]
        steps: list[dict[str, Any]] = [
            {"do": "place_id_card", "id_number": id_number},
            {"do": "id_card", "timeout_s": 10},
            {"do": "password", "digits": DEMO_PASSWORD},
            {"do": "service", "name": "overview"},
            {"do": "service", "name": "withdrawal"},
            *filing,
            {"do": "service", "name": "status"},
            {"do": "end"},
        ]
        return Visit.model_validate({"steps": steps}), id_number

    def learn(self, id_number: str, report: VisitReport) -> None:
        screen = next((s for s in report.steps if s.do == "service" and "reasons" in s.data), None)
        if screen is not None and id_number not in self.offered:
            self.offered[id_number] = [r["code"] for r in screen.data["reasons"] if r["selectable"]]


def soak(visits: int, trace: bool) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="kiosk-soak-") as tmp:
        directory = Path(tmp)
        (centre, base_url), (printer, printer_url) = serve_centre_and_printer(directory)
        try:
            settings_path = write_settings(directory, base_url=base_url, printer_url=printer_url)
            simulation = Simulation(load_settings(settings_path))
            problems = simulation.start()
            if problems:
                raise SystemExit(f"soak: parts did not start: {problems}")
            try:
                return _run(simulation, visits, trace)
            finally:
                simulation.stop()
        finally:
            stop(printer, centre)


def _run(simulation: Simulation, visits: int, trace: bool) -> dict[str, Any]:
    cards = simulation.runtime.central.demo_cards()
    planner = Planner([c.id_number for c in cards if c.status == "normal" and c.name != OTHER_PASSWORD_NAME])
    failed: list[str] = []
    withdrawals = 0
    before: Usage | None = None
    snapshot = None
    started = time.monotonic()
    for number in range(visits):
        if number == WARM_UP:
            before = usage()
            started = time.monotonic()
            if trace:
                tracemalloc.start(25)
                snapshot = tracemalloc.take_snapshot()
        visit, id_number = planner.visit(number)
        report = simulation.run_visit(visit)
        planner.learn(id_number, report)
        withdrawals += any(step.do == "confirm" for step in report.steps)
        failed += [f"visit {number + 1}: {step.do} {step.code}" for step in report.steps if not step.ok]
        if len(report.receipts) != 1:  # each visit files one thing, and its slip must come out
            failed.append(f"visit {number + 1}: {len(report.receipts)} receipts")
    elapsed = time.monotonic() - started
    after = usage()
    if before is None:
        raise SystemExit(f"soak: --visits must be more than the warm-up of {WARM_UP}")
    result: dict[str, Any] = {
        "visits": visits,
        "withdrawals": withdrawals,
        "failures": len(failed),
        "rss_growth_mb": round((after.rss_kb - before.rss_kb) / 1024, 2),
        "threads_growth": after.threads - before.threads,
        "fds_growth": after.fds - before.fds,
        "visits_per_min": round((visits - WARM_UP) / elapsed * 60, 1),
        "rss_mb": round(after.rss_kb / 1024, 1),
    }
    result["targets_met"] = (
        result["rss_growth_mb"] <= TARGET_RSS_GROWTH_MB
        and result["threads_growth"] <= 0
        and result["fds_growth"] <= 0
        and not failed
    )
    if failed:
        result["first_failures"] = failed[:5]
    if snapshot is not None:
        growth = tracemalloc.take_snapshot().compare_to(snapshot, "traceback")
        tracemalloc.stop()
        result["largest_growths"] = [
            {
                "kib": round(stat.size_diff / 1024, 1),
                "count": stat.count_diff,
                "at": stat.traceback.format()[-1],
            }
            for stat in growth[:8]
        ]
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--visits", type=int, default=500)
    parser.add_argument("--json", action="store_true", help="one JSON object")
    parser.add_argument("--trace", action="store_true", help="tracemalloc's largest growths (slower)")
    args = parser.parse_args()
    result = soak(args.visits, args.trace)
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
    else:
        for key, value in result.items():
            print(f"{key}: {value}")
    return 0 if result["targets_met"] else 1


if __name__ == "__main__":
    sys.exit(main())
