"""Drives a withdrawal on the real kiosk by touch with elderly mode on, and so voice guidance: the header's
大字 on the home screen, then every step of a withdrawal to the goodbye. After each step the driver waits
for the voice guide to have handed that screen's prompt to the player (espeak-ng really renders it; with no
sound card the player fails quietly, and the guide's record of what it said is what is checked). It also
checks the second header row: 再听一遍 says the screen again, 朗读我的信息 on the overview speaks the balance,
and the password is only ever counted.

Run by tests/ui/test_voice_flow.py in its own process under Xvfb. Writes `result.json`.
"""

from __future__ import annotations

import sys
from typing import Any

from drive_withdrawal_flow import PASSWORD, RENT, WithdrawalDriver
from driver_main import drive


class VoiceDriver(WithdrawalDriver):
    def said(self) -> list[str]:
        return self.ui(lambda: list(self.app.runtime.voice.said))

    def heard(self, key: str) -> None:
        """Waits until the guide has handed `key`'s prompt to the player since the last check."""
        voice = self.app.runtime.voice  # the condition runs on the UI thread already
        self.wait_for(f"the spoken prompt {key!r}", lambda: key in list(voice.said)[self._seen :], timeout=15)
        self._seen = len(self.said())

    def header_button(self, name: str) -> Any:
        header = next(
            w for w in self.app.sm.current_screen.walk(restrict=True) if type(w).__name__ == "Header"
        )
        return header.ids[name]

    def run(self) -> None:
        app = self.app
        self._seen = 0
        self.wait_screen("attract")
        citizen, options = self.rent_citizen()
        rent = next(o for o in options.options if o.code == RENT)
        self.tap_text("点击屏幕开始")
        self.wait_screen("home")
        self.tap_text("大字")
        self.wait_for("elderly mode", lambda: app.text_scale > 1)
        self.check(f"voice on with it, got {self.ui(lambda: app.voice_on)}", self.ui(lambda: app.voice_on))
        self.heard("home")
        self.shot("v01_home_voice_on")

        self.tap_service("withdrawal")
        self.wait_screen("card")
        self.heard("card")
        self.place_card(lambda c: c.name == citizen.name)
        self.wait_screen("password")
        self.heard("password")
        self.type_password(PASSWORD)
        self.wait_screen("withdrawal")
        # Typed digits are counted aloud; the count's prompt takes no digit of the password.
        self.check("the typed digits were counted", "password_digits" in self.said())
        self.heard("withdrawal")
        self.wait_for("the reasons", lambda: not app.screen("withdrawal").loading)
        self.shot("v02_reasons_voice_row")

        self.tap(lambda: self.header_button("listen_again"))
        self.heard("withdrawal")

        self.tap_text(rent.name.zh)
        self.wait_screen("withdrawal_amount")
        self.heard("withdrawal_amount")
        # Never lost: the header says which step of the withdrawal this is.
        step = self.ui(lambda: list(app.step))
        self.check(f"the header shows step 2 of 5, got {step}", step == [2, 5])
        self.shot("v02b_amount_step")
        self.type_amount("1000")
        self.tap_text("下一步")
        self.wait_screen("withdrawal_card")
        self.heard("withdrawal_card")
        self.staff_inserts_debit()
        self.wait_screen("withdrawal_confirm", timeout=30)
        self.heard("withdrawal_confirm")
        self.tap_text("确认提交")
        self.wait_screen("withdrawal_result", timeout=30)
        self.heard("withdrawal_result")
        self.shot("v03_result")
        self.tap_text("完成")
        self.wait_screen("rating")
        self.heard("rating")
        self.through_rating({"withdrawal": "非常满意"})
        self.wait_screen("goodbye")
        self.heard("goodbye")
        self.remove_card()
        self.wait_screen("attract", timeout=10)
        self.wait_for("voice back to the hall's default", lambda: not app.voice_on)

        # The overview's own figures: heard only when the citizen asks (no headset here).
        self.sign_in_for("overview", citizen.name)
        self.wait_screen("overview")
        self.tap_text("大字")
        self.wait_for("voice on", lambda: app.voice_on)
        self.heard("overview")
        self.wait_for("the account", lambda: app.screen("overview").view is not None)
        self.tap(lambda: self.header_button("read_my_details"))
        self.heard("balance")
        self.tap(lambda: self.header_button("voice_off"))
        self.wait_for("voice off", lambda: not app.voice_on)
        self.leave("退出")
        self.remove_card()
        self.wait_screen("attract", timeout=10)
        self.facts["said"] = self.said()


def _report(driver: VoiceDriver, _app: Any, result: dict[str, Any]) -> None:
    result["facts"] = driver.facts


def main() -> int:
    return drive(
        lambda app, out, parts, _front: VoiceDriver(app, out, parts), bank_card_slot=True, report=_report
    )


if __name__ == "__main__":
    sys.exit(main())
