"""The band at the top of every screen: who serves the citizen, the time, large text (elderly mode, with
voice guidance), "呼叫工作人员 / Call staff" and the language switch; while voice guidance is on, a second
row to hear the screen again, hear one's own figures, or stop; and the notice that answers Call staff."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from kivy.clock import Clock
from kivy.lang import Builder
from kivy.properties import BooleanProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.widget import Widget

from kiosk.i18n import N_
from kiosk.services.help import HelpAnswer
from kiosk.services.policy import CENTRE_TIME
from kiosk.widgets.common import Overlay

# The answer stays this long unless the citizen taps it away; the question ("Calling staff…") at most this
# long more, in case the answer never comes (the visit ended meanwhile).
_ANSWER_SHOWN_S = 12
_WAITING_SHOWN_S = 20


class Header(BoxLayout):
    clock_text = StringProperty("")

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self._tick()
        Clock.schedule_interval(self._tick, 1)

    def _tick(self, *_args: object) -> None:
        # The centre's time, as on every slip and appointment: a kiosk whose system zone is UTC (a common
        # image default) must not show the hall another hour than its paper.
        self.clock_text = datetime.now(CENTRE_TIME).strftime("%Y-%m-%d  %H:%M")


class HelpNotice(Overlay):
    """Over the whole screen: "Calling staff…", then the centre's answer (someone is coming, or go to the
    counter). A tap anywhere closes it; so does time."""

    title = StringProperty(N_("Calling staff…"))
    body = StringProperty(N_("Please wait a moment."))
    answered = BooleanProperty(False)
    outcome = StringProperty("")  # HelpAnswer.outcome once answered
    _timer: Any = None

    @classmethod
    def show_on(cls, root: Widget) -> HelpNotice:
        """A fresh notice over `root` (one at a time: an older one is replaced)."""
        for child in list(root.children):
            if isinstance(child, HelpNotice):
                child.close()
        notice = cls()
        root.add_widget(notice)
        notice._timer = Clock.schedule_once(lambda _dt: notice.close(), _WAITING_SHOWN_S)
        return notice

    def answer(self, answer: HelpAnswer) -> None:
        self.title, self.body, self.outcome = answer.title, answer.body, answer.outcome
        self.answered = True
        if self._timer is not None:
            self._timer.cancel()
        self._timer = Clock.schedule_once(lambda _dt: self.close(), _ANSWER_SHOWN_S)

    def close(self, *_args: Any) -> None:
        if self._timer is not None:
            self._timer.cancel()
        if self.parent is not None:
            self.parent.remove_widget(self)

    def on_touch_down(self, touch: Any) -> bool:
        # Nothing under the notice gets the touch; once answered, its OK button or any other touch closes it.
        if self.answered and not super().on_touch_down(touch):
            self.close()
        return True


Builder.load_string(
    """
#:import theme kiosk.widgets.theme

<Header>:
    orientation: "vertical"
    size_hint_y: None
    # A second row, while voice guidance is on: hear the screen again, hear one's own figures, stop.
    height: dp(150) + (dp(84) if app.voice_on else 0)
    canvas.before:
        Color:
            rgba: theme.PRIMARY
        Rectangle:
            pos: self.pos
            size: self.size
    BoxLayout:
        size_hint_y: None
        height: dp(150)
        padding: dp(40), dp(20)
        spacing: dp(16)
        BoxLayout:
            orientation: "vertical"
            Label:
                text: app.t("Housing Fund Self-Service", app.locale)
                # English runs about twice as wide as Chinese for the same title.
                font_size: sp(40) if app.locale == "zh_CN" else sp(32)
                bold: True
                color: theme.ON_PRIMARY
                halign: "left"
                valign: "middle"
                text_size: self.size
                shorten: True
            Label:
                # In a service of several screens, which step this is (nobody is lost); else the clock. And a
                # quiet word when the centre cannot be reached (queries will wait).
                text: (app.t("Step {step} of {total}", app.locale).format(step=app.step[0], total=app.step[1]) if app.step[1] else root.clock_text) + ("   " + app.t("Centre offline", app.locale) if app.connectivity == "offline" else "")
                font_size: sp(30)
                color: 1, 1, 1, 0.85
                halign: "left"
                valign: "middle"
                text_size: self.size
        SecondaryButton:
            size_hint: None, None
            width: dp(140) if app.locale == "zh_CN" else dp(170)
            height: dp(96)
            pos_hint: {"center_y": 0.5}
            base_font_size: sp(36) if app.locale == "zh_CN" else sp(28)
            scales: False
            radius: 48
            text: app.t("Large text", app.locale) if app.text_scale == 1 else app.t("Normal text", app.locale)
            on_release: app.toggle_large_text()
        SecondaryButton:
            id: call_staff
            size_hint: None, None
            width: dp(236) if app.locale == "zh_CN" else dp(180)
            height: dp(96)
            pos_hint: {"center_y": 0.5}
            base_font_size: sp(32) if app.locale == "zh_CN" else sp(28)
            scales: False
            radius: 48
            text: app.t("Call staff", app.locale)
            on_release: app.call_staff()
        SecondaryButton:
            id: language
            opacity: 1 if app.english_offered else 0
            disabled: not app.english_offered
            size_hint: None, None
            width: dp(180)
            height: dp(96)
            pos_hint: {"center_y": 0.5}
            base_font_size: sp(36)
            scales: False
            radius: 48
            # The switch is labelled in the language it switches TO, so a visitor who reads only that one finds it.
            text: "English" if app.locale == "zh_CN" else "中文"
            on_release: app.toggle_locale()
    BoxLayout:
        size_hint_y: None
        height: dp(84) if app.voice_on else 0
        opacity: 1 if app.voice_on else 0
        disabled: not app.voice_on
        padding: dp(40), 0, dp(40), dp(12)
        spacing: dp(16)
        VoiceRowButton:
            id: listen_again
            text: app.t("Listen again", app.locale)
            on_release: app.repeat_prompt()
        VoiceRowButton:
            id: read_my_details
            text: app.t("Read my details", app.locale)
            on_release: app.read_my_details()
        VoiceRowButton:
            id: voice_off
            text: app.t("Voice off", app.locale)
            on_release: app.set_voice(False)

<VoiceRowButton@SecondaryButton>:
    # Kiosk buttons have a height of their own: none while the row is hidden, or they would lie, disabled
    # but still catching touches, over the buttons of the row above.
    height: dp(72) if app.voice_on else 0
    base_font_size: sp(30) if app.locale == "zh_CN" else sp(28)
    scales: False
    radius: 48

<HelpNotice>:
    OverlayCard:
        spacing: dp(32)
        KTitle:
            text: app.t(root.title, app.locale)
            color: theme.ERROR if root.outcome == "unreachable" else theme.TEXT
        KText:
            text: app.t(root.body, app.locale)
            halign: "center"
        KioskButton:
            opacity: 1 if root.answered else 0
            disabled: not root.answered
            text: app.t("OK", app.locale)
            on_release: root.close()
"""
)
