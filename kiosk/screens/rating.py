"""好差评 after a completed service: five levels in the national wording, skip in one tap; for the two lowest,
the reasons (a fixed list) and, if the citizen wants a call back, a phone number on a digit keypad, shown
masked once entered. Whatever the citizen does here (rate, skip, walk away) the visit goes on to the
goodbye; the rating service files on a worker."""

from __future__ import annotations

from typing import Any

from kivy.lang import Builder
from kivy.metrics import dp
from kivy.properties import BooleanProperty, ListProperty, ObjectProperty, OptionProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout

from kiosk.i18n import N_
from kiosk.masking import mask_phone
from kiosk.screens.rendered import RenderedScreen
from kiosk.services.rating import DISSATISFIED_AT_MOST, LEVELS, PHONE, REASONS, Case, RatingService
from kiosk.widgets.choices import ChoiceTile
from kiosk.widgets.keypad import Keypad

# The service rated, by the names the home screen gives them.
_SERVICE_NAMES = {
    "overview": N_("Account overview"),
    "deposits": N_("Deposit records"),
    "loan": N_("Housing loan"),
    "withdrawal": N_("Withdraw funds"),
    "appointment": N_("Book an appointment"),
    "pre_registration": N_("Pre-registration"),
    "certificate": N_("Certificates"),
    "password_change": N_("Change password"),
    "status": N_("My applications"),
}
_PHONE_DIGITS = list("1234567890")
_PHONE_MAX = 12


class StepPane(BoxLayout):
    """One step of the screen. A hidden step takes no touches: its keys, laid out under the step shown,
    would otherwise catch the taps meant for it (a disabled widget swallows them)."""

    shown = BooleanProperty(True)

    def on_touch_down(self, touch: Any) -> bool:
        return bool(self.shown and super().on_touch_down(touch))

    def on_touch_up(self, touch: Any) -> bool:
        return bool(self.shown and super().on_touch_up(touch))


class RatingScreen(RenderedScreen):
    step = OptionProperty("score", options=["score", "reasons", "phone"])
    case = ObjectProperty(None, allownone=True)
    chosen = ListProperty([])  # reason codes, in the list's order
    typed = StringProperty("")  # the phone as being typed (its own step only)
    phone = StringProperty("")  # the phone once entered: shown masked
    phone_ok = BooleanProperty(False)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._score = 0
        # Lower keys than the password's: the title and the number typed stay on the screen above them.
        self._keypad = Keypad(
            on_digit=self._digit, on_clear=self._clear, on_backspace=self._backspace, key_height=dp(120)
        )
        self.ids.keypad_slot.add_widget(self._keypad)

    @property
    def rating(self) -> RatingService:
        return self.app.runtime.visit.rating

    def prepare(self, **params: Any) -> None:
        self._forget()
        self.case = params["case"]
        self.render()

    def service_name(self, case: Case | None, locale: str) -> str:
        if case is None:
            return ""
        return self.app.t(_SERVICE_NAMES.get(case.service, N_("This service")), locale)

    def masked_phone(self, phone: str) -> str:
        return mask_phone(phone) if phone else ""

    def render(self) -> None:
        t = self.app.t
        levels = self.ids.levels
        levels.clear_widgets()
        for score, label in LEVELS:
            tile = ChoiceTile(title=t(label), align="center", title_size=50, min_height=150)
            tile.bind(on_release=lambda _tile, chosen=score: self.choose(chosen))
            levels.add_widget(tile)
        reasons = self.ids.reasons
        reasons.clear_widgets()
        for code, label in REASONS:
            tile = ChoiceTile(title=t(label), kind="option", selected=code in self.chosen, title_size=40,
                              min_height=110)
            tile.bind(on_release=lambda _tile, chosen=code: self.toggle(chosen))
            reasons.add_widget(tile)
        self._keypad.arrange(_PHONE_DIGITS, t("Clear"), t("Delete"))

    # -- taps -----------------------------------------------------------------------------------------

    def choose(self, score: int) -> None:
        self._score = score
        if score <= DISSATISFIED_AT_MOST:
            self.step = "reasons"
            return
        self._file()

    def toggle(self, code: str) -> None:
        chosen = set(self.chosen) ^ {code}
        self.chosen = [c for c, _label in REASONS if c in chosen]
        self.render()

    def ask_phone(self) -> None:
        self.typed = self.phone
        self.phone_ok = bool(PHONE.fullmatch(self.typed))
        self.step = "phone"

    def phone_done(self) -> None:
        if self.phone_ok:
            self.phone = self.typed
            self.typed = ""
            self.step = "reasons"

    def phone_cancel(self) -> None:
        self.typed = ""
        self.step = "reasons"

    def submit(self) -> None:
        if self.chosen:
            self._file()

    def skip(self) -> None:
        if self.case is not None:
            self.rating.skip(self.case)
        self._next()

    def _digit(self, digit: str) -> None:
        if len(self.typed) < _PHONE_MAX:
            self.typed += digit
            self.phone_ok = bool(PHONE.fullmatch(self.typed))

    def _clear(self) -> None:
        self.typed = ""
        self.phone_ok = False

    def _backspace(self) -> None:
        self.typed = self.typed[:-1]
        self.phone_ok = bool(PHONE.fullmatch(self.typed))

    def _file(self) -> None:
        if self.case is not None:
            self.rating.rate(self.case, self._score, self.chosen, self.phone or None)
        self._next()

    def _next(self) -> None:
        # The next completed service's rating, or the goodbye.
        self._forget()
        self.app.finish()

    def _forget(self) -> None:
        self.step = "score"
        self.case = None
        self.chosen = []
        self.typed = self.phone = ""
        self.phone_ok = False
        self._score = 0

    def wipe(self) -> None:
        self._forget()


