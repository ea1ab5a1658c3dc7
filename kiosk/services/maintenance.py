"""Maintenance mode for hall staff, as the maintenance screens call it: sign-in (kiosk.services.staff), the
status snapshot, device tests, paper, the outbox's dead items, out of service, and restart. Every action
needs a signed-in session, keeps it alive (`touch`), and is a staff audit event through the outbox.

Methods marked blocking do disk, device or HTTP work: call them from a worker. The rest return at once.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from kiosk.devices.printer.status import Paper
from kiosk.services.device_tests import DeviceTestResult, DeviceTests
from kiosk.services.paper import PaperCounter, PaperEstimate
from kiosk.services.service_state import ServiceState, ServiceStatus
from kiosk.services.staff import MaintenanceSession, StaffNotSignedIn, StaffService
from kiosk.services.staff_audit import StaffAudit

if TYPE_CHECKING:
    from kiosk.offline_queue.outbox import Outbox
    from kiosk.offline_queue.staff import Status
    from kiosk.services.maintenance_status import MaintenanceSnapshot
    from kiosk.services.printing import PrintService
    from kiosk.services.shutdown import StopReport

log = logging.getLogger(__name__)

# The app's exit status after a restart from maintenance mode: EX_TEMPFAIL. The kiosk's systemd unit
# restarts on it (Restart=on-failure, or RestartForceExitStatus=75), so the app comes back clean.
EXIT_RESTART = 75
_AUDIT_FLUSH_S = 2.0


@dataclass(frozen=True)
class DeadItem:
    """An outbox row that was given up on: no payload, no personal field."""

    kind: str
    created_at: datetime
    attempts: int
    reason: str  # the last error: the centre's refusal code or the transport's failure


class MaintenanceService:
    def __init__(
        self,
        staff: StaffService,
        audit: StaffAudit,
        service_state: ServiceState,
        device_tests: DeviceTests,
        *,
        data_dir: Path,
        outbox: Callable[[], Outbox | None],
        snapshot: Callable[[], MaintenanceSnapshot],
        stop: Callable[[], Future[StopReport]],
        now: Callable[[], datetime],
    ) -> None:
        self.staff = staff
        self.audit = audit
        self.service_state = service_state
        self.device_tests = device_tests
        self.paper: PaperCounter | None = None  # made when the printer starts
        self._data_dir = data_dir
        self._outbox = outbox
        self._snapshot = snapshot
        self._stop = stop
        self._now = now
        # Called with EXIT_RESTART once a restart was asked for (the app exits with it after the stop).
        self.exit_listeners: list[Callable[[int], None]] = []

    def attach_printer(
        self, printing: PrintService, *, roll_length_m: float, warn_remaining_m: float
    ) -> None:
        """Count the paper of every job the printer prints (citizens' slips and the test slips)."""
        self.paper = PaperCounter(
            self._data_dir,
            columns=printing.printer.profile.columns,
            roll_length_m=roll_length_m,
            warn_remaining_m=warn_remaining_m,
        )
        printing.job_listeners.append(self.paper.job_printed)

    # -- the session -------------------------------------------------------------------------------------

    @property
    def session(self) -> MaintenanceSession | None:
        return self.staff.session

    @property
    def active(self) -> bool:
        """A maintenance session is in progress: the app ignores ID cards and the idle wipe of visits."""
        return self.staff.session is not None

    def _who(self) -> str:
        session = self.staff.session
        if session is None or session.expired():
            self.staff.end_if_idle()
            raise StaffNotSignedIn("no maintenance session; sign in again")
        session.touch()
        return session.staff_id

    # -- status ------------------------------------------------------------------------------------------

    def snapshot(self) -> MaintenanceSnapshot:
        """Status at a glance. Blocking (kiosk.services.maintenance_status.take_snapshot)."""
        self._who()
        return self._snapshot()

    # -- device tests ------------------------------------------------------------------------------------

    def test_id_card(self, timeout_s: float = 20.0) -> DeviceTestResult:
        """Wait up to `timeout_s` for an ID card and read it (shown masked). Blocking."""
        return self._audited_test("test_idcard", lambda: self.device_tests.read_id_card(timeout_s))

    def test_bank_card(self, timeout_s: float = 20.0) -> DeviceTestResult:
        """Wait up to `timeout_s` for a bank card and read it (masked PAN and label). Blocking."""
        return self._audited_test("test_bankcard", lambda: self.device_tests.read_bank_card(timeout_s))

    def test_printer(self) -> DeviceTestResult:
        """Print the test slip (kiosk id, time, printer status, Chinese text). Blocking (up to a minute)."""
        return self._audited_test("test_printer", self.device_tests.print_test_slip)

    def reader_statistics(self) -> dict[str, dict[str, int | float]]:
        self._who()
        return self.device_tests.statistics()

    def _audited_test(self, action: str, run: Callable[[], DeviceTestResult]) -> DeviceTestResult:
        staff_id = self._who()
        result = run()
        self.audit.record(staff_id, action, outcome="pass" if result.passed else "fail", target=result.device)
        log.info("maintenance %s: %s (%s)", action, "pass" if result.passed else "fail", result.detail)
        session = self.staff.session
        if session is not None:  # a test may take long: it was activity all the same
            session.touch()
        return result

    # -- paper -------------------------------------------------------------------------------------------

    def paper_estimate(self) -> PaperEstimate | None:
        """None on a kiosk without a printer."""
        if self.paper is None:
            return None
        return self.paper.estimate(_printer_paper(self))

    def paper_replaced(self) -> PaperEstimate | None:
        """A new roll is in: the counter and its warning start again. Blocking (disk)."""
        staff_id = self._who()
        if self.paper is None:
            return None
        self.paper.paper_replaced(self._now())
        self.audit.record(staff_id, "paper_replaced", outcome="ok", target="printer")
        return self.paper_estimate()

    # -- the outbox --------------------------------------------------------------------------------------

    def outbox_status(self) -> Status | None:
        """Counts per state (kiosk.offline_queue.staff.Status); None when this kiosk has never queued
        anything (no outbox database yet). Blocking (the outbox database)."""
        from kiosk.offline_queue.database import NoOutbox
        from kiosk.offline_queue.staff import OutboxAdmin

        try:
            admin = OutboxAdmin(self._data_dir)
        except NoOutbox:
            return None
        try:
            return admin.status()
        finally:
            admin.close()

    def dead_items(self, limit: int = 50) -> list[DeadItem]:
        """The rows given up on, oldest first: kind, when, why. Blocking (the outbox database)."""
        from kiosk.offline_queue.database import NoOutbox
        from kiosk.offline_queue.staff import OutboxAdmin
        from kiosk.offline_queue.states import State

        try:
            admin = OutboxAdmin(self._data_dir)
        except NoOutbox:
            return []
        try:
            rows = admin.rows(State.DEAD, limit)
        finally:
            admin.close()
        return [
            DeadItem(
                r.kind, datetime.fromtimestamp(r.created_at_ms / 1000, UTC), r.attempts, r.last_error or ""
            )
            for r in rows
        ]

    def retry_dead(self) -> int:
        """Send every dead row again now; returns how many. Blocking (the outbox database)."""
        from kiosk.offline_queue.staff import OutboxAdmin

        staff_id = self._who()
        admin = OutboxAdmin(self._data_dir)
        try:
            count = admin.retry_dead(int(time.time() * 1000))
        finally:
            admin.close()
        outbox = self._outbox()
        if outbox is not None:
            outbox.wake()
        self.audit.record(staff_id, "outbox_retry_dead", outcome="ok", target=str(count))
        return count

    # -- out of service ----------------------------------------------------------------------------------

    def take_out_of_service(self, reason: str) -> ServiceStatus:
        """Citizens see 暂停服务 until `put_in_service`, across restarts. `reason`: device_fault, paper,
        maintenance, network or other (ValueError otherwise). Blocking (disk)."""
        staff_id = self._who()
        status = self.service_state.take_out(reason, staff_id, self._now())
        self.audit.record(staff_id, "out_of_service", outcome="ok", target=reason)
        return status

    def put_in_service(self) -> ServiceStatus:
        """Blocking (disk)."""
        staff_id = self._who()
        status = self.service_state.put_back()
        self.audit.record(staff_id, "in_service", outcome="ok")
        return status

    # -- restart -----------------------------------------------------------------------------------------

    def restart(self) -> Future[StopReport]:
        """Record the restart, end the session, stop the runtime cleanly and tell the exit listeners to exit
        with EXIT_RESTART (the service manager starts the app again). Returns the stop's future at once
        (the audit lane is given up to two seconds first: call from a worker)."""
        staff_id = self._who()
        self.audit.record(staff_id, "restart", outcome="ok")
        self.staff.sign_out()
        if not self.audit.flush(_AUDIT_FLUSH_S):
            log.warning("restart: staff audit events were still being written")
        log.info("restart asked for from maintenance mode")
        stopping = self._stop()
        for listener in list(self.exit_listeners):
            listener(EXIT_RESTART)
        return stopping


def _printer_paper(service: MaintenanceService) -> Paper:
    from kiosk.devices.printer.driver import EscposPrinter

    printer = service.device_tests.devices().get("printer")
    return printer.last_status.paper if isinstance(printer, EscposPrinter) else Paper.UNKNOWN
