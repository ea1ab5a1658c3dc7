"""Synthetic cards, an event recorder and the installed commands, shared by the device tests. Every value
here is obviously fake."""

from __future__ import annotations

import datetime as dt
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Self

from kiosk.devices.base import CommandContext, Device, DeviceState, HealthReport
from kiosk.devices.idcard.card import LONG_TERM, CardType, Gender, IdCard
from kiosk.devices.idcard.emulator import SYNTHETIC_PHOTO
from kiosk.devices.registry import DeviceUrl

RESIDENT = IdCard(
    card_type=CardType.RESIDENT,
    name="张测试",
    gender=Gender.MALE,
    nation="汉",
    birth_date=dt.date(1990, 1, 1),
    address="天津市示例区测试路1号",
    id_number="120199199001010012",
    issuing_authority="天津市公安局示例分局",
    valid_from=dt.date(2015, 1, 1),
    valid_to=dt.date(2035, 1, 1),
    photo=SYNTHETIC_PHOTO,
)
RESIDENT_LONG_TERM_X = IdCard(
    card_type=CardType.RESIDENT,
    name="李测试",
    gender=Gender.FEMALE,
    nation="外国血统中国籍人士",
    birth_date=dt.date(1990, 1, 1),
    address="天津市示例区测试路2号",
    id_number="12019919900101008X",
    issuing_authority="天津市公安局示例分局",
    valid_from=dt.date(2010, 6, 1),
    valid_to=LONG_TERM,
    photo=SYNTHETIC_PHOTO,
)
HMT_PERMIT = IdCard(
    card_type=CardType.HMT_RESIDENCE_PERMIT,
    name="陈测试",
    gender=Gender.MALE,
    birth_date=dt.date(1990, 1, 1),
    address="天津市示例区测试路3号",
    id_number="810000199001010019",
    issuing_authority="天津市公安局示例分局",
    valid_from=dt.date(2020, 1, 1),
    valid_to=dt.date(2025, 1, 1),
    pass_number="H00000001",
    issue_count=1,
    photo=SYNTHETIC_PHOTO,
)
FOREIGN_2017 = IdCard(
    card_type=CardType.FOREIGN_PERMANENT_2017,
    name="测试",
    name_en="TEST, SAMPLE ALPHA",
    gender=Gender.FEMALE,
    nationality="USA",
    birth_date=dt.date(1990, 1, 1),
    id_number="USA120199900101",
    issuing_authority="1500",
    valid_from=dt.date(2017, 1, 1),
    valid_to=dt.date(2027, 1, 1),
    photo=SYNTHETIC_PHOTO,
)
FOREIGN_2023 = IdCard(
    card_type=CardType.FOREIGN_PERMANENT_2023,
    name="王测试",
    name_en="TEST SAMPLE BRAVO WITH A LONG ENGLISH NAME",  # longer than the first field: runs on at 220
    gender=Gender.UNSPECIFIED,
    nationality="CAN",
    birth_date=dt.date(1990, 1, 1),
    id_number="912019919900101000",
    issue_count=0,
    valid_from=dt.date(2023, 12, 1),
    valid_to=dt.date(2033, 12, 1),
    photo=SYNTHETIC_PHOTO,
)
ALL_TYPES = (RESIDENT, RESIDENT_LONG_TERM_X, HMT_PERMIT, FOREIGN_2017, FOREIGN_2023)


class Recorder:
    """Collects events from any thread; ``wait_for`` blocks the test until a condition on them holds."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._events: list[Any] = []

    def __call__(self, event: Any) -> None:
        with self._cond:
            self._events.append(event)
            self._cond.notify_all()

    @property
    def events(self) -> list[Any]:
        with self._cond:
            return list(self._events)

    def of(self, kind: type) -> list[Any]:
        return [event for event in self.events if isinstance(event, kind)]

    def wait_for(self, predicate: Callable[[list[Any]], bool], timeout: float = 10.0) -> list[Any]:
        with self._cond:
            if not self._cond.wait_for(lambda: predicate(self._events), timeout):
                raise AssertionError(f"timed out waiting; events so far: {self._events}")
            return list(self._events)

    def wait_count(self, kind: type, count: int, timeout: float = 10.0) -> list[Any]:
        self.wait_for(lambda events: sum(isinstance(e, kind) for e in events) >= count, timeout)
        return self.of(kind)


def wait_until(condition: Callable[[], bool], timeout: float = 10.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.005)


class FakeDevice(Device):
    """A device whose hardware is a few attributes the test sets."""

    kind = "fake"

    def __init__(self, poll: float | None = None, open_delay: float = 0.0) -> None:
        super().__init__("fake://")
        self.poll = poll
        self.open_delay = open_delay
        self.polls = 0
        self.poll_raises = False
        self.closed_on: str | None = None

    @classmethod
    def from_url(cls, url: DeviceUrl) -> Self:
        return cls()

    def _on_open(self, ctx: CommandContext) -> None:
        time.sleep(self.open_delay)
        self._set_state(DeviceState.IDLE, "ready")

    def _on_close(self) -> None:
        self.closed_on = threading.current_thread().name

    def _check_external(self, ctx: CommandContext) -> HealthReport:
        return HealthReport(True, f"asked on {threading.current_thread().name}")

    def _poll_interval(self) -> float | None:
        return self.poll

    def _on_poll(self, ctx: CommandContext) -> None:
        self.polls += 1
        if self.poll_raises:
            raise RuntimeError("driver bug")
        self._set_state(DeviceState.IDLE, "polled")


def installed(script: str) -> str:
    """The console script ``pip install`` put next to this interpreter (``kiosk``, ``kiosk-admin``, ...):
    tests run the command a person types, so a command that is not wired up fails them."""
    path = Path(sys.executable).with_name(script)
    if not path.exists():
        raise AssertionError(f"{path} is missing: install the project (pip install -e .) into this venv")
    return str(path)
