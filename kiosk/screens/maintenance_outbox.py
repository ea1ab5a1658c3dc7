"""Outbox: how many transactions wait to be sent to the centre, which ones the kiosk gave up on (kind, when,
why; never their content), and "send failed items again" once whatever refused them is fixed."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from kivy.app import App
from kivy.lang import Builder
from kivy.properties import BooleanProperty, ListProperty, NumericProperty, ObjectProperty
from kivy.uix.boxlayout import BoxLayout

from kiosk.i18n import N_
from kiosk.screens.maintenance_frame import MaintenanceScreen
from kiosk.services.policy import CENTRE_TIME

if TYPE_CHECKING:
    from kiosk.services.maintenance import DeadItem, Status

# The outbox's kinds (kiosk.offline_queue.kinds.KINDS) in staff's words; a kind not listed is shown as is.
KIND_NAMES = {
    "withdrawal_application": N_("Withdrawal application"),
    "appointment": N_("Appointment"),
    "pre_registration": N_("Pre-registration"),
    "rating": N_("Service rating"),
    "complaint_suggestion": N_("Complaints and suggestions"),
    "touchpoint_event": N_("Usage record"),
    "staff_audit_event": N_("Staff action record"),
}
RETRIED = N_("{count} items will be sent again.")
NOTHING_RETRIED = N_("There was nothing to send again.")
SHOWING = N_("Showing the oldest {shown} of {count}.")
NONE_WAITING = N_("none")


def size_text(size: int) -> str:
    if size < 1024 * 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size / (1024 * 1024):.1f} MB"


class DeadRow(BoxLayout):
    item = ObjectProperty(None, allownone=True)  # DeadItem

    def kind_text(self, item: DeadItem | None, locale: str) -> str:
        if item is None:
            return ""
        name = KIND_NAMES.get(item.kind)
        return App.get_running_app().t(name, locale) if name else item.kind

    def when_text(self, item: DeadItem | None) -> str:
        return when_text(item.created_at.timestamp()) if item else ""


class MaintenanceOutboxScreen(MaintenanceScreen):
    status = ObjectProperty(None, allownone=True)  # Status of kiosk.offline_queue.staff
    loaded = BooleanProperty(False)  # status was read (so None means "no outbox", not "not yet")
    dead = ListProperty([])  # DeadItem, oldest first
    retried = NumericProperty(-1)  # how many the last "send again" sent again; -1: not asked

    def prepare(self, **params: Any) -> None:
        self.retried = -1
        self.refresh()

    def refresh(self) -> None:
        # None: the kiosk has no outbox yet (nothing was ever queued), not a failure to report.
        self.run(self.app.runtime.maintenance.outbox_status, on_result=self._status_read)

    def _status_read(self, status: Status | None) -> None:
        self.status = status
        self.loaded = True
        if status is None:
            self.dead = []
            return
        self.run(self.app.runtime.maintenance.dead_items, on_result=self._dead_read)

    def _dead_read(self, items: list[DeadItem]) -> None:
        self.dead = items

    def on_dead(self, _screen: Any, items: list[DeadItem]) -> None:
        box = self.ids.dead_list
        box.clear_widgets()
        for item in items:
            box.add_widget(DeadRow(item=item))

    def retry(self) -> None:
        self.retried = -1
        self.run(self.app.runtime.maintenance.retry_dead, on_result=self._retried)

    def _retried(self, count: int) -> None:
        self.retried = count
        self.refresh()

    def count(self, status: Status | None, state: str) -> int:
        return {str(key): n for key, n in status.counts.items()}.get(state, 0) if status else 0

    def oldest_text(self, status: Status | None, locale: str) -> str:
        if status is None or status.oldest_waiting_ms is None:
            return self.app.t(NONE_WAITING, locale)
        return when_text(status.oldest_waiting_ms / 1000)

    def size_text(self, status: Status | None) -> str:
        return size_text(status.undelivered_bytes) if status else ""

    def retried_text(self, retried: int, locale: str) -> str:
        if retried < 0:
            return ""
        if retried == 0:
            return self.app.t(NOTHING_RETRIED, locale)
        return self.app.t(RETRIED, locale).format(count=retried)

    def showing_text(self, status: Status | None, dead: list[DeadItem], locale: str) -> str:
        total = self.count(status, "dead")
        if not dead or total <= len(dead):
            return ""
        return self.app.t(SHOWING, locale).format(shown=len(dead), count=total)

    def wipe(self) -> None:
        super().wipe()
        self.status = None
        self.loaded = False
        self.dead = []
        self.retried = -1


def when_text(timestamp_s: float) -> str:
    return datetime.fromtimestamp(timestamp_s, CENTRE_TIME).strftime("%Y-%m-%d %H:%M")


Builder.load_string(
    """
