"""The home menu: the services this kiosk offers now, in the order operators set, with opening hours."""

from typing import Any

from kivy.lang import Builder
from kivy.properties import BooleanProperty, ListProperty

from kiosk.i18n import N_
from kiosk.screens.rendered import RenderedScreen
from kiosk.services.policy import ServiceOffer
from kiosk.widgets.choices import ChoiceTile

# Each detail is one line on a half-width tile, in both languages and in large text: keep them short.
_TITLES = {
    "overview": (N_("Account overview"), N_("Balance and status")),
    "deposits": (N_("Deposit records"), N_("Payments in and out")),
    "loan": (N_("Housing loan"), N_("Balance and repayments")),
    "withdrawal": (N_("Withdraw funds"), N_("Paid to your bank card")),
    "appointment": (N_("Book an appointment"), N_("Choose a counter time")),
    "pre_registration": (N_("Pre-registration"), N_("Checklist and a code")),
    "certificate": (N_("Certificates"), N_("Deposit and loan proofs")),
    "password_change": (N_("Change password"), N_("Your query password")),
    "status": (N_("My applications"), N_("See how they stand")),
    "complaint": (N_("Complaints and suggestions"), N_("No ID card needed")),
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


class HomeScreen(RenderedScreen):
    signed_in = BooleanProperty(False)
    offers = ListProperty([])  # ServiceOffer

    def prepare(self, **params: Any) -> None:
        runtime = self.app.runtime
        self.signed_in = runtime.citizen.signed_in
        # What the operators switched on, in their order, less what this kiosk cannot serve with the parts
        # it has now (no outbox: no transaction; no printer: no certificate).
        self.offers = [offer for offer in runtime.policy.services() if runtime.visit.offered(offer.id)]
        self.render()

    def render(self) -> None:
        # The tiles are kept and refilled, not built again: a new tile's labels cost a frame of their own
        # each (bench/ui_latency.py), and the home screen comes back after every service.
        tiles = self.ids.tiles
        kept = list(reversed(tiles.children))
        for extra in kept[len(self.offers) :]:
            tiles.remove_widget(extra)
        for index, offer in enumerate(self.offers):
            if index == len(kept):
                kept.append(self._new_tile())
                tiles.add_widget(kept[index])
            self._fill(kept[index], offer)

    def _new_tile(self) -> ChoiceTile:
        # Ten to a 1080x1920 panel, two to a row: each the same height (room for a title of two lines in
        # large English text), so that the rows stay even.
        tile = ChoiceTile(title_size=44, detail_size=27, min_height=250)
        tile.bind(on_release=lambda button: self.app.choose_service(button.service))
        return tile

    def _fill(self, tile: ChoiceTile, offer: ServiceOffer) -> None:
        t = self.app.t
        title, detail = _TITLES[offer.id]
        tile.service = offer.id  # which it opens
        tile.title = t(title)
        tile.kind = "choice" if offer.open else "note"
        if offer.open:
            tile.detail = t(detail)
        else:
            # A closed service says when it opens, so nobody waits at the screen in vain.
            tile.detail = (
                t("Opens {day} at {time}").format(
                    day=t(_WEEKDAYS[offer.opens[0]]), time=offer.opens[1].strftime("%H:%M")
                )
                if offer.opens
                else t("Not available at this kiosk now")
            )

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
            # Tighter while the header shows voice guidance's row, so all ten tiles still fit in large text.
            padding: dp(48), (dp(24) if app.voice_on else dp(40))
            spacing: dp(16) if app.voice_on else dp(28)
            KTitle:
                text: app.t("Please choose a service", app.locale)
            NoticeBanner:
            # Scrolls only when an operator's long notice leaves too little room for all ten in large text.
            FlowScroll:
                GridLayout:
                    id: tiles
                    cols: 2
                    spacing: dp(12) if app.voice_on else dp(20)
                    size_hint_y: None
                    height: self.minimum_height
            SecondaryButton:
                text: app.t("Exit", app.locale) if root.signed_in else app.t("Back", app.locale)
                on_release: root.leave()
"""
)