Builder.load_string(
    """
#:import theme kiosk.widgets.theme

<RatingScreen>:
    BoxLayout:
        orientation: "vertical"
        Header:
        BoxLayout:
            orientation: "vertical"
            padding: dp(56), dp(40)
            spacing: dp(24)
            KTitle:
                text: app.t("How satisfied are you?", app.locale) if root.step == "score" else app.t("We are sorry. What went wrong?", app.locale) if root.step == "reasons" else app.t("Your phone number for a call back", app.locale)
            KLead:
                text: app.t("Service: {service}", app.locale).format(service=root.service_name(root.case, app.locale))
            # Step 1: the five levels.
            StepPane:
                id: levels
                orientation: "vertical"
                spacing: dp(20)
                size_hint_y: None
                height: self.minimum_height if root.step == "score" else 0
                opacity: 1 if root.step == "score" else 0
                shown: root.step == "score"
            # Step 2: the reasons, and the optional call back. A BoxLayout leaves a child's height as it was
            # when its size hint goes None, so the height follows the step too: else the hidden step keeps
            # its room and pushes the title off the top.
            StepPane:
                size_hint_y: 1 if root.step == "reasons" else None
                height: self.height if root.step == "reasons" else 0
                opacity: 1 if root.step == "reasons" else 0
                shown: root.step == "reasons"
                FlowScroll:
                    BoxLayout:
                        orientation: "vertical"
                        spacing: dp(16)
                        size_hint_y: None
                        height: self.minimum_height
                        KMuted:
                            text: app.t("Choose one or more.", app.locale)
                        BoxLayout:
                            id: reasons
                            orientation: "vertical"
                            spacing: dp(16)
                            size_hint_y: None
                            height: self.minimum_height
                        KText:
                            bold: True
                            text: app.t("Call back on {phone}", app.locale).format(phone=root.masked_phone(root.phone)) if root.phone else app.t("If you would like us to call you back, leave a phone number (optional).", app.locale)
                        SecondaryButton:
                            text: app.t("Change the number", app.locale) if root.phone else app.t("Leave a phone number", app.locale)
                            on_release: root.ask_phone()
            # Step 3: the phone on a digit keypad.
            StepPane:
                orientation: "vertical"
                spacing: dp(20)
                size_hint_y: None
                height: self.minimum_height if root.step == "phone" else 0
                opacity: 1 if root.step == "phone" else 0
                shown: root.step == "phone"
                Label:
                    text: root.typed or "—"
                    font_size: sp(72)
                    color: theme.PRIMARY
                    size_hint_y: None
                    height: dp(110)
                KMuted:
                    halign: "center"
                    text: app.t("A mobile number (11 digits) or a landline with its area code.", app.locale)
                BoxLayout:
                    id: keypad_slot
                    size_hint_y: None
                    height: self.minimum_height
            # Room left over goes below the step, except for the reasons, which take it all.
            Widget:
                size_hint_y: None if root.step == "reasons" else 1
                height: 0 if root.step == "reasons" else self.height
            BoxLayout:
                size_hint_y: None
                height: dp(150)
                spacing: dp(32)
                SecondaryButton:
                    text: app.t("Back", app.locale) if root.step == "phone" else app.t("Skip", app.locale)
                    on_release: root.phone_cancel() if root.step == "phone" else root.skip()
                KioskButton:
                    opacity: 0 if root.step == "score" else 1
                    disabled: root.step == "score" or (root.step == "reasons" and not root.chosen) or (root.step == "phone" and not root.phone_ok)
                    text: app.t("OK", app.locale) if root.step == "phone" else app.t("Submit", app.locale)
                    on_release: root.phone_done() if root.step == "phone" else root.submit()
"""
)
