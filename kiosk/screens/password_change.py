"""Changing the 6-digit query password: the current one, then the new one twice, each on a keypad whose
digits move every time. The rules (and the centre's word on a weak password) are the password-change
service's (kiosk/services/password_change.py)."""

from __future__ import annotations

from typing import Any

from kivy.lang import Builder
from kivy.properties import BooleanProperty, NumericProperty, OptionProperty, StringProperty

from kiosk.i18n import N_
from kiosk.screens.base import KioskScreen
from kiosk.services.keypad import PasswordEntry, shuffled_digits
from kiosk.services.password_change import Change, ChangeResult, PasswordChangeService
from kiosk.widgets.keypad import Keypad

_ASK = {
    "old": N_("Enter your current query password"),
    "new": N_("Enter a new 6-digit password"),
    "again": N_("Enter the new password again"),
}
_WRONG_OLD = {
    2: N_("That is not your current password. You can try 2 more times today."),
    1: N_("That is not your current password. You can try 1 more time today."),
}


class PasswordChangeScreen(KioskScreen):
    step = OptionProperty("old", options=["old", "new", "again", "changed"])
    typed = NumericProperty(0)
    message = StringProperty("")  # a message id
    weak_zh = StringProperty("")  # the centre's own words for a weak password, both languages
    weak_en = StringProperty("")
    busy = BooleanProperty(False)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._entries = {step: PasswordEntry() for step in ("old", "new", "again")}
        # The current password once typed: kept (in memory, for this visit) so that a refused new one is
        # entered again without the current one.
        self._old = ""
        self._keypad = Keypad(on_digit=self._digit, on_clear=self._clear, on_backspace=self._backspace)
        self.ids.keypad_slot.add_widget(self._keypad)
        self.bind(busy=lambda _screen, busy: setattr(self._keypad, "disabled", busy))

    @property
    def passwords(self) -> PasswordChangeService:
        return self.app.runtime.visit.password_change

    def prepare(self, **params: Any) -> None:
        self._forget()
        self._ask("old")

    def ask_text(self, step: str, locale: str) -> str:
        return self.app.t(_ASK[step], locale) if step in _ASK else ""

    def message_text(self, message: str, weak_zh: str, weak_en: str, locale: str) -> str:
        if weak_zh:
            return weak_zh if locale == "zh_CN" else weak_en
        return self.app.t(message, locale) if message else ""

    def _ask(self, step: str, message: str = "") -> None:
        self.step = step
        self._entries[step].clear()
        self.typed = 0
        self.message = message
        self.weak_zh = self.weak_en = ""
        self._arrange()

    def _arrange(self) -> None:
        self._keypad.arrange(shuffled_digits(), self.app.t("Clear"), self.app.t("Delete"))

    def on_enter(self, *_args: Any) -> None:
        self.app.bind(locale=self._relabel)

    def on_leave(self, *_args: Any) -> None:
        self.app.unbind(locale=self._relabel)

    def _relabel(self, *_args: Any) -> None:
        children = self._keypad.children  # reversed order: [backspace, last digit, clear, ...]
        if children:
            children[0].text = self.app.t("Delete")
            children[2].text = self.app.t("Clear")

    def _digit(self, digit: str) -> None:
        if self.busy or self.step == "changed":
            return
        entry = self._entries[self.step]
        complete = entry.press(digit)
        self.typed = entry.count
        if not complete:
            return
        if self.step == "old":
            self._old = entry.take()
            self._ask("new")
        elif self.step == "new":
            self._ask("again")
        else:
            self._submit()

    def _clear(self) -> None:
        if self.step in self._entries:
            self._entries[self.step].clear()
            self.typed = 0

    def _backspace(self) -> None:
        if self.step in self._entries:
            entry = self._entries[self.step]
            entry.backspace()
            self.typed = entry.count

    def _submit(self) -> None:
        self.busy = True
        self.message = N_("Changing your password…")
        new, again = self._entries["new"].take(), self._entries["again"].take()
        self.app.background(self.passwords.change, self._old, new, again, on_result=self._answered,
                            on_error=self._failed)

    def _answered(self, result: ChangeResult) -> None:
        self.busy = False
        outcome = result.outcome
        if outcome is Change.CHANGED:
            self._forget()
            self.step = "changed"
            self.message = ""
        elif outcome is Change.MISMATCH:
            self._ask("new", N_("The two new passwords were not the same. Please enter the new password again."))
        elif outcome is Change.WEAK:
            self._ask("new")
            self.weak_zh, self.weak_en = result.reason_zh, result.reason_en
        elif outcome is Change.WRONG_OLD:
            self._old = ""
            self._ask("old", _WRONG_OLD.get(result.attempts_left or 0,
                                            N_("That is not your current password. Please try again.")))
        elif outcome is Change.LOCKED:
            self.app.go("notice", title=N_("Your query password is locked for today"),
                        body=N_("Three wrong passwords were entered today. Please try again tomorrow, or ask at "
                        "the counter to reset your password."), then="goodbye")
        elif outcome is Change.RATE_LIMITED:
            self.app.go("notice", title=N_("Please try again later"),
                        body=N_("Password changes are paused at this kiosk for a few minutes. Please try again "
                        "later, or ask at the counter."), then="goodbye")
        else:
            self._unavailable()

    def _failed(self, error: BaseException) -> None:
        # The service answers every problem of the centre's as UNAVAILABLE: an exception is a bug, which
        # Kivy's fault handler logs and answers by wiping the visit.
        self.busy = False
        raise error

    def _unavailable(self) -> None:
        self.app.go("notice", title=N_("The service is briefly unavailable"),
                    body=N_("We cannot reach the centre just now. Please try again in a few minutes, or ask at "
                    "the counter."), then="home")

    def _forget(self) -> None:
        for entry in self._entries.values():
            entry.clear()
        self._old = ""
        self.typed = 0
        self.message = ""
        self.weak_zh = self.weak_en = ""
        self.busy = False

    def wipe(self) -> None:
        self._forget()
        self.step = "old"


