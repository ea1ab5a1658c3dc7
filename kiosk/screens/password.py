"""The 6-digit query password on a keypad whose digits move every time."""

from typing import Any

from kivy.lang import Builder
from kivy.properties import BooleanProperty, NumericProperty, StringProperty

from kiosk.i18n import N_
from kiosk.screens.base import KioskScreen
from kiosk.services.citizen import SignIn, SignInResult
from kiosk.services.keypad import PasswordEntry, shuffled_digits
from kiosk.widgets.keypad import Keypad

# One sentence whether the password was wrong or the card has no account: the centre does not say which.
_ATTEMPTS_LEFT = {
    2: N_("The ID card and password do not match. You can try 2 more times today."),
    1: N_("The ID card and password do not match. You can try 1 more time today."),
}


class PasswordScreen(KioskScreen):
    greeting_name = StringProperty("")
    typed = NumericProperty(0)
    message = StringProperty("")
    busy = BooleanProperty(False)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._entry = PasswordEntry()
        self._keypad = Keypad(on_digit=self._digit, on_clear=self._clear, on_backspace=self._backspace)
        self.ids.keypad_slot.add_widget(self._keypad)
        self.bind(busy=lambda _screen, busy: setattr(self._keypad, "disabled", busy))

    def prepare(self, **params: Any) -> None:
        self.greeting_name = self.app.runtime.visit.greeting().masked_name
        self.message = ""
        self.busy = False
        self._entry.clear()
        self.typed = 0
        self._arrange()

    def _arrange(self) -> None:
        self._keypad.arrange(shuffled_digits(), self.app.t("Clear"), self.app.t("Delete"))

    def on_enter(self, *_args: Any) -> None:
        # Labels of clear/delete follow the language chosen on this screen.
        self.app.bind(locale=self._relabel)

    def on_leave(self, *_args: Any) -> None:
        self.app.unbind(locale=self._relabel)

    def _relabel(self, *_args: Any) -> None:
        children = self._keypad.children  # reversed order: [backspace, last digit, clear, ...]
        children[0].text = self.app.t("Delete")
        children[2].text = self.app.t("Clear")

    def _digit(self, digit: str) -> None:
        if self.busy:
            return
        complete = self._entry.press(digit)
        self.typed = self._entry.count
        self.app.say("password_digits", count=self.typed)  # how many, never which
        if complete:
            self._submit()

    def _clear(self) -> None:
        self._entry.clear()
        self.typed = 0

    def _backspace(self) -> None:
        self._entry.backspace()
        self.typed = self._entry.count
        self.app.say("password_digits", count=self.typed)

    def _submit(self) -> None:
        self.busy = True
        self.message = N_("Checking your password…")
        password = self._entry.take()
        self.app.background(self.app.runtime.visit.sign_in, password, on_result=self._signed_in,
                            on_error=self._failed)

    def _signed_in(self, result: SignInResult) -> None:
        self.busy = False
        self.typed = 0
        if result.outcome is SignIn.OK:
            self.message = ""
            self.app.after_sign_in()
        elif result.outcome is SignIn.WRONG_PASSWORD:
            self.message = _ATTEMPTS_LEFT.get(
                result.attempts_left or 0, N_("The ID card and password do not match. Please try again.")
            )
            self.app.say("password_wrong", attempts=result.attempts_left or 0)
            self._arrange()
        elif result.outcome is SignIn.LOCKED:
            self.app.go("notice", title=N_("Your query password is locked for today"),
                        body=N_("Three wrong passwords were entered today. Please try again tomorrow, or ask at "
                        "the counter to reset your password."), then="goodbye")
        elif result.outcome is SignIn.RATE_LIMITED:
            self.app.go("notice", title=N_("Please try again later"),
                        body=N_("Signing in is paused at this kiosk for a few minutes. Please try again later, "
                        "or ask at the counter."), then="goodbye")
        else:
            self._failed(None)

    def _failed(self, _error: BaseException | None) -> None:
        self.app.go("notice", title=N_("The service is briefly unavailable"),
                    body=N_("We cannot reach the centre just now. Please try again in a few minutes, or ask at "
                    "the counter."), then="goodbye")

    def wipe(self) -> None:
        self._entry.clear()
        self.typed = 0
        self.greeting_name = ""
        self.message = ""
        self.busy = False


Builder.load_string(
    """
#:import theme kiosk.widgets.theme

<PasswordScreen>:
    BoxLayout:
        orientation: "vertical"
        Header:
        BoxLayout:
            orientation: "vertical"
            padding: dp(72), dp(56)
            spacing: dp(28)
            KTitle:
                text: app.t("Hello, {name}", app.locale).format(name=root.greeting_name)
            KText:
                halign: "center"
                text: app.t("Please enter your 6-digit query password", app.locale)
            PasswordDots:
                typed: root.typed
            KText:
                halign: "center"
                bold: True
                color: theme.MUTED if root.busy else theme.WARNING
                text: app.t(root.message, app.locale) if root.message else ""
                height: max(self.texture_size[1], dp(60))
            BoxLayout:
                id: keypad_slot
                size_hint_y: None
                height: self.minimum_height
            Widget:
            KMuted:
                halign: "center"
                text: app.t("Cover the keypad with your hand. The digits change places every time.", app.locale)
            SecondaryButton:
                text: app.t("Cancel", app.locale)
                disabled: root.busy
                on_release: app.finish()
"""
)
