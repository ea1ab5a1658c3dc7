"""The durable outbox: transactions the kiosk accepted, stored in SQLite and forwarded to the centre
exactly once in effect (docs/outbox.md).

    outbox = Outbox.open(data_dir, key_file=settings.outbox.key_file)   # OutboxUnavailable: see .reason
    receipt = outbox.enqueue("rating", {...})      # on disk when it returns; OutboxFull when refused
    forwarder = Forwarder(outbox, central_client)  # start()/stop(); events on outbox.events
"""

from kiosk.offline_queue.backoff import RetryPolicy
from kiosk.offline_queue.bounds import BoundsPolicy, Level
from kiosk.offline_queue.errors import IdempotencyConflict, OutboxBusy, OutboxFull, OutboxUnavailable
from kiosk.offline_queue.events import BacklogChanged, Connectivity, ConnectivityChanged
from kiosk.offline_queue.forwarder import Forwarder
from kiosk.offline_queue.outbox import EnqueueReceipt, Outbox

__all__ = [
    "BacklogChanged",
    "BoundsPolicy",
    "Connectivity",
    "ConnectivityChanged",
    "EnqueueReceipt",
    "Forwarder",
    "IdempotencyConflict",
    "Level",
    "Outbox",
    "OutboxBusy",
    "OutboxFull",
    "OutboxUnavailable",
    "RetryPolicy",
]
