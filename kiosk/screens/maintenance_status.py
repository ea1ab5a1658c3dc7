"""Status at a glance: the snapshot of the devices, paper, centre, outbox, configuration, service state and
machine (kiosk/services/maintenance_status.py), one group a card, anything wrong in red."""

from __future__ import annotations

from typing import Any

from kivy.app import App
from kivy.factory import Factory
from kivy.lang import Builder
from kivy.properties import ObjectProperty
from kivy.uix.widget import Widget

from kiosk.i18n import N_
from kiosk.screens.maintenance_frame import MaintenanceScreen, local_time
from kiosk.screens.maintenance_service import REASON_NAMES
from kiosk.services.maintenance_status import DeviceStatus, MaintenanceSnapshot

# Shared with the device tests screen: the names the settings give the devices.
DEVICE_NAMES = {
    "idcard": N_("ID card reader"),
    "bankcard": N_("Bank card reader"),
    "printer": N_("Printer"),
}
# kiosk.devices.base.DeviceState values.
_DEVICE_STATES = {
    "closed": N_("Not opened"),
    "idle": N_("Ready"),
    "busy": N_("In use"),
    "error": N_("Fault"),
    "offline": N_("Not answering"),
    "no_device": N_("Not connected"),
}
# kiosk.devices.printer.status.Paper values.
_PAPER = {
    "ok": N_("Paper in"),
    "near_end": N_("Nearly out of paper"),
    "out": N_("Out of paper"),
    "unknown": N_("Unknown"),
}
_CONNECTIVITY = {
    "online": N_("Online"),
    "degraded": N_("Unstable"),
    "offline": N_("Offline"),
}
_CONFIG_OUTCOMES = {
    "applied": N_("Applied"),
    "deferred": N_("Deferred"),
    "refused": N_("Refused"),
    "rolled_back": N_("Rolled back"),
    "healthy": N_("Running well"),
}
_SKEW_LIMIT_S = 60  # beyond this, signatures and time-stamped records the centre checks may be refused
_DISK_LOW_BYTES = 1_000_000_000  # the outbox and logs need room while the centre is out of reach
_GB = 1_000_000_000


def status_row(label: str, value: str, ok: bool = True) -> Widget:
    row = Factory.StatusRow()
    # A kv dynamic class gets its properties only once its rule is applied, so not as constructor kwargs.
    row.label, row.value, row.ok = label, value, ok
    return row


def words(table: dict[str, str], value: str) -> str:
    """A translated word for a known value; an unknown value as it is (a newer driver's, say)."""
    message = table.get(value)
    return App.get_running_app().t(message) if message else value


