"""Printing for the citizen: the account statement on the receipt printer.

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
from kiosk.devices.printer.driver import EscposPrinter
from kiosk.i18n import N_
from kiosk.receipts.data import ReceiptBranding
from kiosk.receipts.templates import account_statement
from kiosk.services.citizen import CitizenService, Unavailable

log = logging.getLogger(__name__)

PRINT_TIMEOUT_S = 60


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
        now: Callable[[], datetime] = datetime.now,
    ) -> None:
        self._printer = printer
        self._citizen = citizen
        self._branding = branding
        self._now = now

    @property
    def printer(self) -> EscposPrinter:
        return self._printer

    def print_account_statement(self) -> PrintReport:
        """Blocking (HTTP and the printer): call from a worker."""
        try:
            data = self._citizen.statement_data(self._now())
        except Unavailable:
            return PrintReport(False, N_("We cannot reach the centre just now, so nothing was printed."))
        receipt = account_statement(data, self._branding())
        try:
            job = self._printer.print_receipt(receipt, timeout=PRINT_TIMEOUT_S)
            outcome = job.result(PRINT_TIMEOUT_S + 5)
        except (DeviceError, TimeoutError) as exc:
            log.warning("printing the statement failed: %s", type(exc).__name__)
            return PrintReport(False, N_("The printer is not working just now. Please ask at the counter."))
        if outcome.printed:
            return PrintReport(True, N_("Please take your receipt from the slot below."))
        log.warning(
            "statement not printed: %s, %s (started: %s)",
            outcome.result.value,
            outcome.reason,
            outcome.started,
        )
        return PrintReport(False, N_("The printer is not working just now. Please ask at the counter."))
