"""My applications (业务进度): what the citizen has applied for, booked and pre-registered, with the state of
each as the centre knows it; what still waits in this kiosk's outbox is marked as waiting to be sent. The
listing is the applications service's (kiosk/services/applications.py)."""

from __future__ import annotations

from typing import Any

from kivy.lang import Builder
from kivy.properties import BooleanProperty, ObjectProperty, StringProperty

from kiosk.screens.rendered import RenderedScreen
from kiosk.services.applications import KIND_NAMES, STATE_NAMES, ApplicationsView, ApplicationView
from kiosk.services.policy import CENTRE_TIME
from kiosk.widgets.flow import ListRow


class ApplicationRow(ListRow):
    kind_name = StringProperty("")
    number = StringProperty("")
    state_name = StringProperty("")
    waiting = BooleanProperty(False)  # still in this kiosk's outbox
    summary = StringProperty("")
    details = StringProperty("")  # date, amount, masked card


class ApplicationsScreen(RenderedScreen):
    loading = BooleanProperty(True)
    listing = ObjectProperty(None, allownone=True)  # ApplicationsView

    def prepare(self, **params: Any) -> None:
        self.listing = None
        self.loading = True
        self.render()
        self.app.background(
            self.app.runtime.visit.applications.listing, on_result=self._show, on_error=self._failed
        )

    def _show(self, listing: ApplicationsView) -> None:
        self.listing = listing
        self.loading = False
        self.render()

    def _failed(self, error: BaseException) -> None:
        # listing() answers without the centre too (what waits here, marked incomplete): anything it raises
        # is a bug, which Kivy's fault handler logs before it wipes the visit.
        raise error

    def render(self) -> None:
        rows = self.ids.rows
        rows.clear_widgets()
        for item in self.listing.items if self.listing else ():
            rows.add_widget(self._row(item))

    def _row(self, item: ApplicationView) -> ApplicationRow:
        t, locale = self.app.t, self.app.locale
        details = [item.created_at.astimezone(CENTRE_TIME).strftime("%Y-%m-%d %H:%M")]
        details += [text for text in (item.amount, item.card_masked) if text]
        return ApplicationRow(
            kind_name=t(KIND_NAMES.get(item.kind, item.kind)),
            number=item.number,
            state_name=t(STATE_NAMES.get(item.state, item.state)),
            waiting=item.waiting_to_send,
            summary=item.summary(locale),
            details="    ".join(details),
        )

    def wipe(self) -> None:
        self.listing = None
        self.loading = True
        self.render()


Builder.load_string(
    """
#:import theme kiosk.widgets.theme
#:import N_ kiosk.i18n.N_

<ApplicationRow>:
    orientation: "vertical"
    size_hint_y: None
    height: self.minimum_height
    padding: 0, dp(20)
    spacing: dp(8)
    KText:
        bold: True
        font_size: sp(theme.SMALL + 6) * app.text_scale
        text: root.kind_name + "  " + root.number
    # The state on a line of its own: the centre's state names run long in English.
    BoxLayout:
        size_hint_y: None
        height: state_label.texture_size[1] + dp(12)
        Label:
            id: state_label
            text: root.state_name
            bold: True
            color: theme.WARNING if root.waiting else theme.PRIMARY
            font_size: sp(theme.SMALL) * app.text_scale
            size_hint_x: None
            width: self.texture_size[0] + dp(32)
            canvas.before:
                Color:
                    rgba: theme.WARNING_SURFACE if root.waiting else theme.BACKGROUND
                RoundedRectangle:
                    pos: self.pos
                    size: self.size
                    radius: [dp(16)]
        Widget:
    KText:
        font_size: sp(theme.SMALL + 2) * app.text_scale
        text: root.summary
    KMuted:
        text: root.details

<ApplicationsScreen>:
    BoxLayout:
        orientation: "vertical"
        Header:
        BoxLayout:
            orientation: "vertical"
            padding: dp(56), dp(44)
            spacing: dp(24)
            KTitle:
                text: app.t("My applications", app.locale)
            FlowWaiting:
                shown: root.loading
            KText:
                halign: "center"
                color: theme.WARNING
                text: app.t("The centre could not be asked just now, so only what waits in this kiosk to be sent is listed.", app.locale) if root.listing and not root.listing.complete else ""
                height: self.texture_size[1] if self.text else 0
            KLead:
                text: app.t("You have no applications or appointments yet.", app.locale) if root.listing and not root.listing.items else ""
                height: self.texture_size[1] if self.text else 0
            FlowScroll:
                Card:
                    id: rows
                    spacing: 0
                    padding: dp(40), dp(8)
                    opacity: 1 if self.children else 0
            FlowFooter:
                back_text: N_("Home")
                on_back: app.go_home()
"""
)