class MaintenanceStatusScreen(MaintenanceScreen):
    snapshot = ObjectProperty(None, allownone=True)  # the MaintenanceSnapshot shown

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.app.bind(locale=lambda *_args: self.render())

    def prepare(self, **params: Any) -> None:
        self.snapshot = None
        self.render()
        self.refresh()

    def refresh(self) -> None:
        if not self.busy:
            self.run(self.app.runtime.maintenance.snapshot, on_result=self._taken)

    def _taken(self, snapshot: MaintenanceSnapshot) -> None:
        self.snapshot = snapshot
        self.render()

    def taken_text(self, snapshot: MaintenanceSnapshot | None, busy: bool, _locale: str) -> str:
        if busy:
            return self.app.t(N_("Checking…"))
        if snapshot is None:
            return ""
        return self.app.t(N_("Taken at {time}")).format(time=local_time(snapshot.taken_at, "%H:%M:%S"))

    def render(self) -> None:
        box = self.ids.groups
        box.clear_widgets()
        snapshot = self.snapshot
        if snapshot is None:
            return
        for title, rows in self._groups(snapshot):
            card = Factory.Card(padding=("40dp", "32dp"), spacing="8dp")
            card.add_widget(Factory.SectionTitle(text=self.app.t(title)))
            for label, value, ok in rows:
                card.add_widget(status_row(label, value, ok))
            box.add_widget(card)

    def _groups(self, s: MaintenanceSnapshot) -> list[tuple[str, list[tuple[str, str, bool]]]]:
        t = self.app.t
        groups = [
            (N_("Calls for staff"), self._staff_call()),
            (N_("Devices"), self._devices(s)),
            (N_("Paper"), self._paper(s)),
            (N_("Centre"), self._centre(s)),
            (N_("Outbox"), self._outbox(s)),
            (
                N_("Configuration"),
                [
                    (t(N_("Version")), str(s.config.version), True),
                    self._config_outcome(s),
                ],
            ),
            (N_("Service"), self._service(s)),
            (
                N_("Machine"),
                [
                    (
                        t(N_("Disk free")),
                        t(N_("{gb} GB")).format(gb=f"{s.disk_free_bytes / _GB:.1f}"),
                        s.disk_free_bytes >= _DISK_LOW_BYTES,
                    ),
                    (
                        t(N_("Running for")),
                        t(N_("{hours}:{minutes} (h:mm)")).format(
                            hours=s.uptime_s // 3600, minutes=f"{s.uptime_s % 3600 // 60:02d}"
                        ),
                        True,
                    ),
                    (t(N_("Software")), s.software_version, True),
                ],
            ),
        ]
        if s.problems:
            groups.append((N_("Parts that did not start"), [_problem_row(p) for p in s.problems]))
        return groups

    def _staff_call(self) -> list[tuple[str, str, bool]]:
        """A citizen's call for staff from this kiosk (the header's button), while it may still be open."""
        t = self.app.t
        call = self.app.runtime.staff_calls.open_call()
        if call is None:
            return [(t(N_("Open call")), t(N_("None")), True)]
        return [
            (
                t(N_("Open call")),
                t(N_("A citizen called for staff at {time} from the {screen} screen")).format(
                    time=local_time(call.first_at, "%H:%M"), screen=call.screen
                ),
                False,
            ),
            (
                t(N_("At the centre")),
                t(
                    N_("Request {id}, {taps} taps; someone is on the way")
                    if call.acknowledged
                    else N_("Request {id}, {taps} taps; not yet answered in the console")
                ).format(id=call.request_id, taps=call.taps),
                call.acknowledged,
            ),
        ]

    def _devices(self, s: MaintenanceSnapshot) -> list[tuple[str, str, bool]]:
        if not s.devices:
            return [(self.app.t(N_("Devices")), self.app.t(N_("None in the settings")), False)]
        return [
            (words(DEVICE_NAMES, d.name), f"{words(_DEVICE_STATES, d.state)} · {_health_reason(d)}", d.ok)
            for d in s.devices
        ]

    def _paper(self, s: MaintenanceSnapshot) -> list[tuple[str, str, bool]]:
        t = self.app.t
        if s.printer_paper is None:
            return [(t(N_("Printer")), t(N_("None in the settings")), True)]
        sensor = s.printer_paper.value
        rows = [(t(N_("Paper sensor")), words(_PAPER, sensor), sensor not in ("near_end", "out"))]
        estimate = s.paper
        if estimate is None:
            rows.append((t(N_("Left on the roll")), t(N_("Not counted")), True))
            return rows
        rows.append(
            (
                t(N_("Left on the roll")),
                t(N_("About {metres} m (used {used} m)")).format(
                    metres=f"{estimate.remaining_m:.1f}", used=f"{estimate.used_m:.1f}"
                ),
                not estimate.low,
            )
        )
        if estimate.low:
            rows.append((t(N_("Warning")), t(N_("Paper is low: put in a new roll soon.")), False))
        replaced = local_time(estimate.replaced_at) if estimate.replaced_at else t(N_("Not recorded yet"))
        rows.append((t(N_("New roll put in")), replaced, True))
        return rows

    def _centre(self, s: MaintenanceSnapshot) -> list[tuple[str, str, bool]]:
        t = self.app.t
        c = s.centre
        if c.clock_skew_s is None:
            skew, skew_ok = t(N_("Unknown")), True
        else:
            skew_ok = abs(c.clock_skew_s) <= _SKEW_LIMIT_S
            skew = t(
                N_("{seconds} s") if skew_ok else N_("{seconds} s: over a minute, check the kiosk's clock")
            )
            skew = skew.format(seconds=f"{c.clock_skew_s:+.1f}")
        return [
            (t(N_("Reachable")), t(N_("Yes") if c.reachable else N_("No")), c.reachable),
            (t(N_("Connection")), words(_CONNECTIVITY, c.connectivity), c.connectivity == "online"),
            (t(N_("Clock difference")), skew, skew_ok),
            (
                t(N_("Terminal login")),
                t(N_("Working") if c.terminal_login else N_("Not working")),
                c.terminal_login,
            ),
            (t(N_("Last error")), c.last_error or t(N_("None")), c.last_error is None),
        ]

    def _outbox(self, s: MaintenanceSnapshot) -> list[tuple[str, str, bool]]:
        t = self.app.t
        o = s.outbox
        if not o.open:
            return [(t(N_("Outbox")), t(N_("Not started")), False)]
        oldest = (
            "—" if o.oldest_age_s is None else t(N_("{minutes} min")).format(minutes=o.oldest_age_s // 60)
        )
        return [
            (t(N_("Waiting to send")), str(o.pending), True),
            (t(N_("Oldest waiting")), oldest, True),
            (t(N_("Failed to send")), str(o.dead), o.dead == 0),
        ]

    def _config_outcome(self, s: MaintenanceSnapshot) -> tuple[str, str, bool]:
        t = self.app.t
        outcome = s.config.last_outcome
        if outcome is None:
            return (t(N_("Last change")), t(N_("None yet")), True)
        text = words(_CONFIG_OUTCOMES, outcome)
        if s.config.last_reason:
            text = f"{text} ({s.config.last_reason})"
        return (t(N_("Last change")), text, outcome not in ("refused", "rolled_back"))

    def _service(self, s: MaintenanceSnapshot) -> list[tuple[str, str, bool]]:
        t = self.app.t
        status = s.service
        if status.in_service:
            return [(t(N_("Citizens")), t(N_("In service")), True)]
        reason = words(REASON_NAMES, status.reason or "other")
        rows = [(t(N_("Citizens")), t(N_("Out of service: {reason}")).format(reason=reason), False)]
        if status.since is not None:
            since = local_time(status.since)
            if status.staff_id:
                since = t(N_("{time} (staff {id})")).format(time=since, id=status.staff_id)
            rows.append((t(N_("Since")), since, True))
        return rows

    def wipe(self) -> None:
        super().wipe()
        self.snapshot = None
        self.ids.groups.clear_widgets()


def _health_reason(device: DeviceStatus) -> str:
    """The driver's reason for its state, out of its health text ("<name>: <state> (<reason>); <counters>"):
    the name is the port's long URL and the counters are on the device tests screen. Text in any other
    form (an exception's name) is shown whole."""
    marker = f": {device.state} ("
    head = device.health.rsplit("); ", 1)[0]
    if marker not in head:
        return device.health
    return head.split(marker, 1)[1]


def _problem_row(problem: str) -> tuple[str, str, bool]:
    part, _, reason = problem.partition(": ")
    return (part, reason, False)


Builder.load_string(
    """
#:import theme kiosk.widgets.theme

<MaintenanceStatusScreen>:
    MaintenanceFrame:
        section: "maintenance_status"
        BoxLayout:
            size_hint_y: None
            height: dp(114)
            spacing: dp(24)
            KText:
                color: theme.MUTED
                font_size: sp(34)
                size_hint_y: 1
                text_size: self.size
                valign: "middle"
                text: root.taken_text(root.snapshot, root.busy, app.locale)
            KioskButton:
                size_hint_x: None
                width: dp(300)
                height: dp(114)
                base_font_size: sp(40)
                scales: False
                disabled: root.busy
                text: app.t("Refresh", app.locale)
                on_release: root.refresh()
        MaintenanceMessage:
            screen: root
        BoxLayout:
            id: groups
            orientation: "vertical"
            size_hint_y: None
            height: self.minimum_height
            spacing: dp(24)
"""
)
