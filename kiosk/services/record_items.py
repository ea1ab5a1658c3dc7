"""Records that are not transactions (touchpoints, staff audit events) going into the outbox: they stop
well before the backlog's bounds that would refuse a citizen's withdrawal, so a flood of them can never
crowd one out, and a lost one is counted, never raised into the caller."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kiosk.offline_queue.outbox import Outbox


def enqueue_if_room(
    outbox: Outbox | None, kind: str, payload: dict[str, Any], key: str, visit_ticket: str | None = None
) -> str | None:
    """Enqueue the record; None when it went in, else why it was dropped (for a counted log line).
    Blocking (the outbox's disk): call on a worker."""
    from kiosk.offline_queue.bounds import Level, level

    if outbox is None:
        return "the outbox is not open"
    if level(outbox.bounds, outbox.usage())[0] is not Level.OK:
        return "the outbox backlog is at its warning level; room is kept for transactions"
    try:
        outbox.enqueue(kind, payload, key, visit_ticket=visit_ticket)
    except Exception as exc:
        return type(exc).__name__
    return None
