"""Drives the kiosk while systemd's notification socket is the test's: the kiosk comes up and pings the
watchdog, then its UI thread is blocked for BLOCK_S seconds (as a hang would), then it is let go and the
kiosk stops itself. The moments the block began and ended (time.monotonic, which is the same clock in
every process) go into the report for the test to hold the pings it received against.

Run by tests/ui/test_watchdog.py in its own process under Xvfb, with NOTIFY_SOCKET and WATCHDOG_USEC set.
Writes `result.json`."""

from __future__ import annotations

import sys
import threading
import time
from typing import Any

from drive_citizen_flow import Driver, FlowFailed
from driver_main import drive

BLOCK_S = 5
# Long enough for a few pings at a 2 s watchdog (one a second) before and after the block.
PINGS_FOR_S = 4


class WatchdogDriver(Driver):
    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.block: dict[str, float] = {}

    def run(self) -> None:
        from kivy.clock import Clock

        self.wait_screen("attract")
        time.sleep(PINGS_FOR_S)
        released = threading.Event()

        def hang(_dt: float) -> None:
            self.block["started"] = time.monotonic()
            time.sleep(BLOCK_S)  # what a hang looks like to the Clock: nothing else runs on this thread
            self.block["ended"] = time.monotonic()
            released.set()

        Clock.schedule_once(hang, 0)
        if not released.wait(BLOCK_S + 20):
            raise FlowFailed("the UI thread never ran the block")
        self.steps.append("blocked")
        self.wait_screen("attract")  # the UI thread answers again
        time.sleep(PINGS_FOR_S)
        self.steps.append("resumed")
        self.ui(self.app.request_stop)  # as SIGTERM does: STOPPING=1, then the clean stop
        self.steps.append("stopping")


def main() -> int:
    def report(driver: Any, _app: Any, result: dict[str, Any]) -> None:
        result["block"] = driver.block

    return drive(lambda app, out, parts, _front: WatchdogDriver(app, out, parts), report=report)


if __name__ == "__main__":
    sys.exit(main())
