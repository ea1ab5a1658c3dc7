"""What a citizen picks from: the home menu's service tiles (two to a row, so nine fit a portrait panel) and
the choices inside a service (a business type, an office, a day, a time)."""

from kivy.lang import Builder
from kivy.properties import BooleanProperty, NumericProperty, OptionProperty, StringProperty
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.boxlayout import BoxLayout

from kiosk.widgets import theme


class ServiceTile(ButtonBehavior, BoxLayout):
    """A home-menu service: its name and one line that says what is inside (or when it opens)."""

    service = StringProperty("")
    title = StringProperty("")
    subtitle = StringProperty("")


class Choice(ButtonBehavior, BoxLayout):
    """One of several answers to a question on the screen. `selected` marks the one taken; a disabled
    choice (a full time slot) is still shown, greyed, so the citizen sees why it cannot be taken."""

    title = StringProperty("")
    subtitle = StringProperty("")
    selected = BooleanProperty(False)
    # Sizes before the citizen's large-text choice.
    title_size = NumericProperty(theme.BODY)
    subtitle_size = NumericProperty(theme.SMALL - 4)
    align = OptionProperty("left", options=["left", "center"])
    min_height = NumericProperty(136)


Builder.load_string(
    """
#:import theme kiosk.widgets.theme

<ServiceTile>:
    orientation: "vertical"
    size_hint_y: None
    height: dp(236) if app.text_scale == 1 else dp(250)
    padding: dp(30), dp(20)
    spacing: dp(6)
    canvas.before:
        Color:
            rgba: theme.DIVIDER if self.disabled else (theme.PRIMARY_PRESSED if self.state == "down" else theme.PRIMARY)
        RoundedRectangle:
            pos: self.pos
            size: self.size
            radius: [dp(28)]
    Widget:
    Label:
        text: root.title
        bold: True
        font_size: sp(44) * app.text_scale
        color: theme.MUTED if root.disabled else theme.ON_PRIMARY
        disabled_color: theme.MUTED
        text_size: self.width, None
        size_hint_y: None
        height: self.texture_size[1]
        halign: "left"
    Label:
        text: root.subtitle
        font_size: sp(27) * app.text_scale
        color: theme.TEXT if root.disabled else (1, 1, 1, 0.88)
        disabled_color: theme.TEXT
        text_size: self.width, None
        size_hint_y: None
        height: self.texture_size[1]
        halign: "left"
    Widget:

<Choice>:
    orientation: "vertical"
    size_hint_y: None
    height: max(dp(root.min_height), title_label.texture_size[1] + (subtitle_label.texture_size[1] if root.subtitle else 0) + dp(44))
    padding: dp(28), dp(18)
    canvas.before:
        Color:
            rgba: theme.BACKGROUND if self.disabled else (theme.PRIMARY if self.selected else (theme.DIVIDER if self.state == "down" else theme.SURFACE))
        RoundedRectangle:
            pos: self.pos
            size: self.size
            radius: [dp(22)]
    canvas.after:
        Color:
            rgba: theme.DIVIDER if self.disabled else theme.PRIMARY
        Line:
            rounded_rectangle: (self.x + dp(1), self.y + dp(1), self.width - dp(2), self.height - dp(2), dp(22))
            width: dp(2)
    Label:
        id: title_label
        text: root.title
        bold: True
        font_size: sp(root.title_size) * app.text_scale
        color: theme.ON_PRIMARY if root.selected else theme.PRIMARY
        disabled_color: theme.MUTED
        text_size: self.width, None
        halign: root.align
        valign: "middle"
    Label:
        id: subtitle_label
        text: root.subtitle
        font_size: sp(root.subtitle_size) * app.text_scale
        color: (1, 1, 1, 0.9) if root.selected else theme.MUTED
        disabled_color: theme.MUTED
        text_size: self.width, None
        size_hint_y: None
        height: self.texture_size[1] if root.subtitle else 0
        opacity: 1 if root.subtitle else 0
        halign: root.align
        valign: "middle"
"""
)
