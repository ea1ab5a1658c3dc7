"""Stopping the kiosk's parts: in reverse start order, under one deadline, never on the UI thread.

Each part runs on a thread of its own and gets the seconds left, or its own smaller share: one that hangs
(a device that does not answer, a thread stuck in a call) costs at most its share, and the parts after it
still stop. A part that has not stopped in time is left to the process exit; a part that needs it stopped
first (the outbox needs its forwarder stopped) is then left alone too, rather than closed under it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from kiosk.services.faults import one_line_reason

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class StopStep:
    name: str
    stop: Callable[[float], object]  # given the seconds left; returns once the part has stopped
    needs: tuple[str, ...] = ()  # parts that must have stopped first, else this one is left alone
    most_s: float | None = None  # the longest this part may take, even when more time is left


@dataclass
class StopReport:
    stopped: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)  # raised while stopping
    overran: list[str] = field(default_factory=list)  # still stopping when its time was up
    left_alone: list[str] = field(default_factory=list)  # not tried: no time left, or a part it needs runs on
    seconds: float = 0.0

    @property
    def clean(self) -> bool:
        return not (self.failed or self.overran or self.left_alone)


def stop_in_order(
    steps: Sequence[StopStep], deadline_s: float, clock: Callable[[], float] = time.monotonic
) -> StopReport:
    started = clock()
    deadline = started + deadline_s
    report = StopReport()
    unfinished: set[str] = set()
    for step in steps:
        left = deadline - clock()
        if left <= 0 or unfinished.intersection(step.needs):
            report.left_alone.append(step.name)
            unfinished.add(step.name)
            continue
        if step.most_s is not None:
            left = min(left, step.most_s)
        finished, error = _run_within(step, left)
        if finished and error is None:
            report.stopped.append(step.name)
            continue
        unfinished.add(step.name)
        if error is not None:
            log.warning("stopping %s failed: %s", step.name, one_line_reason(error))
            report.failed.append(step.name)
        else:
            log.warning("%s did not stop within the %.1f s left; the process exit ends it", step.name, left)
            report.overran.append(step.name)
    report.seconds = clock() - started
    return report


def _run_within(step: StopStep, seconds: float) -> tuple[bool, BaseException | None]:
    """(finished, the exception it raised) once the step ends or `seconds` pass."""
    errors: list[BaseException] = []
    finished = threading.Event()

    def run() -> None:
        try:
            step.stop(seconds)
        except BaseException as exc:  # reported by the caller; a stop goes on whatever one part does
            errors.append(exc)
        finished.set()

    threading.Thread(target=run, name=f"stop {step.name}", daemon=True).start()
    done = finished.wait(seconds)
    return done, (errors[0] if errors else None)
