"""Staff audit events: who did what at the kiosk in maintenance mode, as `staff_audit_event` items through
the outbox, for the centre's audit trail (`GET /v1/admin/staff-audit`).

Like touchpoints, an event is built on the caller's thread and enqueued on a lane of its own, so a slow
disk never holds a tap back and nothing here raises into the caller. When the outbox is not open, or its
backlog has reached the warning level of its bounds, an event is dropped with a counted warning: room is
kept for citizens' transactions. No event carries citizen data: a staff id, an action code, an outcome
and a short target code (a device name, a reason code, a count).
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from kiosk.services.background import Background
from kiosk.services.record_items import enqueue_if_room

if TYPE_CHECKING:
    from kiosk.offline_queue.outbox import Outbox

log = logging.getLogger(__name__)

KIND = "staff_audit_event"
UNKNOWN_STAFF = "unknown"  # a failed sign-in whose staff id is not in the roster
ACTIONS = frozenset(
    {
        "sign_in",
        "sign_in_failed",
        "locked_out",
        "sign_out",
        "timed_out",
        "test_idcard",
        "test_bankcard",
        "test_printer",
        "paper_replaced",
        "outbox_retry_dead",
        "out_of_service",
        "in_service",
        "restart",
    }
)
Outcome = Literal["pass", "fail", "ok"]


class StaffAudit:
    """Thread-safe: each call only builds a small dict and hands it to the one-worker lane."""

    def __init__(
        self, outbox: Callable[[], Outbox | None], now: Callable[[], datetime], worker: Background
    ) -> None:
        self._outbox = outbox
        self._now = now
        self._worker = worker
        self.dropped = 0

    def record(
        self, staff_id: str, action: str, *, outcome: Outcome | None = None, target: str | None = None
    ) -> None:
        """Queue one event; returns at once. An unknown action is a programming error (ValueError)."""
        if action not in ACTIONS:
            raise ValueError(f"unknown staff audit action {action!r}; one of {sorted(ACTIONS)}")
        payload: dict[str, Any] = {"staff_id": staff_id, "action": action, "at": self._now().isoformat()}
        if outcome is not None:
            payload["outcome"] = outcome
        if target is not None:
            payload["target"] = target
        self._worker.submit(self._enqueue, f"staff-{secrets.token_hex(12)}", payload)

    def flush(self, timeout_s: float) -> bool:
        """Wait for the events queued so far to reach the outbox (before a restart closes it)."""
        return self._worker.drain(timeout_s)

    def _enqueue(self, key: str, payload: dict[str, Any]) -> None:
        reason = enqueue_if_room(self._outbox(), KIND, payload, key)
        if reason is not None:
            self.dropped += 1
            log.warning(
                "staff audit event %s dropped (%s); %d dropped since start",
                payload["action"],
                reason,
                self.dropped,
            )
