"""Drives a restart from maintenance mode by touch: staff sign in, open Restart, are asked, and confirm;
the kiosk stops cleanly by itself (the driver checks) and the process exits with EXIT_RESTART (75) for the
service manager.

Run by tests/ui/test_maintenance_flow.py in its own process under Xvfb. Writes `result.json`."""

from __future__ import annotations

import sys
import time

from drive_maintenance_flow import STAFF_PIN, MaintenanceDriver
from driver_main import drive


class RestartDriver(MaintenanceDriver):
    def run(self) -> None:
        app = self.app
        self.wait_screen("attract")
        staff = app.runtime.maintenance.staff
        self.wait_for("the staff roster from the centre", lambda: staff.roster.available, timeout=30)
        self.corner_taps()
        self.wait_screen("staff_sign_in")
        self.sign_in(STAFF_PIN)
        self.wait_screen("maintenance_status")
        self.section("maintenance_restart", "Restart")
        self.tap_text(self.t("Restart the app"))
        self.shot("r01_restart_question")
        self.tap_text(self.t("Restart now"))
        # From here the kiosk stops itself: its UI thread may end at any moment, so only read from here.
        deadline = time.monotonic() + 20
        while app.exit_status != 75 and time.monotonic() < deadline:
            time.sleep(0.05)
        self.check(f"the app asks to exit with 75, got {app.exit_status}", app.exit_status == 75)
        report = app.runtime.stop().result(15)  # the stop the restart began (asked again: the same one)
        self.check(f"the kiosk stopped cleanly, got {report}", report.clean)
        self.steps.append("restarting")


if __name__ == "__main__":
    sys.exit(drive(lambda app, out, parts, _front: RestartDriver(app, out, parts)))
