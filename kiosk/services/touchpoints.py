"""Touchpoint events: the steps of a visit (start, sign-in, services entered, completed or abandoned, faults,
the end) for the centre's service-quality scorecard, as `touchpoint_event` items through the outbox.

They are not transactions. Each is built on the caller's thread (cheap, in memory) and enqueued on a
worker of its own, so a slow disk never holds a tap back and nothing here ever raises into the visit. When
the outbox is not open, or its backlog has reached the warning level of its bounds, a touchpoint is dropped
with a counted log line: touchpoints stop well before the bounds that would refuse a citizen's withdrawal,
so a flood of them can never crowd one out.

A payload carries no personal data: a random per-visit `visit_id`, codes and times. When the citizen has
signed in, the item carries the visit ticket, from which the centre attaches its pseudonymous reference.
"""

from __future__ import annotations

import logging
import secrets
import string
import threading
import time
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from kiosk.services.background import Background
from kiosk.services.record_items import enqueue_if_room

if TYPE_CHECKING:
    from kiosk.offline_queue.outbox import Outbox

log = logging.getLogger(__name__)

KIND = "touchpoint_event"
CHANNEL = "kiosk"
EVENTS = frozenset(
    {
        "visit_started",
        "signed_in",
        "sign_in_failed",
        "service_entered",
        "service_completed",
        "service_abandoned",
        "device_failure",
        "network_failure",
        "idle_timeout",
        "language_changed",
        "large_text_on",
        "visit_ended",
    }
)


def new_visit_id() -> str:
    """Random per visit: it links a visit's events and nothing else. Letters only (16 of them, 75 bits):
    the centre refuses a touchpoint holding a run of digits shaped like an ID number, which hex could
    form now and then."""
    return "".join(secrets.choice(string.ascii_lowercase) for _ in range(16))


class TouchpointRecorder:
    """Records one visit at a time. Thread-safe: device and network listeners call it from their threads."""

    def __init__(
        self,
        outbox: Callable[[], Outbox | None],
        visit_ticket: Callable[[], str | None],
        now: Callable[[], datetime],
        worker: Background,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._outbox = outbox
        self._visit_ticket = visit_ticket
        self._now = now
        self._worker = worker
        self._clock = clock
        self._lock = threading.Lock()
        self._visit_id: str | None = None
        self._started_at = 0.0
        self._sequence = 0
        # The service being used and when it was entered: completion and abandonment report the duration.
        self._service: str | None = None
        self._service_at = 0.0
        self.dropped = 0

    @property
    def visit_id(self) -> str | None:
        return self._visit_id

    @property
    def service(self) -> str | None:
        return self._service

    def start(self, how: str | None = None) -> str:
        """Begin a visit unless one is being recorded; returns its visit id. `how`: `id_card` when an ID
        card began it, None when a tap did."""
        with self._lock:
            if self._visit_id is not None:
                return self._visit_id
            self._visit_id = new_visit_id()
            self._started_at = self._clock()
            self._sequence = 0
            visit_id = self._visit_id
        self.record("visit_started", detail=how)
        return visit_id

    def record(
        self,
        event: str,
        *,
        service: str | None = None,
        screen: str | None = None,
        duration_ms: int | None = None,
        detail: str | None = None,
    ) -> None:
        """Queue one event of the current visit; nothing when no visit is being recorded."""
        if event not in EVENTS:
            raise ValueError(f"unknown touchpoint event {event!r}; one of {sorted(EVENTS)}")
        ticket = self._visit_ticket()
        with self._lock:
            if self._visit_id is None:
                return
            self._sequence += 1
            key = f"tp-{self._visit_id}-{self._sequence}"
            payload: dict[str, Any] = {
                "visit_id": self._visit_id,
                "channel": CHANNEL,
                "event": event,
                "at": self._now().isoformat(),
            }
        for name, value in (("service", service), ("screen", screen), ("duration_ms", duration_ms),
                            ("detail", detail)):
            if value is not None:
                payload[name] = value
        self._worker.submit(self._enqueue, key, payload, ticket)

    def service_entered(self, service: str) -> None:
        with self._lock:
            if self._visit_id is None:
                return
            self._service, self._service_at = service, self._clock()
        self.record("service_entered", service=service)

    def service_completed(self, service: str) -> None:
        self.record("service_completed", service=service, duration_ms=self._service_time(service))
        with self._lock:
            if self._service == service:
                self._service = None

    def service_left(self, screen: str) -> None:
        """The citizen left the service in use without completing it (home, exit, idle): abandoned at
        `screen`. Nothing when no service is in use."""
        with self._lock:
            service, self._service = self._service, None
        if service is not None:
            self.record("service_abandoned", service=service, screen=screen,
                        duration_ms=self._since(self._service_at), detail=screen)

    def end(self) -> None:
        """The visit ended: its last event, with the whole visit's duration; then nothing until `start`."""
        with self._lock:
            started = self._started_at
        self.record("visit_ended", duration_ms=self._since(started))
        with self._lock:
            self._visit_id = None
            self._service = None

    def _service_time(self, service: str) -> int | None:
        with self._lock:
            entered = self._service_at if self._service == service else None
        return None if entered is None else self._since(entered)

    def _since(self, then: float) -> int:
        return max(0, round((self._clock() - then) * 1000))

    def _enqueue(self, key: str, payload: dict[str, Any], ticket: str | None) -> None:
        # On the worker. A lost touchpoint costs a scorecard figure, never a citizen's business.
        reason = enqueue_if_room(self._outbox(), KIND, payload, key, ticket)
        if reason is not None:
            self.dropped += 1
            log.warning("touchpoint %s dropped (%s); %d dropped since start", payload["event"], reason,
                        self.dropped)
