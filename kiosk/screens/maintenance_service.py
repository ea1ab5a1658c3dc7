"""Out of service and restart.

Out of service: staff take the kiosk out of service with a reason (citizens then see 暂停服务 until staff
put it back, across restarts) and put it back. Restart: the app stops cleanly and the service manager
starts it again; asked twice, because it ends the session and leaves the kiosk dark for half a minute.
"""

from __future__ import annotations

from concurrent.futures import Future
from typing import Any

from kivy.factory import Factory
from kivy.lang import Builder
from kivy.properties import BooleanProperty, ObjectProperty, StringProperty

from kiosk.i18n import N_
from kiosk.screens.maintenance_frame import MaintenanceScreen, local_time
from kiosk.services.service_state import REASONS, ServiceStatus

REASON_NAMES = {
    "device_fault": N_("Device fault"),
    "paper": N_("Out of paper"),
    "maintenance": N_("Under maintenance"),
    "network": N_("Network fault"),
    "other": N_("Other"),
}
TAKEN_OUT = N_(
    "Citizens now see the out-of-service screen. It stays until you put the kiosk back in service, "
    "also after a restart."
)
PUT_BACK = N_("The kiosk is in service again: citizens can use it.")



class MaintenanceServiceScreen(MaintenanceScreen):
    status = ObjectProperty(ServiceStatus())
    # kv does not see a change of a plain dataclass's field through `root.status.in_service`.
    in_service = BooleanProperty(True)
    reason = StringProperty("")  # the reason staff chose; "" until they choose one
    done = StringProperty("")  # the sentence for what staff just did (a message id)
    REASON_NAMES = REASON_NAMES

    def on_kv_post(self, _base_widget: Any) -> None:
        for reason in REASONS:
            button = Factory.ReasonButton()
            button.reason, button.name = reason, REASON_NAMES[reason]
            self.bind(reason=lambda _screen, chosen, b=button: setattr(b, "selected", chosen == b.reason))
            button.bind(on_release=lambda b: self.choose(b.reason))
            self.ids.reasons.add_widget(button)

    def prepare(self, **params: Any) -> None:
        self.message = ""
        self.done = ""
        self.reason = ""
        self.status = self.app.runtime.maintenance.service_state.status

    def on_status(self, _screen: Any, status: ServiceStatus) -> None:
        self.in_service = status.in_service

    def choose(self, reason: str) -> None:
        self.reason = reason

    def take_out(self) -> None:
        if not self.reason:
            return
        self.done = ""
        self.run(self.app.runtime.maintenance.take_out_of_service, self.reason, on_result=self._taken_out)

    def _taken_out(self, status: ServiceStatus) -> None:
        self.status = status
        self.reason = ""
        self.done = TAKEN_OUT

    def put_back(self) -> None:
        self.done = ""
        self.run(self.app.runtime.maintenance.put_in_service, on_result=self._put_back)

    def _put_back(self, status: ServiceStatus) -> None:
        self.status = status
        self.done = PUT_BACK

    def reason_text(self, status: ServiceStatus, locale: str) -> str:
        if status.reason is None:
            return "-"
        name = REASON_NAMES.get(status.reason)
        return self.app.t(name, locale) if name else status.reason

    def staff_text(self, status: ServiceStatus, locale: str) -> str:
        return self.app.t("Staff {id}", locale).format(id=status.staff_id) if status.staff_id else "-"

    def since_text(self, status: ServiceStatus) -> str:
        return local_time(status.since) if status.since else "-"

    def wipe(self) -> None:
        super().wipe()
        self.status = ServiceStatus()
        self.reason = ""
        self.done = ""


class MaintenanceRestartScreen(MaintenanceScreen):
    confirming = BooleanProperty(False)  # "Restart now?" is on the screen
    restarting = BooleanProperty(False)  # the stop has begun: the app exits by itself when it ends

    def prepare(self, **params: Any) -> None:
        self.message = ""
        self.confirming = False

    def ask(self) -> None:
        self.message = ""
        self.confirming = True

    def cancel(self) -> None:
        self.confirming = False

    def restart(self) -> None:
        self.run(self.app.runtime.maintenance.restart, on_result=self._restarting)

    def _restarting(self, _stopping: Future[Any]) -> None:
        # The app's exit listener waits for the stop itself; this screen only says what is happening.
        self.confirming = False
        self.restarting = True

    def wipe(self) -> None:
        super().wipe()
        self.confirming = False


