"""The home menu: the services this kiosk offers now, in the order operators set, with opening hours."""

from typing import Any

from kivy.lang import Builder
from kivy.properties import BooleanProperty

from kiosk.i18n import N_
from kiosk.screens.base import KioskScreen
from kiosk.services.policy import ServiceOffer
from kiosk.widgets.common import Tile

_TITLES = {
    "overview": (N_("Account overview"), N_("Balance, monthly deposit, account status")),
    "deposits": (N_("Deposit records"), N_("Every deposit, withdrawal and interest posting")),
    "loan": (N_("Housing loan"), N_("Balance, next payment, repayment plan")),
}
_WEEKDAYS = {
    "mon": N_("Monday"),
    "tue": N_("Tuesday"),
    "wed": N_("Wednesday"),
    "thu": N_("Thursday"),
    "fri": N_("Friday"),
    "sat": N_("Saturday"),
    "sun": N_("Sunday"),
}


class HomeScreen(KioskScreen):
    signed_in = BooleanProperty(False)

    def prepare(self, **params: Any) -> None:
        self.signed_in = self.app.runtime.citizen.signed_in
        self._offers = self.app.runtime.policy.services()
        self._build_tiles()

    def on_enter(self, *_args: Any) -> None:
        self.app.bind(locale=self._build_tiles)

    def on_leave(self, *_args: Any) -> None:
        self.app.unbind(locale=self._build_tiles)

    def _build_tiles(self, *_args: Any) -> None:
        tiles = self.ids.tiles
        tiles.clear_widgets()
        for offer in self._offers:
            tiles.add_widget(self._tile(offer))

    def _tile(self, offer: ServiceOffer) -> Tile:
        t = self.app.t
        title, subtitle = _TITLES[offer.id]
        tile = Tile(title=t(title), subtitle=t(subtitle), disabled=not offer.open)
        tile.service = offer.id
        if not offer.open:
            # A closed service says when it opens, so nobody waits at the screen in vain.
            tile.subtitle = (
                t("Opens {day} at {time}").format(
                    day=t(_WEEKDAYS[offer.opens[0]]), time=offer.opens[1].strftime("%H:%M")
                )
                if offer.opens
                else t("Not available at this kiosk now")
            )
        tile.bind(on_release=lambda button: self.app.choose_service(button.service))
        return tile

    def leave(self) -> None:
        if self.signed_in:
            self.app.finish()
        else:
            self.app.go("attract")


Builder.load_string(
    """
#:import theme kiosk.widgets.theme

<HomeScreen>:
    BoxLayout:
        orientation: "vertical"
        Header:
        BoxLayout:
            orientation: "vertical"
            padding: dp(64), dp(64)
            spacing: dp(36)
            KTitle:
                text: app.t("Please choose a service", app.locale)
            NoticeBanner:
            BoxLayout:
                id: tiles
                orientation: "vertical"
                spacing: dp(36)
                size_hint_y: None
                height: self.minimum_height
            Widget:
            SecondaryButton:
                text: app.t("Exit", app.locale) if root.signed_in else app.t("Back", app.locale)
                on_release: root.leave()
"""
)
