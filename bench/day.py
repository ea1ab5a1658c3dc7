"""A compressed day in a service hall: visits at a realistic mix through `kiosk simulate`'s kiosk, with the
day's incidents at fixed points, watching resources, the outbox and every error (issue #17).

    bench/day.py [--visits 2000] [--seed 20261130] [--json]

One kiosk is built from settings as `kiosk simulate` builds it (kiosk.simulate.Simulation) and serves the
visits in a row in this process; the demo centre, the virtual printer and the hall's network link run as
processes of their own on loopback (bench/hall.py, bench/network_link.py), so the figures are the kiosk's.

The mix (drawn with --seed; the first visits of the day, the warm-up, serve one visit of each kind so that
every service appears even in a short day):

| kind | share | what the citizen does |
|---|---|---|
| query | 58% | ID card, password, overview, then deposits, loan, My applications or the withdrawal screen |
| certificate | 10% | a deposit or statement certificate, or the account statement, printed |
| withdrawal | 8% | a withdrawal to their debit card (bank card read, confirmed), then its state |
| appointment | 8% | books an appointment (ticket printed), half of them cancel it again at once |
| pre_registration | 5% | pre-registers a transfer (slip printed), then its state |
| sign_in_failure | 5% | one wrong password (a fifth of them two), then the right one and the overview |
| abandonment | 4% | signs in, opens the overview and a service, and walks away: no rating, no goodbye |
| complaint | 1% | a complaint or suggestion, without an ID card |
| password_change | 1% | changes the password (later visits of theirs sign in with the new one) |

After a visit that completed a service, 85% of citizens rate it, 10% skip the rating, 5% just leave.
A withdrawal needs a citizen whose withdrawal screen offered a reason not used since, an appointment one
whose My applications, seen earlier in the day, held no appointment but the day's (the demo's history
gives a few citizens one, and a second for the same business is refused); without one, the visit is a
query. An abandoned visit ends as the kiosk's idle time-out ends it: the goodbye that
`Simulation.run_visit` gives every visit, with the service left where it was.

The day's incidents, at fixed points of the visits after the warm-up:
- 25%: the printer's roll runs out in the middle of a deposit certificate (SIGUSR1 to the virtual
  printer): the step must say `not_printed`; staff put in a new roll (SIGUSR2) and the next visit's
  certificate must print.
- 40% and 70%: the network drops for 12 visits (fewer in a short day), in the middle of a visit: at 40%
  right after the sign-in of a citizen who then pre-registers (filed offline: `waiting`), at 70% right
  after a citizen's overview, whose rating then waits in the outbox. The citizens who come next cannot
  sign in (`unavailable`); every third leaves a complaint about the kiosk (filed offline). At the restore
  the bench waits for the outbox to empty (at most 60 s) and says how long it took.
- 55%: a signed config bundle is published while a citizen is signed in: the fleet agent, poked, must
  take it and defer it (`deferred`), the visit must go on undisturbed, and the bundle must be applied and
  pass its health check when the visit ends.
Errors they cause (`not_printed`, `unavailable`) and the wrong passwords are counted as scripted; any other
step that did not do what it asked is an unscripted error, listed with its visit, kind, step and code, and
so is a filing the centre took whose slip did not come out (`slip_not_printed`).

A real day of 2,000 visits lasts ten hours; this one lasts minutes. The centre's window of failed
sign-ins per terminal (600 s; after 20 failures in it the terminal's sign-ins are answered rate_limited)
is compressed with it to 5 s, or the day's hundred wrong passwords would shut every citizen out. The
outbox's retry cap is 5 s, as a hall with few kiosks sets it (docs/outbox.md), so a drop's backlog goes
within seconds of the restore.

Prints VmRSS, threads and open descriptors after the warm-up (the baseline) and at the end (after the
outbox emptied; each after a full garbage collection), VmRSS and the outbox depth every 50 visits (and
the depth around each drop), every unscripted error, the scripted ones counted, the kiosk's warnings
and errors counted by logger, and visits per minute. Goals: RSS growth <= 5 MB, no thread or descriptor
growth, zero unscripted errors, every incident seen and recovered from, the outbox empty at the end;
exit 1 when one is missed. All data is synthetic.
"""