#:import theme kiosk.widgets.theme

<DeadRow>:
    orientation: "vertical"
    size_hint_y: None
    height: self.minimum_height
    padding: dp(28), dp(20)
    spacing: dp(8)
    canvas.before:
        Color:
            rgba: theme.SURFACE
        RoundedRectangle:
            pos: self.pos
            size: self.size
            radius: [dp(20)]
    KText:
        bold: True
        font_size: sp(34)
        text: root.kind_text(root.item, app.locale)
    StatusRow:
        label: app.t("Queued at", app.locale)
        value: root.when_text(root.item)
    StatusRow:
        label: app.t("Attempts", app.locale)
        value: str(root.item.attempts) if root.item else ""
    StatusRow:
        label: app.t("Last error", app.locale)
        value: (root.item.reason or "-") if root.item else ""
        ok: False

<MaintenanceOutboxScreen>:
    MaintenanceFrame:
        section: "maintenance_outbox"
        SectionTitle:
            text: app.t("Outbox", app.locale)
        KText:
            text: app.t("This kiosk has not queued anything for the centre yet.", app.locale) if (root.loaded and root.status is None) else ""
            height: self.texture_size[1] if self.text else 0
        Card:
            padding: dp(36)
            spacing: dp(12)
            opacity: 1 if root.status else 0
            height: self.minimum_height if root.status else 0
            StatusRow:
                label: app.t("Waiting", app.locale)
                value: str(root.count(root.status, "pending"))
            StatusRow:
                label: app.t("Sending now", app.locale)
                value: str(root.count(root.status, "in_flight"))
            StatusRow:
                label: app.t("Failed", app.locale)
                value: str(root.count(root.status, "dead"))
                ok: root.count(root.status, "dead") == 0
            StatusRow:
                label: app.t("Delivered", app.locale)
                value: str(root.count(root.status, "delivered"))
            StatusRow:
                label: app.t("Oldest waiting", app.locale)
                value: root.oldest_text(root.status, app.locale)
            StatusRow:
                label: app.t("Size not sent", app.locale)
                value: root.size_text(root.status)
        KText:
            bold: True
            color: theme.MONEY
            text: root.retried_text(root.retried, app.locale)
            height: self.texture_size[1] if self.text else 0
        MaintenanceMessage:
            screen: root
        KioskButton:
            height: dp(130)
            base_font_size: sp(44)
            scales: False
            disabled: root.busy or root.count(root.status, "dead") == 0
            text: app.t("Send failed items again", app.locale)
            on_release: root.retry()
        KMuted:
            text: app.t("Send them again only after whatever refused them is fixed (ask the centre when in doubt).", app.locale)
        SectionTitle:
            text: app.t("Failed items", app.locale)
        KText:
            color: theme.MUTED
            text: app.t("No failed items.", app.locale) if (root.loaded and not root.dead and not root.busy) else ""
            height: self.texture_size[1] if self.text else 0
        KMuted:
            text: root.showing_text(root.status, root.dead, app.locale)
            height: self.texture_size[1] if self.text else 0
        BoxLayout:
            id: dead_list
            orientation: "vertical"
            size_hint_y: None
            height: self.minimum_height
            spacing: dp(16)
"""
)
