"""Drives hall staff's maintenance mode on the real kiosk by touch, with a PNG of every screen: the hidden
corner gesture (ignored during a citizen's visit), a wrong PIN, the lockout and its countdown, sign-in,
status, each device test against its emulator with a fault injected (paper out, the ID reader unplugged)
and passing, paper replaced, the outbox, out of service (the citizens' screen, a card placed on it, the
heartbeat at the centre), back in service, and the idle timeout back to the attract screen. Every step's
staff audit event reaches the centre, with no citizen data.

Run by tests/ui/test_maintenance_flow.py in its own process under Xvfb (Kivy allows one app per process).
Writes `result.json` into the output directory: the steps passed, or the first failure.
"""

from __future__ import annotations

import shutil
import sys
import time
from typing import Any

import requests
from drive_citizen_flow import Driver
from driver_main import drive

from kiosk.demo import DEMO_OPERATOR_TOKEN
from kiosk.devices.printer.status import Paper

STAFF_ID, STAFF_PIN = "900001", "246810"  # the demo centre's hall staff account (README)
IDLE_S = 30  # the session's idle timeout in this run (the settings' minimum)
LOCKOUT_WAIT_S = 3


class MaintenanceDriver(Driver):
    # -- staff's hands ---------------------------------------------------------------------------------

    def corner_taps(self, count: int = 5) -> None:
        """Tap the top left corner of the kiosk's screen `count` times, quickly."""
        from kivy.tests.common import UnitTestTouch

        def press() -> None:
            root = self.app.kiosk_root
            touch = UnitTestTouch(root.x + 12, root.top - 12)
            touch.touch_down()
            touch.touch_up()

        for _ in range(count):
            self.ui(press)
            time.sleep(0.1)
        time.sleep(0.4)

    def type_keys(self, digits: str) -> None:
        for digit in digits:

            def key(d: str = digit) -> Any:
                keypad = self.app.screen("staff_sign_in")._keypad
                return next(k for k in keypad.children if getattr(k, "digit", None) == d)

            self.tap(key)

    def sign_in(self, pin: str) -> None:
        self.type_keys(STAFF_ID)
        self.wait_for("the PIN step", lambda: self.app.screen("staff_sign_in").step == "pin")
        self.type_keys(pin)

    def answered(self) -> None:
        screen = self.app.screen("staff_sign_in")
        self.wait_for("the sign-in answer", lambda: not screen.busy and (screen.message or screen.wait_s))

    def section(self, name: str, label: str) -> None:
        self.tap_text(self.t(label))
        self.wait_screen(name)

    def not_busy(self, name: str, timeout: float = 30) -> None:
        self.wait_for(f"{name} to finish", lambda: not self.app.screen(name).busy, timeout)

    def audit_trail(self) -> list[dict[str, Any]]:
        response = requests.get(
            self.parts.base_url + "/v1/admin/staff-audit",
            params={"terminal": self.app.runtime.settings.kiosk.id},
            headers={"Authorization": f"Bearer {DEMO_OPERATOR_TOKEN}"},
            timeout=10,
        )
        response.raise_for_status()
        rows: list[dict[str, Any]] = response.json()["data"]
        return rows

    def fleet_row(self) -> dict[str, Any]:
        response = requests.get(
            self.parts.base_url + "/v1/admin/fleet",
            headers={"Authorization": f"Bearer {DEMO_OPERATOR_TOKEN}"},
            timeout=10,
        )
        response.raise_for_status()
        kiosk_id = self.app.runtime.settings.kiosk.id
        row = next(row for row in response.json()["data"] if row["terminal_id"] == kiosk_id)
        beat: dict[str, Any] = row["heartbeat"] or {}
        return beat

    # -- the flow ---------------------------------------------------------------------------------------

    def run(self) -> None:
        app = self.app
        runtime = app.runtime
        self.wait_screen("attract")
        staff = runtime.maintenance.staff
        self.wait_for("the staff roster from the centre", lambda: staff.roster.available, timeout=30)

        # During a citizen's visit the corner is just part of the screen.
        self.tap_text("点击屏幕开始")
        self.wait_screen("home")
        self.corner_taps()
        self.check("the gesture does nothing during a visit", self.ui(lambda: app.sm.current) == "home")
        self.tap_text("返回")
        self.wait_screen("attract")

        # Four taps are not the gesture; five are.
        self.corner_taps(4)
        self.check("four taps open nothing", self.ui(lambda: app.sm.current) == "attract")
        time.sleep(3.2)  # the four fall out of the window
        self.corner_taps()
        self.wait_screen("staff_sign_in")
        self.shot("m01_sign_in_staff_number")
        self.type_keys(STAFF_ID[:4])
        self.shot("m01b_sign_in_staff_number_typed")
        self.type_keys(STAFF_ID[4:])
        self.wait_for("the PIN step", lambda: app.screen("staff_sign_in").step == "pin")
        self.type_keys("13")
        self.shot("m02_sign_in_pin")
        self.tap_text(self.t("Clear"))
        self.type_keys("000000")
        self.answered()
        self.check(
            "a wrong PIN says so without saying which was wrong",
            self.ui(lambda: app.screen("staff_sign_in").message)
            == "The staff number or PIN is not right. Please try again.",
        )
        self.shot("m03_wrong_pin")
        self.sign_in("999999")
        self.answered()
        self.check("the second wrong PIN locks", self.ui(lambda: app.screen("staff_sign_in").wait_s) > 0)
        self.check("the keypad waits", self.ui(lambda: app.screen("staff_sign_in")._keypad.disabled))
        self.shot("m04_locked_out")
        self.wait_for(
            "the lockout to end", lambda: app.screen("staff_sign_in").wait_s == 0, LOCKOUT_WAIT_S + 5
        )
        self.sign_in(STAFF_PIN)
        self.wait_screen("maintenance_status")
        self.check("the session is the staff member's", self.ui(lambda: app.staff_id) == STAFF_ID)

        # Status at a glance.
        self.not_busy("maintenance_status")
        self.wait_for("the snapshot", lambda: app.screen("maintenance_status").snapshot is not None)
        self.shot("m05_status")
        self.ui(app.toggle_locale)
        self.shot("m05b_status_english")
        self.ui(app.toggle_locale)

        # Device tests: each fails with a fault injected and passes without it.
        self.section("maintenance_devices", "Device tests")
        self.shot("m06_device_tests")
        devices = app.screen("maintenance_devices")
        self.parts.printer.set_paper(Paper.OUT)
        self.tap_text(self.t("Print a test slip"))
        self.not_busy("maintenance_devices", 70)
        printer = self.ui(lambda: devices.results.get("printer"))
        self.check(f"paper out fails the printer test, got {printer}", printer and not printer.passed)
        self.check("and says what to do", "paper" in printer.message)
        self.shot("m07_printer_paper_out")
        self.parts.printer.set_paper(Paper.OK)
        jobs_before = len(self.parts.printer.jobs)
        self.tap_text(self.t("Print a test slip"))
        self.not_busy("maintenance_devices", 70)
        printer = self.ui(lambda: devices.results.get("printer"))
        self.check(f"the printer test passes, got {printer}", printer.passed)
        job = self.parts.printer.wait_for_jobs(jobs_before + 1)[-1]
        self.check("the test slip came out whole", job.complete)
        shutil.copy(job.png, self.out / "m08b_test_slip.png")
        self.shot("m08_printer_passed")

        self.parts.emulator.unplug()
        reader = runtime.devices["idcard"]
        self.wait_for("the reader to notice", lambda: reader.state.value not in ("idle", "busy"), 20)
        self.tap_text(self.t("Read an ID card"))
        self.not_busy("maintenance_devices", 40)
        idcard = self.ui(lambda: devices.results.get("idcard"))
        self.check(f"an unplugged reader fails the test, got {idcard}", idcard and not idcard.passed)
        self.shot("m09_id_reader_unplugged")
        self.parts.emulator.replug()
        self.wait_for("the reader to come back", lambda: reader.state.value in ("idle", "busy"), 30)
        citizen = runtime.demo.citizens()[0]
        self.tap_text(self.t("Read an ID card"))
        time.sleep(0.5)
        runtime.demo.place(citizen)
        self.not_busy("maintenance_devices", 40)
        idcard = self.ui(lambda: devices.results.get("idcard"))
        self.check(f"the ID card test passes, got {idcard}", idcard.passed)
        shown = " ".join(idcard.shown.values())
        self.check("it shows the card masked", "*" in shown and citizen.card.id_number not in shown)
        self.check("a test card begins no visit", self.ui(lambda: app.sm.current) == "maintenance_devices")
        self.shot("m10_id_card_passed")
        self.tap_text(self.t("Read a bank card"))
        time.sleep(0.5)
        runtime.demo.insert_bank_card("own_debit")
        self.not_busy("maintenance_devices", 40)
        bankcard = self.ui(lambda: devices.results.get("bankcard"))
        self.check(f"the bank card test passes, got {bankcard}", bankcard.passed)
        self.shot("m11_bank_card_passed")
        runtime.demo.remove()
        runtime.demo.take_bank_card_out()

        # The speaker: quieter by a step, heard at once (the attract prompt), and kept for the next start.
        said_before = len(runtime.voice.said)
        self.tap_text(self.t("Quieter"))
        self.not_busy("maintenance_devices", 20)
        self.check(f"the volume went down, got {runtime.voice.volume}", runtime.voice.volume == 60)
        self.check("and is kept", runtime.voice_volume.load() == 60)
        self.wait_for("the speaker test", lambda: "attract" in list(runtime.voice.said)[said_before:], 15)
        self.shot("m11b_speaker_volume")

        # Paper: the counter has counted the slips; "paper replaced" starts it again.
        self.section("maintenance_paper", "Paper")
        paper = app.screen("maintenance_paper")
        self.not_busy("maintenance_paper")
        used = self.ui(lambda: paper.estimate.used_m)
        self.check(f"the test slips were counted, got {used} m", used > 0)
        self.shot("m12_paper")
        self.tap_text(self.t("Paper replaced"))
        self.wait_for("the counter to start again", lambda: paper.estimate.used_m == 0 and not paper.busy)
        self.shot("m13_paper_replaced")

        # The outbox.
        self.section("maintenance_outbox", "Outbox")
        self.not_busy("maintenance_outbox")
        self.shot("m14_outbox")

        # Out of service: citizens see it, a card placed on the reader begins nothing, the centre knows.
        # Operators' configuration says where else citizens can go meanwhile.
        self.publish_config()
        runtime.fleet.poke()
        self.wait_for("the configuration applied", lambda: runtime.remote.state.good_version == 1)
        self.section("maintenance_service", "Out of service")
        service = app.screen("maintenance_service")
        self.shot("m15_service_in")
        self.tap_text(self.t("Under maintenance"))
        self.tap_text(self.t("Take out of service"))
        self.wait_for("out of service", lambda: not service.busy and not service.status.in_service)
        self.shot("m16_service_out")
        self.tap_text(self.t("Exit maintenance mode"))
        self.wait_screen("out_of_service")
        places = self.ui(lambda: [a.name_zh for a in app.screen("out_of_service").alternatives])
        self.check(
            f"the configured alternatives, nearest first, got {places}", places[0] == "大厅另一台自助终端"
        )
        self.shot("m17_citizens_see_out_of_service")
        self.ui(app.toggle_locale)
        self.shot("m17b_out_of_service_english")
        self.ui(app.toggle_locale)
        runtime.demo.place(citizen)
        time.sleep(1.5)
        self.check("a card begins no visit", self.ui(lambda: app.sm.current) == "out_of_service")
        runtime.demo.remove()
        self.tap(lambda: app.screen("out_of_service"))
        self.check("a touch begins no visit", self.ui(lambda: app.sm.current) == "out_of_service")
        runtime.fleet.poke()
        self.wait_for_centre(
            "the heartbeat to say out of service", lambda: self.fleet_row().get("in_service") is False
        )

        # Back in service, through the gesture on the out-of-service screen.
        self.corner_taps()
        self.wait_screen("staff_sign_in")
        self.sign_in(STAFF_PIN)
        self.wait_screen("maintenance_status")
        self.section("maintenance_service", "Out of service")
        self.tap_text(self.t("Put back in service"))
        self.wait_for("in service", lambda: not service.busy and service.status.in_service)
        self.section("maintenance_restart", "Restart")
        self.shot("m18_restart")
        self.tap_text(self.t("Restart the app"))
        self.wait_for("the question", lambda: app.screen("maintenance_restart").confirming)
        self.shot("m19_restart_question")
        self.tap_text(self.t("Cancel"))
        self.tap_text(self.t("Exit maintenance mode"))
        self.wait_screen("attract")
        runtime.fleet.poke()
        self.wait_for_centre(
            "the heartbeat to say in service", lambda: self.fleet_row().get("in_service") is True
        )

        # Left signed in without a touch, the session ends by itself.
        self.corner_taps()
        self.wait_screen("staff_sign_in")
        self.sign_in(STAFF_PIN)
        self.wait_screen("maintenance_status")
        self.wait_screen("attract", timeout=IDLE_S + 10)
        self.check("the session ended", self.ui(lambda: runtime.maintenance.session) is None)

        self.check_audit_trail(citizen)

    def wait_for_centre(self, what: str, condition: Any, timeout: float = 20) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if condition():
                return
            self.app.runtime.fleet.poke()
            time.sleep(0.5)
        raise AssertionError(f"timed out waiting for {what}")

    def check_audit_trail(self, citizen: Any) -> None:
        expected = [
            ("sign_in_failed", STAFF_ID, "fail"),
            ("sign_in_failed", STAFF_ID, "fail"),
            ("locked_out", STAFF_ID, ""),
            ("sign_in", STAFF_ID, "ok"),
            ("test_printer", STAFF_ID, "fail"),
            ("test_printer", STAFF_ID, "pass"),
            ("test_idcard", STAFF_ID, "fail"),
            ("test_idcard", STAFF_ID, "pass"),
            ("test_bankcard", STAFF_ID, "pass"),
            ("paper_replaced", STAFF_ID, "ok"),
            ("out_of_service", STAFF_ID, "ok"),
            ("sign_out", STAFF_ID, ""),
            ("sign_in", STAFF_ID, "ok"),
            ("in_service", STAFF_ID, "ok"),
            ("sign_out", STAFF_ID, ""),
            ("sign_in", STAFF_ID, "ok"),
            ("timed_out", STAFF_ID, ""),
        ]
        events: list[dict[str, Any]] = []

        def complete() -> bool:
            events[:] = self.audit_trail()
            return len(events) >= len(expected)

        self.wait_for_centre("the audit trail at the centre", complete, 30)
        events.sort(key=lambda e: e["at"])
        got = [(e["action"], e["staff_id"], e.get("outcome") or "") for e in events]
        self.check(f"the centre's audit trail, got {got}", got == expected)
        text = repr(events)
        self.check(
            "no citizen data in the audit", citizen.card.id_number not in text and citizen.name not in text
        )
        self.steps.append("audit_trail")


def main() -> int:
    return drive(
        lambda app, out, parts, _front: MaintenanceDriver(app, out, parts),
        maintenance={
            "session_idle_s": IDLE_S,
            "lockout_failures": 2,
            "lockout_first_wait_s": LOCKOUT_WAIT_S,
        },
        bank_card_slot=True,
    )


if __name__ == "__main__":
    sys.exit(main())
