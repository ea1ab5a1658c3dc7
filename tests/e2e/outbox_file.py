"""A kiosk's outbox as its SQLite file shows it to anyone who reads the disk: read-only, from outside the
kiosk process, so a test observes what is durable rather than what the kiosk says."""

from __future__ import annotations

import contextlib
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from kiosk.offline_queue.database import DB_FILE_NAME


@dataclass(frozen=True)
class OutboxRow:
    idempotency_key: str
    kind: str
    state: str


def outbox_rows(data_dir: Path) -> list[OutboxRow]:
    """The rows in the order they were filed. The kiosk must have opened the outbox (the file exists)."""
    path = data_dir / DB_FILE_NAME
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no outbox yet; wait for the kiosk to be ready")
    # Read-only: this reader never writes, checkpoints or takes the kiosk's write lock.
    with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)) as db:
        rows = db.execute("SELECT idempotency_key, kind, state FROM outbox ORDER BY id").fetchall()
    return [OutboxRow(*row) for row in rows]


def outbox_bytes(data_dir: Path) -> bytes:
    """The outbox's files as they lie on disk: the database, its write-ahead log and its shared memory."""
    return b"".join(path.read_bytes() for path in sorted(data_dir.glob(f"{DB_FILE_NAME}*")))