from __future__ import annotations

import argparse
import json
import logging
import random
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.hall import (  # noqa: E402
    STOP_TIMEOUT_S,
    Usage,
    open_files,
    serve,
    serve_centre_and_printer,
    stop,
    usage,
    write_settings,
)
from central_server.seed import DEMO_PASSWORD, OTHER_PASSWORD_NAME  # noqa: E402
from kiosk.remote_config.bundle import generate_keypair, load_private_key, sign_bundle  # noqa: E402
from kiosk.settings import load_settings  # noqa: E402
from kiosk.simulate import Simulation, StepReport, VisitReport  # noqa: E402
from kiosk.simulate_script import TOPIC_CODES, Visit  # noqa: E402

WARM_UP = 20
MIX = {
    "query": 58,
    "certificate": 10,
    "withdrawal": 8,
    "appointment": 8,
    "pre_registration": 5,
    "sign_in_failure": 5,
    "abandonment": 4,
    "complaint": 1,
    "password_change": 1,
}
RATE_SHARE, SKIP_SHARE = 0.85, 0.10
SCORES = {5: 60, 4: 25, 3: 8, 2: 4, 1: 3}
PAPER_OUT_AT, DROPS_AT, BUNDLE_AT = 0.25, (0.40, 0.70), 0.55
DROP_VISITS = 12
COMPLAINT_EVERY_IN_DROP = 3
SAMPLE_EVERY = 50
DRAIN_WAIT_S = 60.0
BUNDLE_WAIT_S = 15.0
ACK_WAIT_S = 10.0
SIGN_IN_WINDOW_S = 5
RETRY_CAP_S = 5.0
TARGET_RSS_GROWTH_MB = 5.0
PRE_REGISTRABLE = "transfer"  # pre-registrable by anyone in the demo catalogue
BOOKABLE = ("withdrawal", "loan", "details_change", "loan_settlement")
QUERY_SCREENS = (("deposits",), ("loan",), ("status",), ("withdrawal",), ())
WARM_UP_QUERY = ("deposits", "loan", "status", "withdrawal")
STATEMENT_PERIODS = ("last_12_months", "this_year")
# What a password change sets, in turn: not weak (the demo password 123456 is, so nobody changes back to it).
NEW_PASSWORDS = ("730164", "591827")
CALLBACK_PHONE = "13800138000"  # synthetic
OPERATOR_TOKEN = "day-bench-operator"  # synthetic; the centre lives as long as the run
BUNDLE_VERSION = 1


@dataclass
class Planned:
    kind: str
    steps: list[dict[str, Any]]
    id_number: str | None = None


