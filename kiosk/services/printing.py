"""Printing for the citizen: the account statement and every transaction's slip on the receipt printer.

A slip is reported printed only when the driver says so (`PrintOutcome.printed`: the printer confirmed it
with GS r, or, on a printer without GS r, was still ready after it); a slip that failed part-way or was
never confirmed is reported as not printed, so the screen never says "take your receipt" over an empty
tray. `tests/unit/test_printing_service.py` holds this against every printer fault.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from kiosk.devices.base import DeviceError
from kiosk.devices.printer.driver import EscposPrinter, PrintOutcome
from kiosk.i18n import N_
from kiosk.receipts.data import ReceiptBranding
from kiosk.receipts.model import Receipt
from kiosk.receipts.templates import account_statement
from kiosk.services.citizen import CitizenService, Unavailable
from kiosk.services.policy import CENTRE_TIME

log = logging.getLogger(__name__)

PRINT_TIMEOUT_S = 60
PRINTER_FAILED = N_("The printer is not working just now. Please ask at the counter.")


@dataclass(frozen=True)
class PrintReport:
    printed: bool
    message: str  # a message id for the citizen


class PrintService:
    def __init__(
        self,
        printer: EscposPrinter,
        citizen: CitizenService,
        branding: Callable[[], ReceiptBranding],
        now: Callable[[], datetime] = lambda: datetime.now(CENTRE_TIME),
    ) -> None:
        self._printer = printer
        self._citizen = citizen
        self._branding = branding
        self._now = now
        # Called on the printing worker with every job's outcome (the paper counter measures each job).
        self.job_listeners: list[Callable[[PrintOutcome], None]] = []

    @property
    def printer(self) -> EscposPrinter:
        return self._printer

    def print_account_statement(self) -> PrintReport:
        """Blocking (HTTP and the printer): call from a worker."""
        try:
            data = self._citizen.statement_data(self._now())
        except Unavailable:
            return PrintReport(False, N_("We cannot reach the centre just now, so nothing was printed."))
        return self.print_receipt(account_statement(data, self._branding()), "statement")

    def branding(self) -> ReceiptBranding:
        return self._branding()

    def now(self) -> datetime:
        return self._now()

    def print_receipt(self, receipt: Receipt, what: str) -> PrintReport:
        """Print one receipt and say whether it came out; `what` names it in the log (never its content).
        Blocking: call from a worker."""
        try:
            job = self._printer.print_receipt(receipt, timeout=PRINT_TIMEOUT_S)
            outcome = job.result(PRINT_TIMEOUT_S + 5)
        except (DeviceError, TimeoutError) as exc:
            log.warning("printing the %s failed: %s", what, type(exc).__name__)
            return PrintReport(False, PRINTER_FAILED)
        for listener in list(self.job_listeners):
            listener(outcome)
        if outcome.printed:
            return PrintReport(True, N_("Please take your receipt from the slot below."))
        result = outcome.result.value
        log.warning("%s not printed: %s, %s (started: %s)", what, result, outcome.reason, outcome.started)
        return PrintReport(False, PRINTER_FAILED)
