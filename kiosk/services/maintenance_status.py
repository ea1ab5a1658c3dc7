"""Status at a glance for hall staff: one snapshot of the devices, the paper, the centre, the outbox, the
configuration and the machine. Plain data, for the maintenance screen to show as it is."""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from kiosk import __version__
from kiosk.central import CentralError, CentralUnavailable
from kiosk.devices.base import HealthLevel
from kiosk.devices.printer.status import Paper

if TYPE_CHECKING:
    from kiosk.runtime import Runtime
    from kiosk.services.paper import PaperEstimate
    from kiosk.services.service_state import ServiceStatus

_HEALTH_WAIT_S = 2.0


@dataclass(frozen=True)
class DeviceStatus:
    name: str  # idcard | bankcard | printer
    state: str  # DeviceState value
    health: str  # the driver's own one-line health text
    ok: bool


@dataclass(frozen=True)
class CentreStatus:
    connectivity: str  # from the outbox forwarder: online | degraded | offline
    reachable: bool  # GET /v1/health answered just now
    clock_skew_s: float | None  # centre time minus kiosk time; None when it did not answer
    terminal_login: bool  # the centre took this kiosk's last heartbeat (so its terminal login works)
    last_error: str | None  # the fleet link's last error, for technicians


@dataclass(frozen=True)
class OutboxStatus:
    open: bool
    pending: int  # pending and being sent
    oldest_age_s: int | None
    dead: int


@dataclass(frozen=True)
class ConfigStatus:
    version: int
    last_outcome: str | None  # applied | deferred | refused | rolled_back | healthy
    last_reason: str | None


@dataclass(frozen=True)
class MaintenanceSnapshot:
    taken_at: datetime
    devices: list[DeviceStatus]
    printer_paper: Paper | None  # the printer's sensor; None without a printer
    paper: PaperEstimate | None
    centre: CentreStatus
    outbox: OutboxStatus
    config: ConfigStatus
    service: ServiceStatus
    disk_free_bytes: int
    uptime_s: int
    software_version: str
    problems: list[str]  # parts that did not start, "part: reason"


def take_snapshot(runtime: Runtime) -> MaintenanceSnapshot:
    """Blocking (a health call to the centre, each device's health, the outbox database, the disk): call
    from a worker. Takes a few seconds at most when the centre does not answer (the client's timeout)."""
    maintenance = runtime.maintenance
    printer = runtime.printing.printer if runtime.printing else None
    paper_sensor = printer.last_status.paper if printer else None
    return MaintenanceSnapshot(
        taken_at=datetime.now(UTC),
        devices=[_device(name, device) for name, device in runtime.devices.items()],
        printer_paper=paper_sensor,
        paper=maintenance.paper.estimate(paper_sensor) if maintenance.paper and paper_sensor else None,
        centre=_centre(runtime),
        outbox=_outbox(runtime),
        config=_config(runtime),
        service=maintenance.service_state.status,
        disk_free_bytes=shutil.disk_usage(runtime.settings.kiosk.data_dir).free,
        uptime_s=int(time.monotonic() - runtime.started_at),
        software_version=__version__,
        problems=[f"{p.part}: {p.reason}" for p in runtime.problems],
    )


def _device(name: str, device: object) -> DeviceStatus:
    from kiosk.devices.base import Device

    assert isinstance(device, Device)
    try:
        report = device.health(HealthLevel.INTERNAL).result(_HEALTH_WAIT_S)
        return DeviceStatus(name, device.state.value, report.text, report.ok)
    except Exception as exc:
        return DeviceStatus(name, device.state.value, type(exc).__name__, False)


def _centre(runtime: Runtime) -> CentreStatus:
    skew: float | None = None
    try:
        sent = time.time()
        health = runtime.central.health()
        received = time.time()
        skew = round(health.server_time.timestamp() - (sent + received) / 2, 1)
    except (CentralUnavailable, CentralError):
        pass
    fleet = runtime.fleet
    return CentreStatus(
        connectivity=runtime.connectivity,
        reachable=skew is not None,
        clock_skew_s=skew,
        terminal_login=fleet.last_beat_ok is not None and fleet.last_error is None,
        last_error=fleet.last_error,
    )


def _outbox(runtime: Runtime) -> OutboxStatus:
    if runtime.outbox is None:
        return OutboxStatus(False, 0, None, 0)
    from kiosk.offline_queue.states import State

    status = runtime.maintenance.outbox_status()
    if status is None:
        return OutboxStatus(True, 0, None, 0)
    oldest = status.oldest_waiting_ms
    return OutboxStatus(
        open=True,
        pending=status.counts[State.PENDING] + status.counts[State.IN_FLIGHT],
        oldest_age_s=None if oldest is None else max(0, int(time.time() - oldest / 1000)),
        dead=status.counts[State.DEAD],
    )


def _config(runtime: Runtime) -> ConfigStatus:
    outcome = runtime.fleet.last_outcome
    return ConfigStatus(
        version=runtime.remote.state.applied_version if runtime.remote else 0,
        last_outcome=outcome.outcome if outcome else None,
        last_reason=outcome.reason if outcome else None,
    )