Builder.load_string(
    """
#:import theme kiosk.widgets.theme

<PasswordChangeScreen>:
    BoxLayout:
        orientation: "vertical"
        Header:
        BoxLayout:
            orientation: "vertical"
            padding: dp(72), dp(48)
            spacing: dp(24)
            KTitle:
                text: app.t("Change query password", app.locale)
            # Where the citizen is: three steps, the current one marked.
            KMuted:
                halign: "center"
                opacity: 0 if root.step == "changed" else 1
                text: app.t("Step {number} of 3", app.locale).format(number={"old": 1, "new": 2, "again": 3}.get(root.step, 3))
            KText:
                halign: "center"
                bold: True
                text: root.ask_text(root.step, app.locale)
            PasswordDots:
                typed: root.typed
                opacity: 0 if root.step == "changed" else 1
            KText:
                halign: "center"
                bold: True
                color: theme.MUTED if root.busy else theme.WARNING
                text: root.message_text(root.message, root.weak_zh, root.weak_en, app.locale)
                height: max(self.texture_size[1], dp(56))
            BoxLayout:
                id: keypad_slot
                size_hint_y: None
                height: self.minimum_height if root.step != "changed" else 0
                opacity: 0 if root.step == "changed" else 1
                disabled: root.step == "changed"
            Card:
                opacity: 1 if root.step == "changed" else 0
                height: self.minimum_height if root.step == "changed" else 0
                KTitle:
                    color: theme.MONEY
                    text: app.t("Your query password has been changed", app.locale)
                KText:
                    halign: "center"
                    text: app.t("From now on, please sign in with your new password.", app.locale)
            Widget:
            KMuted:
                halign: "center"
                opacity: 0 if root.step == "changed" else 1
                text: app.t("Cover the keypad with your hand. The digits change places every time.", app.locale)
            BoxLayout:
                size_hint_y: None
                height: dp(150)
                spacing: dp(32)
                SecondaryButton:
                    text: app.t("Home", app.locale) if root.step == "changed" else app.t("Cancel", app.locale)
                    disabled: root.busy
                    on_release: app.go_home()
                KioskButton:
                    text: app.t("Finish", app.locale)
                    opacity: 1 if root.step == "changed" else 0
                    disabled: root.step != "changed"
                    on_release: app.finish()
"""
)
