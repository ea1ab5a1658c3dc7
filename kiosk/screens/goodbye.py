"""After every visit: thanks, and a reminder to take the ID card (and the receipt and bank card, when there
are any). Nothing of the citizen is left on it."""

from typing import Any

from kivy.clock import Clock
from kivy.lang import Builder
from kivy.properties import BooleanProperty

from kiosk.screens.base import KioskScreen

_SHOW_S = 10
_AFTER_CARD_TAKEN_S = 2


class GoodbyeScreen(KioskScreen):
    receipt = BooleanProperty(False)
    bank_card = BooleanProperty(False)  # the payee bank card is still in its reader
    id_card = BooleanProperty(True)  # an ID card began the visit (a complaint may be made without one)
    # None until on_enter: when visits follow fast, on_leave (or a taken card) can come before it.
    _timer: Any = None

    def prepare(self, **params: Any) -> None:
        self.receipt = bool(params.get("receipt"))
        self.bank_card = bool(params.get("bank_card"))
        self.id_card = bool(params.get("id_card", True))

    def on_enter(self, *_args: Any) -> None:
        self._cancel_timer()
        self._timer = Clock.schedule_once(self._back_to_attract, _SHOW_S)

    def on_leave(self, *_args: Any) -> None:
        self._cancel_timer()

    def card_taken(self) -> None:
        self._cancel_timer()
        self._timer = Clock.schedule_once(self._back_to_attract, _AFTER_CARD_TAKEN_S)

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _back_to_attract(self, _dt: float) -> None:
        if self.manager.current == self.name:
            self.app.go("attract")


Builder.load_string(
    """
#:import theme kiosk.widgets.theme

<GoodbyeScreen>:
    BoxLayout:
        orientation: "vertical"
        Header:
        BoxLayout:
            orientation: "vertical"
            padding: dp(72), dp(160)
            spacing: dp(48)
            Widget:
                size_hint_y: 0.3
            KTitle:
                font_size: sp(76)
                color: theme.PRIMARY
                text: (app.t("Please take your ID card and receipt", app.locale) if root.receipt else app.t("Please take your ID card", app.locale)) if root.id_card else (app.t("Please take your receipt", app.locale) if root.receipt else app.t("Thank you", app.locale))
            KTitle:
                font_size: sp(56)
                color: theme.PRIMARY
                opacity: 1 if root.bank_card else 0
                size_hint_y: None
                height: self.texture_size[1] if root.bank_card else 0
                text: app.t("Please take your bank card too", app.locale) if root.bank_card else ""
            IdCardPicture:
                size_hint: None, None
                size: dp(480), dp(300) if root.id_card else 0
                opacity: 1 if root.id_card else 0
                pos_hint: {"center_x": 0.5}
            KText:
                halign: "center"
                text: app.t("Thank you for using the self-service kiosk.", app.locale)
            KMuted:
                halign: "center"
                text: app.t("Everything you viewed has been cleared from this screen.", app.locale)
            Widget:
"""
)
