"""Whether the kiosk serves citizens: staff take it out of service with a reason and put it back.

The state lives in the data dir (mode 0600, written atomically), so a kiosk taken out of service stays out
after a restart or a power cut until staff put it back. Listeners hear each change (the attract screen
shows 暂停服务 with the nearest alternatives from the configuration); the heartbeat carries it, and while
out of service `VisitFlow` begins no visit.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from kiosk.services.state_file import read_record, write_private

log = logging.getLogger(__name__)

FILE_NAME = "service_state.json"
REASONS = ("device_fault", "paper", "maintenance", "network", "other")


@dataclass(frozen=True)
class ServiceStatus:
    in_service: bool = True
    reason: str | None = None  # one of REASONS while out of service
    since: datetime | None = None
    staff_id: str | None = None  # who took it out


class ServiceState:
    """Thread-safe. Listeners are called on the caller's thread, after the state is on disk; a listener
    that raises is logged and the others still hear the change."""

    def __init__(self, data_dir: Path) -> None:
        self._path = data_dir / FILE_NAME
        self._lock = threading.Lock()
        self._listeners: list[Callable[[ServiceStatus], None]] = []
        self._status = self._load()

    @property
    def status(self) -> ServiceStatus:
        with self._lock:
            return self._status

    @property
    def in_service(self) -> bool:
        return self.status.in_service

    def listen(self, listener: Callable[[ServiceStatus], None]) -> None:
        with self._lock:
            self._listeners.append(listener)

    def take_out(self, reason: str, staff_id: str, now: datetime) -> ServiceStatus:
        """Out of service for `reason` (one of REASONS; ValueError otherwise). Blocking (disk: one fsync):
        call from a worker. Raises OSError when it cannot be kept; the state is then unchanged."""
        if reason not in REASONS:
            raise ValueError(f"unknown out-of-service reason {reason!r}; one of {', '.join(REASONS)}")
        return self._set(ServiceStatus(False, reason, now, staff_id))

    def put_back(self) -> ServiceStatus:
        """In service again. Blocking (disk): call from a worker."""
        return self._set(ServiceStatus())

    def heartbeat_fields(self) -> dict[str, object]:
        status = self.status
        return {
            "in_service": status.in_service,
            "out_of_service_reason": status.reason,
            "out_of_service_since": status.since.isoformat() if status.since else None,
        }

    def _set(self, status: ServiceStatus) -> ServiceStatus:
        with self._lock:
            write_private(
                self._path,
                {
                    "in_service": status.in_service,
                    "reason": status.reason,
                    "since": status.since.isoformat() if status.since else None,
                    "staff_id": status.staff_id,
                },
            )
            self._status = status
            listeners = list(self._listeners)
        for listener in listeners:
            try:
                listener(status)
            except Exception:
                log.exception("a service state listener raised")
        return status

    def _load(self) -> ServiceStatus:
        record = read_record(self._path)
        if record is None or record.get("in_service", True) is not False:
            return ServiceStatus()
        reason = record.get("reason")
        try:
            since = datetime.fromisoformat(record["since"]) if record.get("since") else None
        except (TypeError, ValueError):
            since = None
        staff_id = record.get("staff_id")
        # Out of service stays out even when a field is damaged: serving citizens on a kiosk staff took out
        # would be the worse mistake.
        return ServiceStatus(
            False,
            reason if reason in REASONS else "other",
            since,
            staff_id if isinstance(staff_id, str) else None,
        )
