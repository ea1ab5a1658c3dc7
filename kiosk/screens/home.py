"""The home menu: the services a citizen can use here."""

from typing import Any

from kivy.lang import Builder
from kivy.properties import BooleanProperty

from kiosk.screens.base import KioskScreen


class HomeScreen(KioskScreen):
    signed_in = BooleanProperty(False)

    def prepare(self, **params: Any) -> None:
        self.signed_in = self.app.runtime.citizen.signed_in

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
            Widget:
                size_hint_y: None
                height: dp(24)
            Tile:
                title: app.t("Account overview", app.locale)
                subtitle: app.t("Balance, monthly deposit, account status", app.locale)
                on_release: app.choose_service("overview")
            Tile:
                title: app.t("Deposit records", app.locale)
                subtitle: app.t("Every deposit, withdrawal and interest posting", app.locale)
                on_release: app.choose_service("deposits")
            Tile:
                title: app.t("Housing loan", app.locale)
                subtitle: app.t("Balance, next payment, repayment plan", app.locale)
                on_release: app.choose_service("loan")
            Widget:
            SecondaryButton:
                text: app.t("Exit", app.locale) if root.signed_in else app.t("Back", app.locale)
                on_release: root.leave()
"""
)
