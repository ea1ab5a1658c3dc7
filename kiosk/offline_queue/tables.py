"""The outbox table (SQLAlchemy Core). Times are integer milliseconds since the Unix epoch."""

from __future__ import annotations

from sqlalchemy import Column, Index, Integer, LargeBinary, MetaData, String, Table, text

from kiosk.offline_queue.states import State

metadata = MetaData()

outbox = Table(
    "outbox",
    metadata,
    # INTEGER PRIMARY KEY is SQLite's rowid: time-ordered (ids.py), so id order is creation order.
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("idempotency_key", String(64), nullable=False, unique=True),
    Column("kind", String(40), nullable=False),
    Column("created_at", Integer, nullable=False),
    # Every send; and the failures the centre answered, which alone count towards dead-lettering.
    Column("attempts", Integer, nullable=False, default=0),
    Column("blamed_failures", Integer, nullable=False, default=0),
    Column("next_attempt_at", Integer, nullable=False),
    Column("state", String(10), nullable=False),
    Column("last_error", String(200)),
    Column("delivered_at", Integer),
    Column("key_id", String(16), nullable=False),
    # nonce + AES-GCM ciphertext of the JSON payload (keyring.py).
    Column("payload", LargeBinary, nullable=False),
    Column("size", Integer, nullable=False),
    # HMAC of kind + canonical payload (keyring.py): a repeated key with another payload is refused, even
    # after delivery wiped the payload. NULL only on rows stored before migration 0002.
    Column("payload_digest", LargeBinary),
)

# The rows still to send, in id order: "oldest pending rows" is a walk of this index, flat however many
# delivered or dead rows the table keeps. Partial, so delivering a row only takes its entry out: settling
# never needs a new page, and a full disk still drains.
Index("ix_outbox_pending", outbox.c.id, sqlite_where=text(f"state = '{State.PENDING.value}'"))
