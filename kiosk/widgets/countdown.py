"""The "are you still there?" overlay that runs the last seconds before a citizen's session is wiped."""

from kivy.lang import Builder
from kivy.properties import NumericProperty

from kiosk.widgets.common import Overlay


class IdleOverlay(Overlay):
    seconds_left = NumericProperty(0)


Builder.load_string(
    """
#:import theme kiosk.widgets.theme

<IdleOverlay>:
    OverlayCard:
        KTitle:
            text: app.t("Are you still there?", app.locale)
        Label:
            text: str(root.seconds_left)
            font_size: sp(200)
            bold: True
            color: theme.PRIMARY
            size_hint_y: None
            height: dp(260)
        KText:
            halign: "center"
            text: app.t("For your privacy, this screen will be cleared when the countdown ends.", app.locale)
        Widget:
            size_hint_y: None
            height: dp(16)
        KioskButton:
            text: app.t("Continue", app.locale)
            on_release: app.keep_alive()
"""
)
