"""The measured accessibility audit: drives the real kiosk (the demo's parts) to every citizen screen and, on
each, measures the widget tree in normal and in elderly mode (tests/ui/accessibility_audit.py). Writes
`report.json` (per mode, per screen, per widget) and a PNG of each screen in elderly mode into the output
directory, and `result.json` as every driver does.

Run by tests/ui/test_accessibility.py in its own process under Xvfb (Kivy allows one app per process).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

from accessibility_audit import Finding, audit, cap_height_ratio
from drive_citizen_flow import Driver
from driver_main import drive

from kiosk.accessibility import KIOSK_PANEL, elderly_timeouts
from kiosk.i18n import N_

PASSWORD = "123456"


class AccessibilityDriver(Driver):
    def __init__(self, app: Any, out: Path, parts: Any) -> None:
        super().__init__(app, out, parts)
        self.findings: list[Finding] = []
        self.screens: list[str] = []
        self.secrets: list[str] = []
        self.cap_ratio = cap_height_ratio(str(app.runtime.fonts.regular))

    # -- measuring ------------------------------------------------------------------------------------

    def _audit(self, name: str, elderly: bool) -> list[Finding]:
        from kivy.core.window import Window

        app = self.app
        root = app._overlay if app._overlay is not None else app.sm.current_screen
        found = audit(
            app.sm.current_screen,
            screen=name,
            elderly=elderly,
            density=app.plan.density,
            clear_colour=tuple(Window.clearcolor),
            cap_ratio=self.cap_ratio,
            secrets=self.secrets,
        )
        if root is not app.sm.current_screen:
            found += audit(
                root,
                screen=name,
                elderly=elderly,
                density=app.plan.density,
                clear_colour=tuple(Window.clearcolor),
                cap_ratio=self.cap_ratio,
                secrets=self.secrets,
            )
        return found

    def measure(self, name: str) -> None:
        """The screen showing now, as `name`: in normal, then elderly mode (with its PNG), then back."""
        app = self.app
        self.check(
            f"on {name}, got {self.ui(lambda: app.sm.current)}", self.ui(lambda: app.sm.current) == name
        )
        normal = self.ui(lambda: self._audit(name, elderly=False))
        self.ui(app.toggle_large_text)
        self.wait_for("elderly mode", lambda: app.text_scale > 1)
        time.sleep(0.25)  # a few frames: the layout follows the new sizes
        elderly = self.ui(lambda: self._audit(name, elderly=True))
        self.ui(lambda: app.export_screen(self.out / f"a11y_{name}.png"))
        self.ui(app.toggle_large_text)
        self.wait_for("normal mode", lambda: app.text_scale == 1)
        self.check(f"{name}: something measured in each mode", bool(normal) and bool(elderly))
        self.findings += normal + elderly
        self.screens.append(name)

    def canary(self) -> None:
        """The audit must see a violation when there is one: a small, faint button with small text, built
        here and measured like a screen (never shown to anyone), must fail each rule it breaks."""

        def measure_canary() -> list[Finding]:
            from kivy.uix.behaviors import ButtonBehavior
            from kivy.uix.floatlayout import FloatLayout
            from kivy.uix.label import Label

            class Faint(ButtonBehavior, Label):
                pass

            density = self.app.plan.density
            holder = FloatLayout()
            button = Faint(
                text="Tiny",
                size_hint=(None, None),
                size=(30 * density, 30 * density),  # 30 design px: 47 dp, under elderly mode's 60
                font_size=20 * density,  # 20 design px: 3.6 mm characters, under ADA's 4.8
                color=(0.75, 0.75, 0.75, 1),  # light grey on the pale background: about 1.8:1
                pos=(100, 100),
            )
            holder.add_widget(button)
            screen = self.app.sm.current_screen
            screen.add_widget(holder)
            try:
                return self._audit("canary", elderly=True)
            finally:
                screen.remove_widget(holder)

        found = [f for f in self.ui(measure_canary) if f.text == "Tiny"]
        problems = " ".join(p for f in found for p in f.problems)
        for rule in ("target", "characters", "contrast"):
            self.check(f"the audit flags the canary's {rule}: {problems!r}", rule in problems)

    def elderly_time_outs(self) -> None:
        """Elderly mode gives longer before the idle countdown and in it; normal mode has the policy's own."""
        app = self.app
        policy = app.runtime.policy
        longer = elderly_timeouts(policy.idle_timeout_s, policy.countdown_s)
        self.ui(app.toggle_large_text)
        self.wait_for("elderly mode", lambda: app.text_scale > 1)
        got = self.ui(lambda: (app.idle.idle_timeout_s, app.idle.countdown_s))
        self.check(f"elderly time-outs {longer}, got {got}", got == longer)
        self.ui(app.toggle_large_text)
        self.wait_for("normal mode", lambda: app.text_scale == 1)
        got = self.ui(lambda: (app.idle.idle_timeout_s, app.idle.countdown_s))
        self.check(f"normal time-outs, got {got}", got == (policy.idle_timeout_s, policy.countdown_s))

    # -- getting around -------------------------------------------------------------------------------

    def go(self, name: str, **params: Any) -> None:
        self.ui(lambda: self.app.go(name, **params))
        self.wait_screen(name)

    def choose(self, service: str, screen: str) -> None:
        self.ui(lambda: self.app.choose_service(service))
        self.wait_loaded(screen)

    def wait_loaded(self, screen: str) -> None:
        self.wait_screen(screen)
        self.wait_for(f"{screen} loaded", lambda: not getattr(self.app.screen(screen), "loading", False), 30)

    def tap_first_tile(self) -> None:
        def tile() -> Any:
            for widget in self.app.sm.current_screen.walk(restrict=True):
                if type(widget).__name__ == "ChoiceTile" and not widget.disabled and widget.get_root_window():
                    return widget
            return None

        self.wait_for("a choice tile", lambda: tile() is not None)
        self.tap(tile)

    # -- the visit ------------------------------------------------------------------------------------

    def run(self) -> None:
        app = self.app
        runtime = app.runtime
        self.wait_screen("attract")
        self.wait_for_parts()
        self.canary()
        self.measure("attract")
        self.tap_text("点击屏幕开始")
        self.wait_screen("home")
        self.elderly_time_outs()
        self.measure("home")

        # Anyone may complain: before signing in, the whole complaint flow up to its confirmation.
        self.choose("complaint", "complaint")
        self.measure("complaint")
        self.tap_first_tile()
        self.wait_screen("complaint_topic")
        self.measure("complaint_topic")
        self.tap_first_tile()
        self.wait_screen("complaint_phone")
        self.measure("complaint_phone")
        self.ui(lambda: app.screen("complaint_phone").without_phone())
        self.wait_screen("complaint_confirm")
        self.measure("complaint_confirm")
        self.go("home")

        self.ui(lambda: app.choose_service("overview"))
        self.wait_screen("card")
        self.measure("card")
        citizens = runtime.demo.citizens()
        citizen = next(c for c in citizens if not c.tags)
        self.secrets = [citizen.name, citizen.name[1:]]  # the whole name, and the given name alone
        self.place_card(lambda c: c is citizen or c.name == citizen.name)
        self.wait_screen("password")
        self.type_password(PASSWORD[:3])
        self.measure("password")
        self.type_password(PASSWORD[3:])
        self.wait_loaded("overview")
        self.measure("overview")
        for screen in ("deposits", "loan"):
            self.choose(screen, screen)
            self.measure(screen)

        self.choose("withdrawal", "withdrawal")
        self.measure("withdrawal")
        self.tap_first_tile()
        self.wait_screen("withdrawal_amount")
        self.measure("withdrawal_amount")

        self.choose("certificate", "certificate")
        self.measure("certificate")
        self.tap_text(self.t("Deposit statement"))
        self.wait_screen("certificate_period")
        self.measure("certificate_period")

        self.choose("password_change", "password_change")
        self.measure("password_change")

        self.choose("appointment", "appointment")
        self.measure("appointment")
        self.tap_text("住房公积金提取")
        self.wait_screen("appointment_office")
        self.measure("appointment_office")
        self.tap_first_tile()
        self.wait_loaded("appointment_slots")
        self.measure("appointment_slots")
        self.go("appointment_unavailable")
        self.measure("appointment_unavailable")
        self.go("my_appointments")
        self.wait_loaded("my_appointments")
        self.measure("my_appointments")

        self.choose("pre_registration", "pre_registration")
        self.measure("pre_registration")
        self.tap_first_tile()
        self.wait_screen("pre_registration_checklist")
        self.measure("pre_registration_checklist")
        self.tap_text(self.t("Pre-register"))
        self.wait_screen("pre_registration_done", timeout=30)
        self.measure("pre_registration_done")

        self.choose("status", "applications")
        self.measure("applications")

        self.go(
            "notice",
            title=N_("The service is briefly unavailable"),
            body=N_(
                "Everything you entered has been cleared. Please place your ID card again to start over."
            ),
            then="home",
        )
        self.measure("notice")
        self.go("goodbye", receipt=True, bank_card=False, id_card=True)
        self.measure("goodbye")


