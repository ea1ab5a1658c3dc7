"""Hall staff sign in to maintenance mode: their 6-digit staff number, then their 6-digit PIN on a keypad
whose digits move (as the citizens' password keypad does). After too many wrong answers the keypad waits,
with the seconds left on the screen."""

from __future__ import annotations

from typing import Any

from kivy.clock import Clock
from kivy.lang import Builder
from kivy.properties import BooleanProperty, NumericProperty, StringProperty

import kiosk.screens.maintenance_frame  # noqa: F401  (the staff bar's rules)
from kiosk.i18n import N_
from kiosk.screens.base import KioskScreen
from kiosk.services.keypad import PASSWORD_LENGTH, PasswordEntry, shuffled_digits
from kiosk.services.staff import SignInOutcome, StaffSignIn
from kiosk.widgets.keypad import Keypad

STAFF_ID_LENGTH = 6
_CHECKING = N_("Checking…")
_ENTER_ID = N_("Enter your 6-digit staff number")
_ENTER_PIN = N_("Enter your 6-digit PIN")
_WAIT = N_("Too many wrong PINs. Try again in {seconds} s.")
_UNAVAILABLE = N_("Signing in did not work just now. Please try again.")


class StaffSignInScreen(KioskScreen):
    step = StringProperty("id")  # id | pin
    staff_id = StringProperty("")
    typed = NumericProperty(0)
    message = StringProperty("")
    wait_s = NumericProperty(0)  # > 0 while the lockout lasts
    busy = BooleanProperty(False)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._pin = PasswordEntry()
        self._keypad = Keypad(on_digit=self._digit, on_clear=self._clear, on_backspace=self._backspace)
        self.ids.keypad_slot.add_widget(self._keypad)
        self.bind(busy=self._lock_keys, wait_s=self._lock_keys)
        self._ticker: Any = None

    def prepare(self, **params: Any) -> None:
        self.wipe()
        self.wait_s = self.app.runtime.maintenance.staff.lockout.wait_s()
        self._arrange()

    def on_enter(self, *_args: Any) -> None:
        self._ticker = Clock.schedule_interval(self._tick, 1)

    def on_leave(self, *_args: Any) -> None:
        if self._ticker is not None:
            self._ticker.cancel()
            self._ticker = None

    def _tick(self, _dt: float) -> None:
        if self.wait_s > 0:
            self.wait_s = self.app.runtime.maintenance.staff.lockout.wait_s()
            if self.wait_s == 0:
                self.message = ""

    def _lock_keys(self, *_args: Any) -> None:
        self._keypad.disabled = self.busy or self.wait_s > 0

    def _arrange(self) -> None:
        # The staff number is no secret: its keys stay in place. The PIN's move, as the citizens' do.
        digits = shuffled_digits() if self.step == "pin" else list("1234567890")
        self._keypad.arrange(digits, self.app.t("Clear"), self.app.t("Delete"))

    def _digit(self, digit: str) -> None:
        if self.busy or self.wait_s > 0:
            return
        if self.step == "id":
            if len(self.staff_id) < STAFF_ID_LENGTH:
                self.staff_id += digit
            if len(self.staff_id) == STAFF_ID_LENGTH:
                self.step = "pin"
                self._arrange()
            return
        if self._pin.press(digit):
            self._submit()
        self.typed = self._pin.count

    def _clear(self) -> None:
        if self.step == "id":
            self.staff_id = ""
        else:
            self._pin.clear()
            self.typed = 0

    def _backspace(self) -> None:
        if self.step == "id":
            self.staff_id = self.staff_id[:-1]
        elif self._pin.count:
            self._pin.backspace()
            self.typed = self._pin.count
        else:  # back from an empty PIN to the staff number
            self.step = "id"
            self._arrange()

    def _submit(self) -> None:
        self.busy = True
        self.message = _CHECKING
        pin = self._pin.take()
        self.typed = PASSWORD_LENGTH
        staff = self.app.runtime.maintenance.staff
        self.app.background(staff.sign_in, self.staff_id, pin, on_result=self._answered, on_error=self._failed)

    def _answered(self, result: StaffSignIn) -> None:
        self.busy = False
        self.typed = 0
        if result.outcome is SignInOutcome.OK:
            self.app.enter_maintenance()
            return
        self.message = result.message
        self.wait_s = result.wait_s
        # Whether the number or the PIN was wrong is never said: both are asked again.
        self.staff_id = ""
        self.step = "id"
        self._arrange()

    def _failed(self, _error: BaseException) -> None:
        self.busy = False
        self.typed = 0
        self.message = _UNAVAILABLE
        self._arrange()

    def shown_message(self) -> str:
        if self.wait_s > 0:
            return self.app.t(_WAIT).format(seconds=int(self.wait_s))
        return self.app.t(self.message) if self.message else ""

    def wipe(self) -> None:
        self._pin.clear()
        self.step = "id"
        self.staff_id = ""
        self.typed = 0
        self.message = ""
        self.busy = False


Builder.load_string(
    """
#:import theme kiosk.widgets.theme
#:import PASSWORD_LENGTH kiosk.services.keypad.PASSWORD_LENGTH

<StaffSignInScreen>:
    BoxLayout:
        orientation: "vertical"
        StaffBar:
            StaffBarLabel:
                bold: True
                font_size: sp(40)
                text: app.t("Maintenance mode", app.locale) + "  ·  " + app.t("Staff sign-in", app.locale)
            StaffLanguageButton:
        BoxLayout:
            orientation: "vertical"
            padding: dp(72), dp(48)
            spacing: dp(28)
            KTitle:
                text: app.t("Enter your 6-digit staff number", app.locale) if root.step == "id" else app.t("Enter your 6-digit PIN", app.locale)
            Label:
                # The staff number as typed (no secret); the PIN as dots.
                text: ("  ".join(list(root.staff_id) + ["_"] * (6 - len(root.staff_id)))) if root.step == "id" else "  ".join(["●"] * root.typed + ["○"] * (PASSWORD_LENGTH - root.typed))
                font_size: sp(72)
                color: theme.PRIMARY
                size_hint_y: None
                height: dp(120)
            KMuted:
                halign: "center"
                text: app.t("Staff {id}", app.locale).format(id=root.staff_id) if root.step == "pin" else ""
            KText:
                halign: "center"
                bold: True
                color: theme.MUTED if root.busy else theme.WARNING
                text: root.shown_message() if (root.message or root.wait_s) and app.locale else ""
                height: max(self.texture_size[1], dp(60))
            BoxLayout:
                id: keypad_slot
                size_hint_y: None
                height: self.minimum_height
            Widget:
            SecondaryButton:
                text: app.t("Cancel", app.locale)
                disabled: root.busy
                on_release: app.go("attract")
"""
)
