"""Drives "呼叫工作人员 / Call staff" on the real kiosk by touch: the header's button on the home screen, the
notice that answers it (someone is coming), a second tap in the same visit (already called, in English),
the call in the console's fleet view at the demo centre, and the open call on the maintenance status
screen. A PNG of each.

Run by tests/ui/test_help_flow.py in its own process under Xvfb (Kivy allows one app per process).
Writes `result.json` into the output directory: the steps passed, or the first failure.
"""

from __future__ import annotations

import re
import sys
import time
from typing import Any

import requests
from drive_citizen_flow import FlowFailed
from drive_maintenance_flow import STAFF_PIN, MaintenanceDriver
from driver_main import drive

from central_server.console import DEMO_OPERATOR


class HelpDriver(MaintenanceDriver):
    def shot(self, name: str) -> None:
        super().shot(f"help_{name}")

    def check(self, what: str, condition: bool) -> None:
        if not condition:
            raise FlowFailed(what)

    def notice(self) -> Any:
        from kiosk.widgets.header import HelpNotice

        return next((w for w in self.app.kiosk_root.children if isinstance(w, HelpNotice)), None)

    def tap_call_staff(self) -> None:
        def button() -> Any:
            header = next(
                w for w in self.app.sm.current_screen.walk(restrict=True) if type(w).__name__ == "Header"
            )
            return header.ids.call_staff

        self.tap(button)
        self.wait_for("the notice", lambda: self.notice() is not None)
        self.wait_for("the centre's answer", lambda: self.notice() is not None and self.notice().answered)
        time.sleep(0.3)

    def notice_texts(self) -> list[str]:
        return self.ui(lambda: [getattr(w, "text", "") for w in self.notice().walk(restrict=True)])

    def close_notice(self) -> None:
        self.tap_text(self.t("OK"), where="root")
        self.wait_for("the notice to close", lambda: self.notice() is None)

    def console_fleet(self) -> str:
        """The console's fleet page at the demo centre, as its demo administrator sees it, in English."""
        console = requests.Session()
        base = self.parts.base_url
        form = console.get(base + "/console/login", timeout=10)
        token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
        self.check("the console's sign-in form", token is not None)
        assert token is not None
        username, password = DEMO_OPERATOR
        signed_in = console.post(
            base + "/console/login",
            data={"username": username, "password": password, "csrf_token": token.group(1)},
            allow_redirects=False,
            timeout=10,
        )
        self.check(f"signed in to the console ({signed_in.status_code})", signed_in.status_code == 303)
        console.cookies.set("hpf_console_lang", "en", path="/console")
        page = console.get(base + "/console/fleet", timeout=10)
        self.check("the fleet page", page.status_code == 200)
        return page.text

    def run(self) -> None:
        from kivy.metrics import dp

        app = self.app
        self.wait_screen("attract")
        self.tap_text("点击屏幕开始")
        self.wait_screen("home")

        def button_size() -> tuple[float, float]:
            header = next(
                w for w in app.sm.current_screen.walk(restrict=True) if type(w).__name__ == "Header"
            )
            button = header.ids.call_staff
            return button.width / dp(1), button.height / dp(1)

        width, height = self.ui(button_size)
        self.check(f"the button is large ({width:.0f}×{height:.0f} dp)", width >= 60 and height >= 60)
        self.check("the button is labelled", self.ui(lambda: app.t("Call staff")) == "呼叫工作人员")

        self.tap_call_staff()
        texts = self.notice_texts()
        self.check(f"someone is coming: {texts}", "工作人员马上就到，请稍候" in texts)
        self.check("the answer is 'called'", self.ui(lambda: self.notice().outcome) == "called")
        self.shot("01_called")
        call = self.ui(app.runtime.staff_calls.open_call)
        self.check("the kiosk knows its open call", call is not None and call.screen == "home")
        self.close_notice()

        # The same visit, in English: called already, nothing sent again.
        self.tap_text("English")
        self.wait_for("English", lambda: app.locale == "en")
        self.tap_call_staff()
        texts = self.notice_texts()
        self.check(f"called already: {texts}", "Staff have already been called" in texts)
        self.shot("02_already_called_en")
        again = self.ui(app.runtime.staff_calls.open_call)
        self.check("no second call was sent", again is not None and again.taps == 1)
        self.close_notice()

        page = self.console_fleet()
        kiosk_id = app.runtime.settings.kiosk.id
        self.check("the console lists the call", f'id="help-{call.request_id}"' in page)
        section = page[
            page.index('<section id="help-calls"') : page.index("</section>", page.index("help-calls"))
        ]
        self.check("with the kiosk and the screen", kiosk_id in section and "home" in section)
        self.check("waiting for staff", "Waiting for staff" in section)
        (self.out / "help_console_fleet.html").write_text(page, encoding="utf-8")

        # Hall staff see it on the maintenance status screen.
        self.tap_text("Back")
        self.wait_screen("attract")
        self.corner_taps()
        self.wait_screen("staff_sign_in")
        self.sign_in(STAFF_PIN)
        self.wait_screen("maintenance_status")
        self.not_busy("maintenance_status")
        self.wait_for("the snapshot", lambda: app.screen("maintenance_status").snapshot is not None)
        texts = self.ui(lambda: [getattr(w, "value", "") for w in app.screen("maintenance_status").walk()])
        self.check(
            f"the open call is shown: {texts}", any("home" in str(t) and "呼叫" in str(t) for t in texts)
        )
        self.shot("03_maintenance_status")


def main() -> int:
    return drive(lambda app, out, parts, _front: HelpDriver(app, out, parts))


if __name__ == "__main__":
    sys.exit(main())