Builder.load_string(
    """
#:import theme kiosk.widgets.theme

<ReasonButton@SecondaryButton>:
    reason: ""
    name: ""
    selected: False
    height: dp(120)
    base_font_size: sp(38)
    scales: False
    radius: 16
    fill: theme.PRIMARY if self.selected else theme.SURFACE
    color: theme.ON_PRIMARY if self.selected else theme.PRIMARY
    text: app.t(self.name, app.locale) if self.name else ""

<MaintenanceServiceScreen>:
    MaintenanceFrame:
        section: "maintenance_service"
        SectionTitle:
            text: app.t("Out of service", app.locale)
        Card:
            padding: dp(36)
            spacing: dp(16)
            canvas.before:
                Color:
                    rgba: theme.SURFACE if root.in_service else theme.WARNING_SURFACE
                RoundedRectangle:
                    pos: self.pos
                    size: self.size
                    radius: [dp(28)]
            KText:
                bold: True
                font_size: sp(theme.HEADLINE)
                color: theme.MONEY if root.in_service else theme.WARNING
                text: app.t("In service", app.locale) if root.in_service else app.t("Out of service now", app.locale)
            KText:
                text: app.t("Citizens can use the kiosk.", app.locale) if root.in_service else ""
                height: self.texture_size[1] if self.text else 0
            BoxLayout:
                orientation: "vertical"
                size_hint_y: None
                height: 0 if root.in_service else self.minimum_height
                opacity: 0 if root.in_service else 1
                spacing: dp(12)
                StatusRow:
                    label: app.t("Reason given", app.locale)
                    value: root.reason_text(root.status, app.locale)
                StatusRow:
                    label: app.t("Since", app.locale)
                    value: root.since_text(root.status)
                StatusRow:
                    label: app.t("Taken out by", app.locale)
                    value: root.staff_text(root.status, app.locale)
        KText:
            bold: True
            color: theme.MONEY if root.in_service else theme.WARNING
            text: app.t(root.done, app.locale) if root.done else ""
            height: self.texture_size[1] if self.text else 0
        MaintenanceMessage:
            screen: root
        # In service: why it goes out, then the button.
        BoxLayout:
            orientation: "vertical"
            size_hint_y: None
            height: self.minimum_height if root.in_service else 0
            opacity: 1 if root.in_service else 0
            disabled: not root.in_service or root.busy
            spacing: dp(20)
            KText:
                text: app.t("Why does it go out of service?", app.locale)
            GridLayout:
                id: reasons
                cols: 2
                size_hint_y: None
                height: self.minimum_height
                spacing: dp(16)
            KioskButton:
                height: dp(130)
                base_font_size: sp(44)
                scales: False
                fill: theme.WARNING
                disabled: not root.reason or root.busy
                text: app.t("Take out of service", app.locale)
                on_release: root.take_out()
        # Out of service: the way back.
        KioskButton:
            height: 0 if root.in_service else dp(130)
            opacity: 0 if root.in_service else 1
            disabled: root.in_service or root.busy
            base_font_size: sp(44)
            scales: False
            text: app.t("Put back in service", app.locale)
            on_release: root.put_back()

<MaintenanceRestartScreen>:
    MaintenanceFrame:
        section: "maintenance_restart"
        disabled: root.restarting
        SectionTitle:
            text: app.t("Restart", app.locale)
        Card:
            padding: dp(36)
            KText:
                disabled_color: self.color
                text: app.t("The kiosk app stops cleanly (the outbox is kept) and starts again by itself in about half a minute. Your maintenance session ends.", app.locale)
        MaintenanceMessage:
            screen: root
        KText:
            bold: True
            halign: "center"
            font_size: sp(theme.HEADLINE)
            color: theme.WARNING if root.confirming else theme.PRIMARY
            disabled_color: self.color
            text: app.t("Restarting…", app.locale) if root.restarting else (app.t("Restart now?", app.locale) if root.confirming else "")
            height: self.texture_size[1] if self.text else 0
        KioskButton:
            height: 0 if (root.confirming or root.restarting) else dp(130)
            opacity: 0 if (root.confirming or root.restarting) else 1
            disabled: root.confirming or root.restarting or root.busy
            base_font_size: sp(44)
            scales: False
            text: app.t("Restart the app", app.locale)
            on_release: root.ask()
        BoxLayout:
            size_hint_y: None
            height: dp(130) if root.confirming else 0
            opacity: 1 if root.confirming else 0
            disabled: not root.confirming or root.busy or root.restarting
            spacing: dp(24)
            SecondaryButton:
                height: dp(130)
                base_font_size: sp(44)
                scales: False
                text: app.t("Cancel", app.locale)
                on_release: root.cancel()
            KioskButton:
                height: dp(130)
                base_font_size: sp(44)
                scales: False
                fill: theme.WARNING
                text: app.t("Restart now", app.locale)
                on_release: root.restart()
"""
)