@dataclass
class Planner:
    """What each visit's citizen does, drawn from MIX; remembers what the centre offered (withdrawal
    reasons) and holds (appointments) so that what a citizen does stays possible."""

    citizens: list[str]  # ID numbers
    rng: random.Random
    offered: dict[str, list[str]] = field(default_factory=dict)  # ID number -> reasons still to use
    held: dict[str, set[str]] = field(default_factory=dict)  # ID number -> businesses booked
    # Whose My applications showed no appointment but those booked here: the demo's history gives a few
    # citizens one, and a second for the same business is refused (appointment_limit).
    free_to_book: set[str] = field(default_factory=set)
    passwords: dict[str, str] = field(default_factory=dict)  # ID number -> a changed password

    def sign_in(self, id_number: str) -> list[dict[str, Any]]:
        return [
            {"do": "place_id_card", "id_number": id_number},
            {"do": "id_card", "timeout_s": 10},
            {"do": "password", "digits": self.passwords.get(id_number, DEMO_PASSWORD)},
        ]

    def kind(self, number: int) -> str:
        kinds = list(MIX)
        if number < len(kinds):
            return kinds[number]
        return self.rng.choices(kinds, weights=list(MIX.values()))[0]

    def plan(self, kind: str, number: int) -> Planned:
        id_number = self.rng.choice(self.citizens)
        sign_in = self.sign_in(id_number)
        if kind == "withdrawal":
            applicant = next((c for c, reasons in self.offered.items() if reasons), None)
            if applicant is None:
                kind = "query"
            else:
                id_number, reason = applicant, self.offered[applicant].pop(0)  # a second one is refused
                return Planned(
                    kind,
                    [
                        *self.sign_in(id_number),
                        {"do": "service", "name": "withdrawal"},
                        {"do": "withdrawal", "reason": reason, "amount": "100.00"},
                        {"do": "insert_bank_card", "card": "debit"},
                        {"do": "bank_card", "timeout_s": 10},
                        {"do": "confirm", "expect": "accepted"},
                        {"do": "application_state"},
                        *self.rating(),
                    ],
                    id_number,
                )
        if kind == "query":
            screens = WARM_UP_QUERY if number < len(MIX) else self.rng.choice(QUERY_SCREENS)
            services = [{"do": "service", "name": name} for name in ("overview", *screens)]
            return Planned(kind, [*sign_in, *services, *self.rating()], id_number)
        if kind == "certificate":
            choices: list[list[dict[str, Any]]] = [
                [{"do": "certificate", "kind": "deposit"}],
                # Not last year's: for the demo's accounts opened this year the kiosk refuses it, rightly.
                [{"do": "certificate", "kind": "statement", "period": self.rng.choice(STATEMENT_PERIODS)}],
                # The account statement is printed from the overview (a query, so it waits for its rating).
                [{"do": "service", "name": "overview"}, {"do": "service", "name": "statement"}],
            ]
            printing = [s for c in choices for s in c] if number < len(MIX) else self.rng.choice(choices)
            return Planned(
                kind,
                [*sign_in, {"do": "service", "name": "certificate"}, *printing, *self.rating()],
                id_number,
            )
        if kind == "appointment":
            choices = sorted(c for c in self.free_to_book if len(self.held.get(c, ())) < len(BOOKABLE))
            if not choices:
                return self.plan("query", number)
            id_number = self.rng.choice(choices)
            sign_in = self.sign_in(id_number)
            free = [b for b in BOOKABLE if b not in self.held.get(id_number, set())]
            business = self.rng.choice(free)
            cancel = self.rng.random() < 0.5
            if not cancel:
                self.held.setdefault(id_number, set()).add(business)
            return Planned(
                kind,
                [
                    *sign_in,
                    {"do": "service", "name": "appointment"},
                    {"do": "appointment", "business": business},
                    *([{"do": "cancel_appointment"}] if cancel else []),
                    {"do": "application_state", "expect": "cancelled" if cancel else "booked"},
                    *self.rating(),
                ],
                id_number,
            )
        if kind == "pre_registration":
            return Planned(kind, [*sign_in, *_pre_registration(), *self.rating()], id_number)
        if kind == "sign_in_failure":
            right = int(sign_in[2]["digits"])
            wrong = f"{(right + self.rng.randrange(1, 999_999)) % 1_000_000:06d}"
            tries = 2 if self.rng.random() < 0.2 else 1  # the centre locks at three: never reached
            return Planned(
                kind,
                [
                    sign_in[0],
                    sign_in[1],
                    *[{"do": "password", "digits": wrong, "expect": "wrong_password"}] * tries,
                    sign_in[2],
                    {"do": "service", "name": "overview"},
                    *self.rating(),
                ],
                id_number,
            )
        if kind == "abandonment":
            away: list[dict[str, Any]] = [
                {"do": "service", "name": self.rng.choice(["withdrawal", "pre_registration", "appointment"])}
            ]
            reasons = self.offered.get(id_number)
            if away[0]["name"] == "withdrawal" and reasons:  # chooses a reason and an amount, then leaves
                away.append({"do": "withdrawal", "reason": reasons[0], "amount": "100.00"})
            return Planned(kind, [*sign_in, {"do": "service", "name": "overview"}, *away], id_number)
        if kind == "complaint":
            return Planned(kind, [self.complaint(), {"do": "end"}])
        if kind == "password_change":
            old = sign_in[2]["digits"]
            new = NEW_PASSWORDS[1] if old == NEW_PASSWORDS[0] else NEW_PASSWORDS[0]
            self.passwords[id_number] = new  # from the next visit on (a failed change is an error anyway)
            change = {"do": "password_change", "old": old, "new": new}
            return Planned(
                kind,
                [*sign_in, {"do": "service", "name": "password_change"}, change, *self.rating()],
                id_number,
            )
        raise ValueError(f"unknown kind {kind!r}")

    def complaint(self, topic: str | None = None) -> dict[str, Any]:
        step: dict[str, Any] = {
            "do": "complaint",
            "category": self.rng.choice(["complaint", "suggestion"]),
            "topic": topic or self.rng.choice(sorted(TOPIC_CODES)),
        }
        if self.rng.random() < 0.3:
            step["phone"] = CALLBACK_PHONE
        return step

    def rating(self) -> list[dict[str, Any]]:
        draw = self.rng.random()
        if draw >= RATE_SHARE + SKIP_SHARE:
            return [{"do": "end"}]
        if draw >= RATE_SHARE:
            return [{"do": "skip_rating"}, {"do": "end"}]
        score = self.rng.choices(list(SCORES), weights=list(SCORES.values()))[0]
        rate: dict[str, Any] = {"do": "rate", "score": score}
        if score <= 2:
            rate["reasons"] = [self.rng.choice(["slow", "hard_to_use", "not_solved", "unclear_information"])]
            if self.rng.random() < 0.5:
                rate["phone"] = CALLBACK_PHONE
        return [rate, {"do": "end"}]

    def learn(self, planned: Planned, report: VisitReport) -> None:
        citizen = planned.id_number
        if citizen is None:
            return
        screen = next((s for s in report.steps if s.do == "service" and "reasons" in s.data), None)
        if screen is not None and citizen not in self.offered:
            self.offered[citizen] = [r["code"] for r in screen.data["reasons"] if r["selectable"]]
        listing = next((s for s in report.steps if s.do == "service" and s.data.get("complete")), None)
        if listing is not None:
            items = listing.data["items"]
            booked = sum(i["kind"] == "appointment" and i["state"] == "booked" for i in items)
            if booked <= len(self.held.get(citizen, ())):
                self.free_to_book.add(citizen)
            else:
                self.free_to_book.discard(citizen)