def report(driver: Any, _app: Any, result: dict[str, Any]) -> None:
    findings: list[Finding] = driver.findings
    by_mode: dict[str, dict[str, list[dict[str, Any]]]] = {"normal": {}, "elderly": {}}
    for finding in findings:
        by_mode[finding.mode].setdefault(finding.screen, []).append(finding.as_dict())
    violations = [f.as_dict() for f in findings if f.problems]
    document = {
        "dp": {
            "definition": "1 dp = 1/160 inch; design px = one pixel of a 1080x1920 panel, assumed 21.5 inch",
            "panel_ppi": round(KIOSK_PANEL.ppi, 2),
            "dp_per_design_px": round(KIOSK_PANEL.dp(1), 4),
            "mm_per_design_px": round(KIOSK_PANEL.mm(1), 4),
            "cap_height_ratio": round(driver.cap_ratio, 3),
        },
        "screens": driver.screens,
        "counts": {
            mode: {
                "widgets": sum(1 for f in findings if f.mode == mode),
                "violations": sum(1 for f in findings if f.mode == mode and f.problems),
            }
            for mode in ("normal", "elderly")
        },
        "violations": violations,
        "modes": by_mode,
    }
    (driver.out / "report.json").write_text(
        json.dumps(document, indent=1, ensure_ascii=False), encoding="utf-8"
    )
    result["screens"] = driver.screens
    result["violations"] = [
        f"{v['mode']} {v['screen']}: {v['widget']} '{v['text']}': {v['verdict']}" for v in violations
    ]


if __name__ == "__main__":
    sys.exit(drive(lambda app, out, parts, _front: AccessibilityDriver(app, out, parts), report=report))
