"""Parts the screens of a service flow share: the footer (Back, Exit), the loading line, a label-and-value
row, the big number a citizen takes to the counter, and the question that confirms an action that cannot
be undone."""

from typing import Any

from kivy.lang import Builder
from kivy.properties import BooleanProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.floatlayout import FloatLayout

from kiosk.i18n import N_


class FlowFooter(BoxLayout):
    """Back (one step, or home from a flow's first screen) and Exit (the visit ends)."""

    back_text = StringProperty(N_("Back"))  # a message id

    __events__ = ("on_back",)

    def on_back(self) -> None:
        """Handled by the screen."""


class ConfirmOverlay(FloatLayout):
    """Covers the screen and asks once more; `on_answer` carries True (go ahead) or False (keep it).
    Touches outside its card go nowhere, so nothing behind it is tapped by mistake."""

    question = StringProperty("")  # translated
    detail = StringProperty("")  # translated
    yes_text = StringProperty("")  # translated
    no_text = StringProperty("")  # translated
    busy = BooleanProperty(False)

    __events__ = ("on_answer",)

    def on_answer(self, go_ahead: bool) -> None:
        """Handled by the screen."""

    def on_touch_down(self, touch: Any) -> bool:
        super().on_touch_down(touch)
        return True


Builder.load_string(
    """
#:import theme kiosk.widgets.theme

<FlowFooter>:
    size_hint_y: None
    height: dp(150)
    spacing: dp(32)
    SecondaryButton:
        text: app.t(root.back_text, app.locale)
        on_release: root.dispatch("on_back")
    KioskButton:
        text: app.t("Exit", app.locale)
        on_release: app.finish()

<FlowLoading@KText>:
    shown: False
    halign: "center"
    color: theme.MUTED
    text: app.t("Loading, please wait…", app.locale) if self.shown else ""
    opacity: 1 if self.shown else 0
    height: self.texture_size[1] if self.shown else 0

<FlowMessage@KText>:
    # A sentence for the citizen after a step (refused, cancelled, printed); takes no room when empty.
    halign: "center"
    bold: True
    color: theme.PRIMARY
    height: self.texture_size[1] if self.text else 0

<FactRow@BoxLayout>:
    label: ""
    value: ""
    size_hint_y: None
    height: max(dp(76), label_label.texture_size[1] + dp(20), value_label.texture_size[1] + dp(20))
    spacing: dp(24)
    canvas.after:
        Color:
            rgba: theme.DIVIDER
        Rectangle:
            pos: self.x, self.y
            size: self.width, dp(2)
    Label:
        id: label_label
        text: root.label
        color: theme.MUTED
        font_size: sp(theme.SMALL + 2) * app.text_scale
        size_hint_x: 0.36
        text_size: self.width, None
        halign: "left"
        valign: "middle"
    Label:
        id: value_label
        text: root.value
        color: theme.TEXT
        font_size: sp(theme.SMALL + 6) * app.text_scale
        text_size: self.width, None
        halign: "right"
        valign: "middle"

<BigCode@Label>:
    # The number the citizen takes to the counter: large, and never cut.
    font_size: sp(110) * app.text_scale
    bold: True
    color: theme.PRIMARY
    size_hint_y: None
    height: self.texture_size[1] + dp(12)
    text_size: self.width, None
    halign: "center"

<FlowScroll@ScrollView>:
    do_scroll_x: False
    bar_width: dp(10)
    bar_color: theme.MUTED
    bar_inactive_color: theme.DIVIDER

<ConfirmOverlay>:
    canvas.before:
        Color:
            rgba: theme.SCRIM
        Rectangle:
            pos: self.pos
            size: self.size
    Card:
        size_hint_x: 0.86
        pos_hint: {"center_x": 0.5, "center_y": 0.5}
        spacing: dp(32)
        KTitle:
            text: root.question
        KText:
            halign: "center"
            text: root.detail
        BoxLayout:
            size_hint_y: None
            height: dp(150)
            spacing: dp(28)
            SecondaryButton:
                text: root.no_text
                disabled: root.busy
                on_release: root.dispatch("on_answer", False)
            KioskButton:
                text: root.yes_text
                disabled: root.busy
                on_release: root.dispatch("on_answer", True)
"""
)
