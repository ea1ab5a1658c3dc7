"""What the outbox and its forwarder tell the rest of the kiosk (the UI, the heartbeat).

Listeners are called on the thread that caused the event (the caller of enqueue, or the forwarder); a UI
moves them onto its own thread. A failing listener is logged and never stops the outbox.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from kiosk.offline_queue.bounds import Level

log = logging.getLogger(__name__)


class Connectivity(StrEnum):
    ONLINE = "online"
    # The centre answered with errors, or one try went unanswered.
    DEGRADED = "degraded"
    OFFLINE = "offline"


@dataclass(frozen=True)
class ConnectivityChanged:
    state: Connectivity
    last_success_at: datetime | None


@dataclass(frozen=True)
class BacklogChanged:
    level: Level
    # The bound nearest its limit: "rows", "bytes" or "age"; None at Level.OK.
    bound: str | None
    ratio: float


OutboxEvent = ConnectivityChanged | BacklogChanged
Listener = Callable[[OutboxEvent], None]


class Publisher:
    def __init__(self) -> None:
        self._listeners: list[Listener] = []
        self._lock = threading.Lock()

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Add a listener; returns the function that removes it."""
        with self._lock:
            self._listeners.append(listener)
        return lambda: self._remove(listener)

    def _remove(self, listener: Listener) -> None:
        with self._lock:
            self._listeners.remove(listener)

    def publish(self, event: OutboxEvent) -> None:
        with self._lock:
            listeners = list(self._listeners)
        for listener in listeners:
            try:
                listener(event)
            except Exception:
                log.exception("outbox event listener failed on %s", type(event).__name__)
