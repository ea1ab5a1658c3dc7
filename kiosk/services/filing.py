"""Filing a citizen's transaction: durably into the outbox first, then, within a few seconds, the centre's
answer if the link is up. What every transaction service (withdrawal, pre-registration) shares.

The order is the promise on the receipt: `file()` returns only once the transaction is on disk, so a
receipt printed after it is never for something the kiosk could lose; the idempotency key is chosen
before, so a second tap (or a retry after a fault) files the same transaction, never a second one.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, Protocol

from kiosk.i18n import N_

if TYPE_CHECKING:
    from kiosk.offline_queue.outbox import Outbox
    from kiosk.services.payee_card import PayeeCardService
    from kiosk.services.printing import PrintService

log = logging.getLogger(__name__)

# How long the citizen waits for the centre's answer before the receipt says "waiting to be sent": the
# forwarder sends at once when the link is up, and a healthy centre answers in well under a second.
ANSWER_WAIT_S = 4.0


class KioskParts(Protocol):
    """What the transaction services use of the running kiosk (kiosk.runtime.Runtime gives it)."""

    @property
    def outbox(self) -> Outbox | None: ...

    @property
    def printing(self) -> PrintService | None: ...

    @property
    def payee_cards(self) -> PayeeCardService | None: ...

    @property
    def transactions_unavailable_reason(self) -> str | None: ...


class NotTaken(Exception):
    """The kiosk cannot keep this transaction now (the outbox is not open, or full): nothing was filed and
    nothing printed. `message` is for the citizen (a message id)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


NOT_TAKEN = N_("This kiosk cannot take applications just now. Please use another kiosk or the counter.")

Answer = Literal["accepted", "waiting", "refused"]


@dataclass(frozen=True)
class Filed:
    """A transaction on disk, and what the centre said within the wait."""

    idempotency_key: str
    answer: Answer
    # The centre's reason when refused: for the log and staff, never shown as is (it names fields).
    reason: str | None = None


def new_key(prefix: str) -> str:
    """A fresh idempotency key: unguessable (it names the transaction at the centre) and short."""
    return f"{prefix}-{secrets.token_hex(12)}"


def file(
    parts: KioskParts,
    kind: str,
    payload: dict[str, Any],
    key: str,
    visit_ticket: str | None,
    wait_s: float = ANSWER_WAIT_S,
) -> Filed:
    """Store the transaction (durable when this returns) and wait up to `wait_s` for the centre's answer.
    Blocking: call from a worker. Raises NotTaken when the kiosk cannot keep it. `visit_ticket` is None
    only for what a citizen may file without signing in (a complaint or suggestion)."""
    from kiosk.offline_queue.errors import IdempotencyConflict, OutboxFull, OutboxUnavailable
    from kiosk.offline_queue.states import State

    outbox = parts.outbox
    unavailable = parts.transactions_unavailable_reason
    if outbox is None or unavailable is not None:
        log.warning("a %s was not taken: %s", kind, unavailable or "no outbox")
        raise NotTaken(NOT_TAKEN)
    try:
        outbox.enqueue(kind, payload, key, visit_ticket=visit_ticket)
    except (OutboxFull, OutboxUnavailable, IdempotencyConflict) as exc:
        log.warning("a %s was not taken: %s", kind, type(exc).__name__)
        raise NotTaken(NOT_TAKEN) from exc
    fate = outbox.wait_for_fate(key, wait_s)
    if fate is None or fate.state in (State.PENDING, State.IN_FLIGHT):
        return Filed(key, "waiting")
    if fate.state is State.DELIVERED:
        return Filed(key, "accepted")
    log.warning("the centre refused a %s: %s", kind, fate.reason)
    return Filed(key, "refused", fate.reason)