def _pre_registration() -> list[dict[str, Any]]:
    return [
        {"do": "service", "name": "pre_registration"},
        {"do": "pre_registration", "business": PRE_REGISTRABLE},
        {"do": "application_state"},
    ]


@dataclass(frozen=True)
class Schedule:
    """The visit numbers (from 0) of the day's incidents."""

    paper_out: int
    drops: tuple[tuple[int, int], ...]  # (first visit of the drop, first visit after it)
    bundle: int

    @classmethod
    def of(cls, visits: int) -> Schedule:
        day = visits - WARM_UP
        length = min(DROP_VISITS, max(3, day // 12))
        drops = tuple((at, at + length) for at in (WARM_UP + int(f * day) for f in DROPS_AT))
        return cls(WARM_UP + int(PAPER_OUT_AT * day), drops, WARM_UP + int(BUNDLE_AT * day))

    def dropped(self, number: int) -> bool:
        return any(start <= number < end for start, end in self.drops)


class KioskLog(logging.Handler):
    """Counts the kiosk's warnings and errors by level and logger, and keeps each error's message
    template (never its arguments, which may hold a citizen's data) with the visit it came in."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.visit = 0
        self.counts: Counter[str] = Counter()
        self.errors: list[dict[str, Any]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.counts[f"{record.levelname} {record.name}"] += 1
        if record.levelno >= logging.ERROR:
            self.errors.append({"visit": self.visit + 1, "logger": record.name, "message": str(record.msg)})


class Hall:
    """The processes around the kiosk and the controls the incidents need."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        key_path, self.operator_pub = generate_keypair(directory / "operator")
        self.operator_key = load_private_key(key_path)
        (self.centre, self.centre_url), (self.printer, self.printer_url) = serve_centre_and_printer(
            directory,
            "--operator-token",
            OPERATOR_TOKEN,
            "--operator-key",
            str(self.operator_pub),
            sign_in_window_s=SIGN_IN_WINDOW_S,
        )
        try:
            self.link, self.link_url = serve(
                [sys.executable, str(REPO / "bench" / "network_link.py"), self.centre_url],
                directory / "link.log",
                stdin=subprocess.PIPE,
            )
        except SystemExit:
            stop(self.printer, self.centre)
            raise

    def addresses(self) -> dict[str, str]:
        return {
            "centre": self.centre_url,
            "printer": self.printer_url,
            "link": self.link_url,
        }

    def close(self) -> None:
        if self.link.stdin is not None:
            self.link.stdin.close()  # end of input ends the link
        self.link.wait(timeout=STOP_TIMEOUT_S)
        stop(self.printer, self.centre)

    def cut(self) -> None:
        self._tell_link("cut", "cut")

    def restore(self) -> None:
        self._tell_link("restore", "restored")

    def paper_runs_out(self) -> None:
        self._signal_printer(signal.SIGUSR1, "paper: runs out")

    def new_roll(self) -> None:
        self._signal_printer(signal.SIGUSR2, "paper: a new roll")

    def publish_bundle(self, version: int) -> None:
        import requests

        config = json.loads((REPO / "config" / "remote.example.json").read_text(encoding="utf-8"))
        # Every service open all day (the example closes the loan service out of office hours), the log
        # level the bench runs at, and a receipt footer that shows the new version.
        config["hours"] = {"default": [], "per_service": {}}
        config["log_level"] = "WARNING"
        config["receipt"]["footer_lines"] = [*config["receipt"]["footer_lines"], f"配置版本 {version}"]
        bundle = sign_bundle(config, version=version, target="all", key=self.operator_key)
        response = requests.post(
            f"{self.centre_url}/v1/admin/bundles",
            json={"bundle": bundle, "stages": None, "max_failures": 0},
            headers={"Authorization": f"Bearer {OPERATOR_TOKEN}"},
            timeout=15,
        )
        if response.json().get("code") != "ok":
            raise SystemExit(f"day: the centre refused the bundle: {response.text[:300]}")

    def _tell_link(self, command: str, answer: str) -> None:
        assert self.link.stdin is not None
        before = self._lines("link.log", answer)
        self.link.stdin.write(f"{command}\n".encode())
        self.link.stdin.flush()
        self._await("link.log", answer, before + 1)

    def _signal_printer(self, signum: int, answer: str) -> None:
        before = self._lines("printer.log", answer)
        self.printer.send_signal(signum)
        self._await("printer.log", answer, before + 1)

    def _lines(self, log: str, start: str) -> int:
        text = (self.directory / log).read_text(encoding="utf-8", errors="replace")
        return sum(line.startswith(start) for line in text.splitlines())

    def _await(self, log: str, start: str, count: int) -> None:
        deadline = time.monotonic() + ACK_WAIT_S
        while self._lines(log, start) < count:
            if time.monotonic() > deadline:
                raise SystemExit(f"day: no {start!r} in {self.directory / log}")
            time.sleep(0.02)


def day(visits: int, seed: int) -> dict[str, Any]:
    if visits < WARM_UP + 20:
        raise SystemExit(f"day: --visits must be at least {WARM_UP + 20}")
    with tempfile.TemporaryDirectory(prefix="kiosk-day-") as tmp:
        directory = Path(tmp)
        hall = Hall(directory)
        try:
            settings_path = write_settings(
                directory,
                base_url=hall.link_url,
                printer_url=hall.printer_url,
                outbox_more=f"retry_cap_s = {RETRY_CAP_S}\n",
                more=f'\n[remote]\noperator_keys = ["{hall.operator_pub}"]\n',
            )
            log = KioskLog()
            root = logging.getLogger()
            level = root.level
            root.addHandler(log)  # and, with a handler, Python's last-resort printing to stderr is off
            root.setLevel(logging.WARNING)
            simulation = Simulation(load_settings(settings_path))
            try:
                problems = simulation.start()
                if problems:
                    raise SystemExit(f"day: parts did not start: {problems}")
                return _run(simulation, hall, log, visits, seed)
            finally:
                simulation.stop()
                root.removeHandler(log)
                root.setLevel(level)
        finally:
            hall.close()


@dataclass
class Tally:
    """What the day met, as the result reports it."""

    mix: Counter[str] = field(default_factory=Counter)
    scripted: Counter[str] = field(default_factory=Counter)
    errors: list[dict[str, Any]] = field(default_factory=list)
    depth: list[list[int]] = field(default_factory=list)
    rss: list[list[float]] = field(default_factory=list)  # [visit, MB]: a leak climbs, a cache levels off
    drops: list[dict[str, Any]] = field(default_factory=list)
    paper: dict[str, Any] = field(default_factory=dict)
    bundle: dict[str, Any] = field(default_factory=dict)


def _run(simulation: Simulation, hall: Hall, log: KioskLog, visits: int, seed: int) -> dict[str, Any]:
    runtime = simulation.runtime
    outbox = runtime.outbox
    if outbox is None:
        raise SystemExit("day: the kiosk's outbox did not open")
    cards = runtime.central.demo_cards()
    planner = Planner(
        [c.id_number for c in cards if c.status == "normal" and c.name != OTHER_PASSWORD_NAME],
        random.Random(seed),
    )
    schedule = Schedule.of(visits)
    tally = Tally()
    before: Usage | None = None
    files_before: Counter[str] = Counter()
    started = time.monotonic()
    for number in range(visits):
        log.visit = number
        if number == WARM_UP:
            before, files_before = usage(), open_files()
            started = time.monotonic()
        if number % SAMPLE_EVERY == 0:
            tally.depth.append([number, outbox.usage().rows])
            if number >= WARM_UP:
                tally.rss.append([number, round(usage().rss_kb / 1024, 1)])
        planned, after_step = _incident(number, schedule, planner, simulation, hall, tally)
        report = simulation.run_visit(Visit.model_validate({"steps": planned.steps}), after_step)
        planner.learn(planned, report)
        tally.mix[planned.kind] += 1
        _judge(number, planned, report, schedule, tally)
        _after_incident(number, report, schedule, simulation, hall, tally)
        if (number + 1) % 100 == 0:
            print(f"day: {number + 1} visits, outbox {outbox.usage().rows}", file=sys.stderr)
    elapsed = time.monotonic() - started
    final_depth = _drain(simulation)[1]
    tally.depth.append([visits, final_depth])
    after, files_after = usage(), open_files()
    assert before is not None  # visits > WARM_UP
    result = _result(visits, seed, tally, log, before, after, elapsed, final_depth)
    # What a change in descriptors is, the hall's addresses named.
    names = {urlsplit(url).port: name for name, url in hall.addresses().items()}
    for key, change in (("fds_added", files_after - files_before), ("fds_gone", files_before - files_after)):
        result[key] = {_named(target, names): count for target, count in change.items()}
    return result


def _named(target: str, names: dict[int | None, str]) -> str:
    kind, _, port = target.rpartition(":")
    return f"tcp to the {names[int(port)]}" if kind == "tcp 127.0.0.1" and int(port) in names else target


def _incident(
    number: int, schedule: Schedule, planner: Planner, simulation: Simulation, hall: Hall, tally: Tally
) -> tuple[Planned, Any]:
    """The visit `number` plans, or the one its incident needs, and what must happen in its middle."""
    if number == schedule.paper_out:
        hall.paper_runs_out()
        tally.paper = {"out_at_visit": number + 1}
        return _certificate_visit(planner), None
    if number == schedule.paper_out + 1:
        return _certificate_visit(planner), None
    for start, end in schedule.drops:
        if number == start:
            id_number = planner.rng.choice(planner.citizens)
            if start == schedule.drops[0][0]:  # the line drops as the citizen pre-registers: filed offline
                kind, cut_after, then = "pre_registration", "password", _pre_registration()
            else:  # as the citizen, having seen their account, rates it: the rating waits in the outbox
                kind, cut_after = "query", "service"
                then = [{"do": "service", "name": "overview"}, {"do": "rate", "score": 4}, {"do": "end"}]

            def cut(step: StepReport, after: str = cut_after) -> None:
                if step.do == after:
                    hall.cut()
                    tally.drops.append({"cut_at_visit": number + 1, "depth_at_cut": _depth(simulation)})

            steps = [*planner.sign_in(id_number), *then]
            if kind == "pre_registration":
                steps += planner.rating()
            return Planned(kind, steps, id_number), cut
        if start < number < end and (number - start) % COMPLAINT_EVERY_IN_DROP == 0:
            return Planned("complaint", [planner.complaint("self_service_kiosk"), {"do": "end"}]), None
    if number == schedule.bundle:
        id_number = planner.rng.choice(planner.citizens)
        services = [{"do": "service", "name": name} for name in ("overview", "deposits", "loan", "status")]
        steps = [*planner.sign_in(id_number), *services, *planner.rating()]

        def publish(step: StepReport) -> None:
            if step.do == "password":
                hall.publish_bundle(BUNDLE_VERSION)
                simulation.runtime.fleet.poke()
                outcome = _await_outcome(simulation, "deferred")
                tally.bundle = {"at_visit": number + 1, "version": BUNDLE_VERSION, "mid_visit": outcome}

        return Planned("query", steps, id_number), publish
    return planner.plan(planner.kind(number), number), None


def _certificate_visit(planner: Planner) -> Planned:
    id_number = planner.rng.choice(planner.citizens)
    steps = [*planner.sign_in(id_number), {"do": "certificate", "kind": "deposit"}, *planner.rating()]
    return Planned("certificate", steps, id_number)


def _after_incident(
    number: int, report: VisitReport, schedule: Schedule, simulation: Simulation, hall: Hall, tally: Tally
) -> None:
    printed = any(s.do == "certificate" and s.ok for s in report.steps)
    if number == schedule.paper_out:
        tally.paper["noticed"] = any(s.do == "certificate" and s.code == "not_printed" for s in report.steps)
        hall.new_roll()
    elif number == schedule.paper_out + 1:
        tally.paper["recovered"] = printed
    elif number == schedule.bundle:
        tally.bundle["visit_ok"] = report.ok
        tally.bundle["after_visit"] = _await_outcome(simulation, "healthy")
        remote = simulation.runtime.remote
        tally.bundle["applied_version"] = remote.state.applied_version if remote else 0
    if any(number + 1 == end for _start, end in schedule.drops) and tally.drops:
        drop = tally.drops[-1]
        drop["depth_at_restore"] = _depth(simulation)
        hall.restore()
        drop["restored_at_visit"] = number + 1
        drop["drained_s"], depth = _drain(simulation)
        drop["drained"] = depth == 0
        tally.depth += [[number + 1, drop["depth_at_restore"]], [number + 1, depth]]


def _depth(simulation: Simulation) -> int:
    outbox = simulation.runtime.outbox
    return outbox.usage().rows if outbox is not None else 0


def _drain(simulation: Simulation) -> tuple[float, int]:
    """Seconds until the outbox is empty (at most DRAIN_WAIT_S), and its depth then."""
    began = time.monotonic()
    while _depth(simulation) and time.monotonic() - began < DRAIN_WAIT_S:
        time.sleep(0.05)
    return round(time.monotonic() - began, 2), _depth(simulation)


def _await_outcome(simulation: Simulation, wanted: str) -> str:
    """The fleet agent's last configuration outcome for the bench's bundle once it is `wanted`, or
    whatever it was when BUNDLE_WAIT_S ran out."""
    fleet = simulation.runtime.fleet
    deadline = time.monotonic() + BUNDLE_WAIT_S
    while time.monotonic() < deadline:
        outcome = fleet.last_outcome
        if outcome is not None and outcome.version == BUNDLE_VERSION and outcome.outcome == wanted:
            return wanted
        time.sleep(0.02)
    outcome = fleet.last_outcome
    return "none" if outcome is None else f"{outcome.outcome} {outcome.reason}".strip()


def _judge(number: int, planned: Planned, report: VisitReport, schedule: Schedule, tally: Tally) -> None:
    """Count the scripted errors, list the others."""
    tally.scripted["wrong_password"] += sum(s.code == "wrong_password" for s in report.steps)
    tally.scripted["abandoned"] += planned.kind == "abandonment"
    for step in report.steps:
        if step.ok:
            # A filing the centre took whose slip did not come out: the citizen leaves without it.
            if step.data.get("printed") is False:
                tally.errors.append(
                    {"visit": number + 1, "kind": planned.kind, "step": step.do, "code": "slip_not_printed"}
                )
            continue
        if number == schedule.paper_out and step.do == "certificate" and step.code == "not_printed":
            tally.scripted["paper_out"] += 1
        elif schedule.dropped(number) and step.code == "unavailable":
            tally.scripted["network_down"] += 1
        else:
            tally.errors.append(
                {"visit": number + 1, "kind": planned.kind, "step": step.do, "code": step.code}
            )


def _result(
    visits: int,
    seed: int,
    tally: Tally,
    log: KioskLog,
    before: Usage,
    after: Usage,
    elapsed: float,
    final_depth: int,
) -> dict[str, Any]:
    goals = {
        "rss": (after.rss_kb - before.rss_kb) / 1024 <= TARGET_RSS_GROWTH_MB,
        "threads": after.threads <= before.threads,
        "fds": after.fds <= before.fds,
        "no_unscripted_errors": not tally.errors,
        "paper_out_noticed_and_recovered": bool(tally.paper.get("noticed") and tally.paper.get("recovered")),
        "drops_filled_and_drained": len(tally.drops) == len(DROPS_AT)
        and all(d.get("drained") and d.get("depth_at_restore", 0) > 0 for d in tally.drops),
        "bundle_deferred_mid_visit_then_applied": tally.bundle.get("mid_visit") == "deferred"
        and tally.bundle.get("visit_ok") is True
        and tally.bundle.get("after_visit") == "healthy"
        and tally.bundle.get("applied_version") == BUNDLE_VERSION,
        "outbox_empty_at_end": final_depth == 0,
    }
    return {
        "visits": visits,
        "seed": seed,
        "mix": dict(tally.mix.most_common()),
        "start": before.as_json(),
        "end": after.as_json(),
        "rss_growth_mb": round((after.rss_kb - before.rss_kb) / 1024, 2),
        "threads_growth": after.threads - before.threads,
        "fds_growth": after.fds - before.fds,
        "visits_per_min": round((visits - WARM_UP) / elapsed * 60, 1),
        "rss_mb_over_day": [*tally.rss, [visits, round(after.rss_kb / 1024, 1)]],
        "outbox_depth": tally.depth,
        "drops": tally.drops,
        "paper": tally.paper,
        "bundle": tally.bundle,
        "scripted": dict(tally.scripted),
        "unscripted_errors": len(tally.errors),
        "errors": tally.errors,
        "kiosk_log": dict(log.counts.most_common()),
        "kiosk_log_errors": log.errors,
        "goals_missed": [name for name, met in goals.items() if not met],
        "targets_met": all(goals.values()),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--visits", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=20261130, help="seed of the mix")
    parser.add_argument("--json", action="store_true", help="one JSON object")
    args = parser.parse_args()
    result = day(args.visits, args.seed)
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
    else:
        for key, value in result.items():
            print(f"{key}: {value}")
    return 0 if result["targets_met"] else 1


if __name__ == "__main__":
    sys.exit(main())
