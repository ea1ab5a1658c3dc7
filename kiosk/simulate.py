"""`kiosk simulate`: scripted visits through the kiosk's own visit flow, without Kivy.

The kiosk is built from its settings exactly as `kiosk run` builds it (`build_runtime`, then the
background services: devices by URL, outbox and forwarder, printer, centre), and each visit of the script
drives `runtime.visit` step by step, as the screens would on a citizen's taps (kiosk/simulate_steps.py).
The script is read and checked against the settings before anything starts (kiosk/simulate_script.py);
docs/simulate.md is the vocabulary.

Exit status: 0 when every step did what it asked; 1 when a step did not (a failed step ends its visit: the
rest of that visit does not run, and the next visit begins); 2 for a script or settings that cannot run.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from kiosk.simulate_script import (
    BANK_CARD_KINDS,
    InsertBankCard,
    PlaceIdCard,
    Script,
    ScriptError,
    Visit,
    load_script,
    where,
)

if TYPE_CHECKING:
    from kiosk.devices.bankcard.virtual_card import CardProfile
    from kiosk.runtime import Problem, Runtime
    from kiosk.services.shutdown import StopReport
    from kiosk.settings import Settings
    from kiosk.simulate_steps import KioskHands, Receipt

EXIT_OK, EXIT_FAILED, EXIT_BAD_SCRIPT = 0, 1, 2
# The runtime stops every part within its own deadline (runtime.STOP_DEADLINE_S); a little more for the
# stop's thread to report.
STOP_WAIT_S = 20.0
# At the end of a run: how long the last visits' items may take to reach a centre that answers.
DELIVER_WAIT_S = 10.0


@dataclass(frozen=True)
class StepReport:
    do: str
    ok: bool
    code: str
    data: dict[str, Any]
    wanted: str  # what it had to end with, for the failure line

    def as_json(self) -> dict[str, Any]:
        return {"do": self.do, "ok": self.ok, "code": self.code, "data": self.data}


@dataclass
class VisitReport:
    steps: list[StepReport] = field(default_factory=list)
    receipts: list[Receipt] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(step.ok for step in self.steps)

    def as_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "steps": [step.as_json() for step in self.steps],
            "receipts": [
                {"kind": receipt.kind, "number": receipt.number, "status": receipt.status}
                for receipt in self.receipts
            ],
        }


def check_against_settings(script: Script, settings: Settings, script_path: Path) -> dict[str, CardProfile]:
    """What only the settings and the disk can tell about a script, checked before anything runs: steps
    that need an emulated reader have one, and the bank card files it names can be read. Returns those
    cards by the name the script gives them. ScriptError otherwise."""
    from kiosk.devices.bankcard.virtual_card import BankCardFileError, load_card_file

    source = str(script_path)
    cards: dict[str, CardProfile] = {}
    for v, visit in enumerate(script.visits):
        for s, step in enumerate(visit.steps):
            if isinstance(step, PlaceIdCard):
                _needs_emulated(settings, "idcard", settings.devices.idcard, where(source, v, s, step.do))
            if isinstance(step, InsertBankCard):
                _needs_emulated(settings, "bankcard", settings.devices.bankcard, where(source, v, s, step.do))
                if step.card in BANK_CARD_KINDS or step.card in cards:
                    continue
                path = Path(step.card)
                if not path.is_absolute():
                    path = script_path.parent / path  # as the script's author sees it, beside the script
                try:
                    cards[step.card] = load_card_file(path)
                except BankCardFileError as exc:
                    raise ScriptError(f"{where(source, v, s, step.do)}: card: {exc}") from None
    return cards


def _needs_emulated(settings: Settings, device: str, url: str | None, place: str) -> None:
    if url is None or urlsplit(url).scheme != "sim":
        raise ScriptError(
            f'{place}: needs the emulated reader, devices.{device} = "sim://" in {settings.source} '
            f"(it is {json.dumps(url)}); with a real reader, use the step that waits for a card"
        )


class Simulation:
    """One kiosk, built from settings as `kiosk run` builds it, serving scripted visits one after another.

    `start()` before the first visit, `stop()` after the last (it stops every part, as the kiosk does on
    shutdown). Between visits the kiosk is as after a goodbye: nobody signed in, the emulated readers empty.
    """

    def __init__(self, settings: Settings, bank_cards: Mapping[str, CardProfile] | None = None) -> None:
        self._settings = settings
        self._bank_cards = dict(bank_cards or {})
        self._runtime: Runtime | None = None
        self._hands: KioskHands | None = None

    @property
    def runtime(self) -> Runtime:
        if self._runtime is None:
            raise RuntimeError("the simulation has not started")
        return self._runtime

    def start(self) -> list[Problem]:
        """Build and start the kiosk; the parts that did not start (the kiosk carries on without them).
        Raises FontError or DeviceConfigError as `kiosk run` would refuse to start."""
        from kiosk.runtime import build_runtime
        from kiosk.simulate_steps import KioskHands

        runtime = build_runtime(self._settings)
        self._runtime = runtime
        # Listening before the reader opens: a card already on it is reported at the first poll.
        self._hands = KioskHands(runtime, self._bank_cards)
        runtime.start_background_services()
        return list(runtime.problems)

    def run_visit(self, visit: Visit, after_step: Callable[[StepReport], None] | None = None) -> VisitReport:
        """Run the visit's steps; `after_step` (a bench's) is called after each, before the next, so that
        something can happen in the middle of a visit (a bundle arriving, the network dropping)."""
        from kiosk.simulate_steps import VisitMemory, end_visit, run_step

        hands = self._hands
        if hands is None:
            raise RuntimeError("the simulation has not started")
        memory = VisitMemory()
        report = VisitReport()
        try:
            for step in visit.steps:
                outcome = run_step(step, hands, memory)
                ok = step.succeeded(outcome.code)
                report.steps.append(StepReport(step.do, ok, outcome.code, outcome.data, step.wanted()))
                if outcome.receipt is not None:
                    report.receipts.append(outcome.receipt)
                if not ok:
                    break
                if after_step is not None:
                    after_step(report.steps[-1])
        finally:
            # However the steps went, the next visit begins on a kiosk nobody is signed in at.
            end_visit(hands, memory)
        return report

    def stop(self) -> StopReport | None:
        if self._runtime is None:
            return None
        self._deliver_what_waits()
        return self._runtime.stop().result(STOP_WAIT_S)

    def _deliver_what_waits(self) -> None:
        """The last visit files its touchpoints and rating as it ends. A kiosk left on sends them within
        seconds; a run that stopped at once would leave them for its next run, and a scorecard read right
        after would miss them. So, while the centre answers, wait (at most DELIVER_WAIT_S) until the
        outbox is empty; a centre that does not answer gets no wait: what waits goes at the next run."""
        from kiosk.offline_queue.events import Connectivity

        runtime = self.runtime
        outbox, forwarder = runtime.outbox, runtime.forwarder
        runtime.visit.flush_feedback(DELIVER_WAIT_S)
        if outbox is None or forwarder is None:
            return
        deadline = time.monotonic() + DELIVER_WAIT_S
        outbox.retry_now()  # what waits out a back-off after a failure goes now
        while (
            outbox.usage().rows
            and forwarder.connectivity.state is Connectivity.ONLINE
            and time.monotonic() < deadline
        ):
            time.sleep(0.05)


def simulate_command(config: Path, script_path: Path, *, as_json: bool, verbose: bool) -> int:
    """`kiosk simulate`: run the script, print the reports, return the exit status."""
    from kiosk.devices.base import DeviceConfigError
    from kiosk.fonts import FontError
    from kiosk.settings import load_settings

    settings = load_settings(config)  # SettingsError: the command line says it in one line, exit 2
    try:
        script = load_script(script_path)
        bank_cards = check_against_settings(script, settings, script_path)
    except ScriptError as exc:
        _say(str(exc))
        return EXIT_BAD_SCRIPT
    if not verbose:
        # The kiosk logs each part's start and every print at INFO; the report is what a run is for.
        logging.getLogger().setLevel(logging.WARNING)
    simulation = Simulation(settings, bank_cards)
    try:
        for problem in simulation.start():
            _say(f"{problem.part} did not start ({problem.reason}); the kiosk carries on without it")
        reports = [simulation.run_visit(visit) for visit in script.visits]
    except (FontError, DeviceConfigError) as exc:
        _say(str(exc))
        return EXIT_BAD_SCRIPT
    finally:
        simulation.stop()
    ok = all(report.ok for report in reports)
    if as_json:
        print(json.dumps({"ok": ok, "visits": [r.as_json() for r in reports]}, ensure_ascii=False))
    else:
        _print_text(reports, str(script_path))
    return EXIT_OK if ok else EXIT_FAILED


def _print_text(reports: list[VisitReport], source: str) -> None:
    steps = failed = 0
    for v, report in enumerate(reports):
        for s, step in enumerate(report.steps):
            steps += 1
            print(f"visit {v + 1}, step {s + 1} ({step.do}): {step.code}")
            if not step.ok:
                failed += 1
                _say(f"{where(source, v, s, step.do)}: {step.code}, expected {step.wanted}")
        for receipt in report.receipts:
            print(f"visit {v + 1}: receipt {receipt.kind} {receipt.number or '-'} {receipt.status}")
    verdict = "every step did what it asked" if not failed else f"{failed} failed"
    print(f"{len(reports)} visits, {steps} steps: {verdict}")


def _say(line: str) -> None:
    print(f"kiosk simulate: {line}", file=sys.stderr)
