"""The device tests staff run from maintenance mode: read an ID card, read a bank card, print a test slip,
and the readers' statistics. Each gives pass or fail and one sentence (a message id) saying what to do.

A test card's data is shown masked and goes nowhere else: not in the log, not in an audit event.
The ID card reader keeps telling its usual listeners of the card as well; the app ignores card events
while a maintenance session is in progress (docs/maintenance.md).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import CancelledError
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field

from kiosk.devices.bankcard.errors import CardExpired, ReaderGone
from kiosk.devices.bankcard.reader import BankCardReader
from kiosk.devices.base import Device, DeviceState
from kiosk.devices.errors import CommandTimeout, DeviceClosedError, DeviceError
from kiosk.devices.idcard.reader import IdCardReader
from kiosk.devices.printer.driver import EscposPrinter, PrintOutcome, PrintResult
from kiosk.i18n import N_
from kiosk.masking import mask_bank_card, mask_id_number, mask_name
from kiosk.receipts.data import ReceiptBranding

log = logging.getLogger(__name__)

CARD_WAIT_S = 20.0
PRINT_TIMEOUT_S = 60.0
_WORKING = (DeviceState.IDLE, DeviceState.BUSY)

PASSED = {
    "idcard": N_("The ID card reader works."),
    "bankcard": N_("The bank card reader works."),
    "printer": N_("The printer works. Check that the slip is clear and the Chinese text is right."),
}
NOT_CONFIGURED = N_("This kiosk has no such device in its settings.")
READER_DOWN = N_("The reader is not working: check its cable and power, then restart the kiosk app.")
NO_CARD = N_("No card was placed in time. Place a test card and run the test again.")
CARD_UNREADABLE = N_("The card could not be read. Try another card; if none reads, the reader needs service.")
CARD_EXPIRED = N_("The reader works, but this bank card has expired. Try a valid card.")
PAPER_OUT = N_("The printer is out of paper. Put in a new roll, mark paper replaced, and test again.")
COVER_OPEN = N_("The printer cover is open. Close it and test again.")
PRINTER_SILENT = N_("The printer does not answer. Check its cable and power, then test again.")
PRINTER_FAULT = N_("The printer reports a fault (cutter or paper jam). Clear it and test again.")
NOT_CONFIRMED = N_("The slip was sent but the printer did not confirm it. Check the slip and the printer.")


@dataclass(frozen=True)
class DeviceTestResult:
    device: str  # idcard | bankcard | printer
    passed: bool
    message: str  # a message id: what it means and what to do
    shown: dict[str, str] = field(default_factory=dict)  # masked values for the screen only
    detail: str = ""  # a short code for the audit and the log (never card data)


class DeviceTests:
    """Each test blocks until it has an answer (up to its timeout): call from a worker."""

    def __init__(
        self,
        devices: Callable[[], dict[str, Device]],
        branding: Callable[[], ReceiptBranding],
        printed: Callable[[PrintOutcome], None],
    ) -> None:
        self._devices = devices
        self._branding = branding
        self._printed = printed

    def devices(self) -> dict[str, Device]:
        return self._devices()

    def read_id_card(self, timeout_s: float = CARD_WAIT_S) -> DeviceTestResult:
        reader = self._devices().get("idcard")
        if not isinstance(reader, IdCardReader):
            return DeviceTestResult("idcard", False, NOT_CONFIGURED, detail="not_configured")
        if reader.state not in _WORKING:
            return DeviceTestResult("idcard", False, READER_DOWN, detail=reader.state.value)
        future = reader.wait_for_card(timeout=timeout_s)
        try:
            card = future.result(timeout_s + 5)
        except (CommandTimeout, FutureTimeout):
            future.cancel()
            return DeviceTestResult("idcard", False, NO_CARD, detail="no_card")
        except (DeviceClosedError, CancelledError):
            return DeviceTestResult("idcard", False, READER_DOWN, detail="closed")
        except DeviceError as exc:
            down = reader.state not in _WORKING
            return DeviceTestResult(
                "idcard", False, READER_DOWN if down else CARD_UNREADABLE, detail=type(exc).__name__
            )
        shown = {"name": mask_name(card.name), "id_number": mask_id_number(card.id_number)}
        return DeviceTestResult("idcard", True, PASSED["idcard"], shown, detail="read")

    def read_bank_card(self, timeout_s: float = CARD_WAIT_S) -> DeviceTestResult:
        reader = self._devices().get("bankcard")
        if not isinstance(reader, BankCardReader):
            return DeviceTestResult("bankcard", False, NOT_CONFIGURED, detail="not_configured")
        if reader.state not in _WORKING:
            return DeviceTestResult("bankcard", False, READER_DOWN, detail=reader.state.value)
        future = reader.wait_and_read(timeout=timeout_s)
        try:
            card = future.result(timeout_s + 5)
        except (CommandTimeout, FutureTimeout):
            future.cancel()
            return DeviceTestResult("bankcard", False, NO_CARD, detail="no_card")
        except CardExpired:
            return DeviceTestResult("bankcard", False, CARD_EXPIRED, detail="expired")
        except (ReaderGone, DeviceClosedError, CancelledError) as exc:
            return DeviceTestResult("bankcard", False, READER_DOWN, detail=type(exc).__name__)
        except DeviceError as exc:
            down = reader.state not in _WORKING
            return DeviceTestResult(
                "bankcard", False, READER_DOWN if down else CARD_UNREADABLE, detail=type(exc).__name__
            )
        shown = {"pan": mask_bank_card(card.pan), "label": card.label}
        return DeviceTestResult("bankcard", True, PASSED["bankcard"], shown, detail="read")

    def print_test_slip(self) -> DeviceTestResult:
        printer = self._devices().get("printer")
        if not isinstance(printer, EscposPrinter):
            return DeviceTestResult("printer", False, NOT_CONFIGURED, detail="not_configured")
        try:
            outcome = printer.print_test_slip(self._branding(), timeout=PRINT_TIMEOUT_S).result(
                PRINT_TIMEOUT_S + 5
            )
        except (DeviceError, FutureTimeout, CancelledError) as exc:
            return DeviceTestResult("printer", False, PRINTER_SILENT, detail=type(exc).__name__)
        self._printed(outcome)
        shown = {"status": outcome.after.describe() if outcome.started else outcome.before.describe()}
        if outcome.result is PrintResult.PRINTED:
            return DeviceTestResult("printer", True, PASSED["printer"], shown, detail="printed")
        if outcome.result is PrintResult.UNCONFIRMED:
            return DeviceTestResult("printer", False, NOT_CONFIRMED, shown, detail="unconfirmed")
        status = outcome.after if outcome.started else outcome.before
        problem = status.problem or ""
        if problem == "paper out":
            message = PAPER_OUT
        elif problem == "cover open":
            message = COVER_OPEN
        elif problem in ("cutter error", "unrecoverable error", "recoverable error"):
            message = PRINTER_FAULT
        else:
            message = PRINTER_SILENT
        return DeviceTestResult(
            "printer", False, message, shown, detail=problem.replace(" ", "_") or "failed"
        )

    def statistics(self) -> dict[str, dict[str, int | float]]:
        """Each device's counters (commands, reads, failures, errors, timeouts, hours open). Any thread."""
        return {name: device.statistics.as_dict() for name, device in self._devices().items()}
