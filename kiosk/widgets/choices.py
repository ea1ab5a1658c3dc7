"""What a citizen picks from, in every flow and on the home menu: one tile for every choice (a service, a
withdrawal reason, a certificate, a business type, an office, a day, a time) and the list they stand in."""

from typing import Any

from kivy.lang import Builder
from kivy.properties import (
    BooleanProperty,
    ColorProperty,
    NumericProperty,
    OptionProperty,
    StringProperty,
)
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.boxlayout import BoxLayout

import kiosk.widgets.flow  # noqa: F401  (FlowScroll, which holds the lists)
from kiosk.widgets import theme

_ON_PRIMARY_SOFT = (1, 1, 1, 0.9)


class ChoiceTile(ButtonBehavior, BoxLayout):
    """A choice: its title and, below it, as many lines as it takes to say what it means.

    `kind` says what a tap does. A "choice" takes the citizen on (a filled tile). An "option" is one of a
    set that stays on the screen, like the days and times of a calendar (outlined; filled while
    `selected`). A "note" or "refused" one is shown but cannot be taken (greyed): its detail says where
    else, when, or (a refusal, in warning colour) why not."""

    title = StringProperty("")
    detail = StringProperty("")
    kind = OptionProperty("choice", options=["choice", "option", "note", "refused"])
    selected = BooleanProperty(False)
    # Sizes before the citizen's large-text choice: sp for the words, dp for the least height (a target
    # easy to hit; a grid of tiles gives all the same one so that its rows stay even).
    title_size = NumericProperty(50)
    detail_size = NumericProperty(theme.SMALL)
    min_height = NumericProperty(136)
    align = OptionProperty("left", options=["left", "center"])
    # What the kind, the selection and a press make of it; set by _restyle, read by the kv rule.
    fill = ColorProperty(theme.PRIMARY)
    edge = ColorProperty(theme.PRIMARY)
    title_color = ColorProperty(theme.ON_PRIMARY)
    detail_color = ColorProperty(_ON_PRIMARY_SOFT)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        for name in ("kind", "selected", "state"):
            self.fbind(name, self._restyle)
        self._restyle()

    def _restyle(self, *_args: Any) -> None:
        pressed = self.state == "down"
        if self.kind in ("note", "refused"):
            self.fill, self.edge, self.title_color = theme.BACKGROUND, theme.DIVIDER, theme.MUTED
            self.detail_color = theme.WARNING if self.kind == "refused" else theme.TEXT
        elif self.kind == "choice" or self.selected:
            self.fill = self.edge = theme.PRIMARY_PRESSED if pressed else theme.PRIMARY
            self.title_color, self.detail_color = theme.ON_PRIMARY, _ON_PRIMARY_SOFT
        else:
            self.fill = theme.DIVIDER if pressed else theme.SURFACE
            self.edge, self.title_color, self.detail_color = theme.PRIMARY, theme.PRIMARY, theme.MUTED


Builder.load_string(
    """
<ChoiceTile>:
    orientation: "vertical"
    size_hint_y: None
    height: max(dp(self.min_height), self.minimum_height)
    disabled: self.kind in ("note", "refused")
    # The room around the words grows with them, so a day in a calendar and a service on the home menu
    # are the same tile at two sizes.
    padding: dp(self.title_size * 0.64), dp(self.title_size * 0.4)
    canvas.before:
        Color:
            rgba: self.fill
        RoundedRectangle:
            pos: self.pos
            size: self.size
            radius: [dp(24)]
        Color:
            rgba: self.edge
        Line:
            rounded_rectangle: (self.x + dp(1), self.y + dp(1), self.width - dp(2), self.height - dp(2), dp(24))
            width: dp(2)
    # Above and below the words: they stand in the middle of a tile taller than they are.
    Widget:
    Label:
        text: root.title
        bold: True
        font_size: sp(root.title_size) * app.text_scale
        color: root.title_color
        disabled_color: root.title_color
        text_size: self.width, None
        size_hint_y: None
        height: self.texture_size[1]
        halign: root.align
    Label:
        text: root.detail
        font_size: sp(root.detail_size) * app.text_scale
        color: root.detail_color
        disabled_color: root.detail_color
        padding: 0, dp(4), 0, 0
        text_size: self.width, None
        size_hint_y: None
        height: self.texture_size[1] if root.detail else 0
        halign: root.align
    Widget:

# Tiles one under the other; put it in a FlowScroll, which scrolls it when it is longer than the screen.
<ChoiceList@BoxLayout>:
    orientation: "vertical"
    size_hint_y: None
    height: self.minimum_height
    spacing: dp(20)
    # room for the scroll bar
    padding: 0, 0, dp(16), 0
"""
)
