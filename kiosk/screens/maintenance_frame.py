"""What every maintenance screen shares: the dark staff bar (who is signed in, when the session ends, the
language), the row of sections, a scrolling body, and "exit maintenance". A maintenance screen puts its
own widgets in the frame (`MaintenanceFrame` sends its kv children to the body) and runs its actions
through `MaintenanceScreen.run`, which keeps them off the UI thread and takes staff back to the attract
screen when their session has ended.

The bar is dark, not the citizens' blue, so that nobody mistakes a maintenance screen for a citizen's.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from kivy.factory import Factory
from kivy.lang import Builder
from kivy.properties import BooleanProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout

import kiosk.widgets.flow  # noqa: F401  (FlowScroll)
from kiosk.i18n import N_
from kiosk.screens import MAINTENANCE_SECTIONS
from kiosk.screens.base import KioskScreen
from kiosk.services.policy import CENTRE_TIME
from kiosk.services.staff import StaffNotSignedIn

log = logging.getLogger(__name__)

_OWN_PARTS = 4
FAILED = N_("That did not work ({what}). Try again; if it keeps failing, restart the app.")


def local_time(moment: datetime, pattern: str = "%Y-%m-%d %H:%M") -> str:
    """The hall's wall-clock time (the centre's time zone), as staff read it on their watch."""
    return moment.astimezone(CENTRE_TIME).strftime(pattern)


class MaintenanceFrame(BoxLayout):
    """The shared layout; children given to it in kv go into its scrolling body."""

    section = StringProperty("")

    def on_kv_post(self, _base_widget: Any) -> None:
        for target, label in MAINTENANCE_SECTIONS:
            button = Factory.SectionButton()
            # A kv dynamic class takes its properties once its rule is applied, not as keyword arguments.
            button.target, button.label = target, label
            self.bind(section=lambda _frame, section, b=button: setattr(b, "current", section == b.target))
            button.current = self.section == target
            self.ids.sections.add_widget(button)

    def add_widget(self, widget: Any, *args: Any, **kwargs: Any) -> None:
        # The frame's own rule adds its parts first (bar, sections, body, exit); kv applies the rules of a
        # nested widget in an order that gives no other sign of when they are all in.
        if len(self.children) < _OWN_PARTS:
            super().add_widget(widget, *args, **kwargs)
        else:
            self.ids.body.add_widget(widget, *args, **kwargs)


class MaintenanceScreen(KioskScreen):
    busy = BooleanProperty(False)
    message = StringProperty("")  # a message id, shown translated
    message_args = StringProperty("")  # the {what} of FAILED

    def run(self, fn: Callable[..., Any], *args: Any, on_result: Callable[[Any], None]) -> None:
        """Run a blocking maintenance action on a worker and hand its result to `on_result` on the UI
        thread. A session that has ended takes staff back to the attract screen; any other failure is one
        sentence on the screen (the log has the rest)."""
        self.busy = True

        def done(result: Any) -> None:
            self.busy = False
            on_result(result)

        def failed(error: BaseException) -> None:
            self.busy = False
            if isinstance(error, StaffNotSignedIn):
                self.app.leave_maintenance()
                return
            log.error("maintenance action %s failed: %s", getattr(fn, "__name__", fn), error)
            self.message_args = type(error).__name__
            self.message = FAILED

        self.message = ""
        self.app.background(fn, *args, on_result=done, on_error=failed)

    def shown_message(self) -> str:
        if not self.message:
            return ""
        text = self.app.t(self.message)
        return text.format(what=self.message_args) if "{what}" in text else text

    def wipe(self) -> None:
        self.message = ""
        self.busy = False


Builder.load_string(
    """
#:import theme kiosk.widgets.theme

<StaffBarLabel@Label>:
    color: theme.ON_PRIMARY
    font_size: sp(32)
    halign: "left"
    valign: "middle"
    text_size: self.size

