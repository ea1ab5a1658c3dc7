"""Buttons, cards and labels used on every screen."""

from kivy.lang import Builder
from kivy.properties import BooleanProperty, ColorProperty, NumericProperty
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.floatlayout import FloatLayout

from kiosk.widgets import theme
from kiosk.widgets.screen_label import ScreenLabel


class KioskButton(ButtonBehavior, ScreenLabel):
    """A big rounded button; the whole rectangle is the touch target (elderly fingers miss small ones)."""

    # The size before the citizen's large-text choice; set this, not font_size, on instances (a font_size
    # set on an instance would be overwritten whenever the text scale changes).
    base_font_size = NumericProperty(0)
    scales = BooleanProperty(True)  # False for controls that must keep their size (the header's)
    fill = ColorProperty(theme.PRIMARY)
    fill_pressed = ColorProperty(theme.PRIMARY_PRESSED)
    radius = NumericProperty(24)


class SecondaryButton(KioskButton):
    pass


class Card(BoxLayout):
    """A white panel with rounded corners that groups related information."""


class Overlay(FloatLayout):
    """Dims the whole screen under an OverlayCard: a question or a warning that comes before all else."""


Builder.load_string(
    """
#:import theme kiosk.widgets.theme

<KioskButton>:
    color: theme.ON_PRIMARY
    base_font_size: sp(theme.BUTTON)
    font_size: self.base_font_size * (app.text_scale if self.scales else 1)
    bold: True
    size_hint_y: None
    height: dp(150)
    halign: "center"
    valign: "middle"
    text_size: self.width - dp(32), None
    disabled_color: 1, 1, 1, 0.7
    canvas.before:
        Color:
            rgba: (self.fill_pressed if self.state == "down" else self.fill) if not self.disabled else theme.DIVIDER
        RoundedRectangle:
            pos: self.pos
            size: self.size
            radius: [dp(self.radius)]

<SecondaryButton>:
    color: theme.PRIMARY
    fill: theme.SURFACE
    fill_pressed: theme.DIVIDER
    canvas.after:
        Color:
            rgba: theme.PRIMARY
        Line:
            rounded_rectangle: (self.x + dp(2), self.y + dp(2), self.width - dp(4), self.height - dp(4), dp(self.radius))
            width: dp(2.5)

<NoticeBanner@BoxLayout>:
    # The operators' notices showing now, in the citizen's language; takes no room when there are none.
    orientation: "vertical"
    size_hint_y: None
    height: self.minimum_height
    padding: (dp(32), dp(20)) if app.notices else (0, 0)
    spacing: dp(12)
    opacity: 1 if app.notices else 0
    canvas.before:
        Color:
            rgba: theme.WARNING_SURFACE if app.notices else (0, 0, 0, 0)
        RoundedRectangle:
            pos: self.pos
            size: self.size
            radius: [dp(20)]
    Label:
        text: "\\n".join(notice.text(app.locale) for notice in app.notices)
        color: theme.WARNING
        font_size: sp(theme.SMALL + 2) * app.text_scale
        text_size: self.width, None
        size_hint_y: None
        height: self.texture_size[1] if app.notices else 0
        halign: "left"

<Card>:
    orientation: "vertical"
    padding: dp(48)
    spacing: dp(20)
    size_hint_y: None
    height: self.minimum_height
    canvas.before:
        Color:
            rgba: theme.SURFACE
        RoundedRectangle:
            pos: self.pos
            size: self.size
            radius: [dp(28)]

<Overlay>:
    canvas.before:
        Color:
            rgba: theme.SCRIM
        Rectangle:
            pos: self.pos
            size: self.size

<OverlayCard@Card>:
    size_hint_x: 0.86
    pos_hint: {"center_x": 0.5, "center_y": 0.5}

<KText@Label>:
    color: theme.TEXT
    font_size: sp(theme.BODY) * app.text_scale
    text_size: self.width, None
    size_hint_y: None
    height: self.texture_size[1]
    halign: "left"
    valign: "middle"

<KTitle@KText>:
    font_size: sp(theme.TITLE) * app.text_scale
    bold: True
    halign: "center"

<KLead@KText>:
    # The sentence under a screen's title that says what the screen is for.
    color: theme.MUTED
    halign: "center"

<KMuted@KText>:
    color: theme.MUTED
    font_size: sp(theme.SMALL) * app.text_scale
"""
)
