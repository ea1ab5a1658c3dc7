"""Asks for the ID card; the reader's event (handled by the app) moves on to the password."""

from typing import Any

from kivy.lang import Builder
from kivy.properties import StringProperty

from kiosk.screens.base import KioskScreen


class CardScreen(KioskScreen):
    problem = StringProperty("")

    def prepare(self, **params: Any) -> None:
        self.problem = ""

    def show_read_problem(self, message_id: str) -> None:
        self.problem = message_id

    def wipe(self) -> None:
        self.problem = ""


Builder.load_string(
    """
#:import theme kiosk.widgets.theme

<CardScreen>:
    BoxLayout:
        orientation: "vertical"
        Header:
        BoxLayout:
            orientation: "vertical"
            padding: dp(72), dp(96)
            spacing: dp(40)
            KTitle:
                text: app.t("Please place your ID card on the reader", app.locale)
            KLead:
                text: app.t("The reader is below the screen. Leave the card there until you are done.", app.locale)
            Widget:
            IdCardPicture:
                size_hint: None, None
                size: dp(640), dp(400)
                pos_hint: {"center_x": 0.5}
            Widget:
            KText:
                halign: "center"
                color: theme.WARNING
                bold: True
                text: app.t(root.problem, app.locale) if root.problem else ""
            SecondaryButton:
                text: app.t("Back", app.locale)
                on_release: app.go("home")
"""
)