<SectionButton@SecondaryButton>:
    target: ""
    current: False
    fill: theme.PRIMARY if self.current else theme.SURFACE
    color: theme.ON_PRIMARY if self.current else theme.PRIMARY
    text: app.t(self.label, app.locale) if self.label else ""
    label: ""
    on_release: app.go(self.target)
    size_hint_y: None
    height: dp(112)
    base_font_size: sp(34)
    scales: False
    radius: 16

# The dark band at the top of every staff screen, and its language switch.
<StaffBar@BoxLayout>:
    size_hint_y: None
    height: dp(130)
    padding: dp(36), dp(18)
    spacing: dp(24)
    canvas.before:
        Color:
            rgba: theme.TEXT
        Rectangle:
            pos: self.pos
            size: self.size

<StaffLanguageButton@SecondaryButton>:
    size_hint: None, None
    width: dp(200)
    height: dp(90)
    pos_hint: {"center_y": 0.5}
    base_font_size: sp(34)
    scales: False
    radius: 45
    text: "English" if app.locale == "zh_CN" else "中文"
    on_release: app.toggle_locale()

<MaintenanceFrame>:
    orientation: "vertical"
    StaffBar:
        BoxLayout:
            orientation: "vertical"
            StaffBarLabel:
                bold: True
                font_size: sp(40)
                text: app.t("Maintenance mode", app.locale) + "  ·  " + app.t("Staff {id}", app.locale).format(id=app.staff_id)
            StaffBarLabel:
                color: 1, 1, 1, 0.8
                text: app.t("Ends by itself after {time} without a touch", app.locale).format(time="{}:{:02d}".format(int(app.staff_left_s) // 60, int(app.staff_left_s) % 60))
        StaffLanguageButton:
    GridLayout:
        id: sections
        cols: 3
        size_hint_y: None
        height: self.minimum_height
        padding: dp(24), dp(20)
        spacing: dp(16)
        canvas.before:
            Color:
                rgba: theme.SURFACE
            Rectangle:
                pos: self.pos
                size: self.size
    FlowScroll:
        BoxLayout:
            id: body
            orientation: "vertical"
            size_hint_y: None
            height: self.minimum_height
            padding: dp(40), dp(32)
            spacing: dp(24)
    BoxLayout:
        size_hint_y: None
        height: dp(150)
        padding: dp(40), dp(18)
        canvas.before:
            Color:
                rgba: theme.SURFACE
            Rectangle:
                pos: self.pos
                size: self.size
        SecondaryButton:
            height: dp(114)
            base_font_size: sp(40)
            scales: False
            text: app.t("Exit maintenance mode", app.locale)
            on_release: app.leave_maintenance()

# A row of a status list: what, on the left; its value, on the right, in red when something is wrong.
<StatusRow@BoxLayout>:
    label: ""
    value: ""
    ok: True
    size_hint_y: None
    height: max(value_label.texture_size[1], name_label.texture_size[1], dp(56))
    spacing: dp(24)
    Label:
        id: name_label
        text: root.label
        color: theme.MUTED
        font_size: sp(32)
        size_hint_x: 0.38
        text_size: self.width, None
        size_hint_y: None
        height: self.texture_size[1]
        pos_hint: {"top": 1}
        halign: "left"
        valign: "top"
    Label:
        id: value_label
        text: root.value
        color: theme.TEXT if root.ok else theme.ERROR
        bold: not root.ok
        font_size: sp(32)
        text_size: self.width, None
        size_hint_y: None
        height: self.texture_size[1]
        pos_hint: {"top": 1}
        halign: "left"
        valign: "top"

# A heading inside the body.
<SectionTitle@KText>:
    bold: True
    color: theme.PRIMARY
    font_size: sp(40)

# The screen's one message: what just happened, or what went wrong.
<MaintenanceMessage@KText>:
    screen: None
    bold: True
    color: theme.MUTED if (self.screen and self.screen.busy) else theme.WARNING
    text: self.screen.shown_message() if (self.screen and self.screen.message and app.locale) else ""
    height: self.texture_size[1] if self.text else 0
"""
)
