"""The outbox's files, opened together: the database (with its -wal and -shm) and the key file.

Whatever would lose or expose a transaction is refused with OutboxUnavailable, and the files are left as
they are: an empty or damaged database is never replaced, and no new key is made while the database holds
rows. A brand-new kiosk (neither file) gets both. To start afresh, staff set the files aside (`set_aside`,
`kiosk queue reset --keep-evidence`): they are renamed, never deleted.
"""

from __future__ import annotations

import fcntl
import os
from datetime import datetime
from pathlib import Path
from typing import IO

from sqlalchemy import Connection, Engine, func, select

from kiosk.offline_queue import database
from kiosk.offline_queue.database import DB_FILE_NAME, SHM_SUFFIX, WAL_SUFFIX, NoOutbox
from kiosk.offline_queue.durable import fsync_directory
from kiosk.offline_queue.errors import Cause, OutboxBusy, OutboxUnavailable
from kiosk.offline_queue.keyring import KEY_FILE_NAME, KeyRing, key_ids_in
from kiosk.offline_queue.states import State
from kiosk.offline_queue.tables import outbox

LOCK_FILE_NAME = "outbox.lock"
EVIDENCE = "evidence"
_RESET = "`kiosk queue reset --keep-evidence`"


def take_lock(data_dir: Path) -> IO[bytes]:
    """The outbox's lock, held for as long as the returned file is open; OutboxBusy when taken."""
    lock_file = open(data_dir / LOCK_FILE_NAME, "ab")  # noqa: SIM115 (held for the outbox's life)
    try:
        fcntl.flock(lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        lock_file.close()
        raise OutboxBusy(f"another process has the outbox in {data_dir} open") from None
    return lock_file


def database_files(data_dir: Path) -> list[Path]:
    db = data_dir / DB_FILE_NAME
    return [db, Path(f"{db}{WAL_SUFFIX}"), Path(f"{db}{SHM_SUFFIX}")]


def open_files(
    data_dir: Path, key_file: Path | None, *, create: bool
) -> tuple[Engine, Connection, KeyRing | None]:
    """The database, checked and migrated, and its keys.

    With `create` (the kiosk): a missing database is made, and a missing key file too when the database
    holds no row. Without (staff): NoOutbox when there is no database, and the key file is only checked,
    never written (None is returned for the keys); `key_file=None` skips the key check."""
    db, wal, _shm = database_files(data_dir)
    if db.exists():
        database.check_file(db)
    elif wal.exists() and wal.stat().st_size:
        raise database.damaged(db, f"is missing, yet its {wal.name} is there")
    elif not create:
        raise NoOutbox(f"no outbox database in {data_dir}")
    else:
        database.create(db)
    engine, connection = database.connect(db)
    try:
        with database.refusing_damage(db):
            keys = _keys(connection, db, key_file, create=create)
    except BaseException:
        connection.close()
        engine.dispose()
        raise
    return engine, connection, keys


def _keys(connection: Connection, db: Path, key_file: Path | None, *, create: bool) -> KeyRing | None:
    if key_file is None:
        return None
    c = outbox.c
    rows = connection.execute(select(func.count()).select_from(outbox)).scalar_one()
    sealed_by: dict[str, int] = {
        key_id: count
        for key_id, count in connection.execute(
            select(c.key_id, func.count()).where(c.state != State.DELIVERED.value).group_by(c.key_id)
        )
    }
    connection.commit()
    if not key_file.exists():
        if rows:
            raise OutboxUnavailable(
                f"{key_file} is missing and {db} holds {rows} rows that need it; restore the key file from "
                f"backup{_old_place_hint(db.parent, key_file)}, or set the outbox aside with {_RESET}",
                key_file,
                Cause.KEY_MISSING,
            )
        return KeyRing.create(key_file) if create else None
    if create:
        keys = KeyRing.load(key_file)
        key_ids = keys.key_ids
    else:
        keys, key_ids = None, key_ids_in(key_file)
    lacking = sorted(set(sealed_by) - key_ids)
    if lacking:
        count = sum(sealed_by[key_id] for key_id in lacking)
        raise OutboxUnavailable(
            f"{key_file} lacks key {', '.join(lacking)}, which sealed {count} rows of {db}; restore the "
            f"right key file, or set the outbox aside with {_RESET}",
            key_file,
            Cause.KEY_WRONG,
        )
    return keys


def _old_place_hint(data_dir: Path, key_file: Path) -> str:
    old = data_dir / KEY_FILE_NAME
    if old != key_file and old.exists():
        return f" (or move {old}, its old place, there)"
    return ""


def set_aside(data_dir: Path, key_file: Path, when: datetime) -> list[tuple[Path, Path]]:
    """Rename the database files and the key file, so that the next start makes a new outbox and a new
    key: `outbox.sqlite3` becomes `outbox.evidence-<UTC time>.sqlite3` (its -wal and -shm follow, so SQLite
    still pairs them) and the key file `<name>.evidence-<UTC time>`. Returns (old, new) for each file moved.
    The caller holds the outbox lock."""
    stamp = f"{EVIDENCE}-{when.strftime('%Y%m%dT%H%M%SZ')}"
    db = Path(DB_FILE_NAME)
    evidence_db = f"{db.stem}.{stamp}{db.suffix}"
    moves = [
        (path, path.with_name(path.name.replace(DB_FILE_NAME, evidence_db)))
        for path in database_files(data_dir)
        if path.exists()
    ]
    if key_file.exists():
        moves.append((key_file, key_file.with_name(f"{key_file.name}.{stamp}")))
    taken = [new for _, new in moves if new.exists()]
    if taken:
        raise FileExistsError(f"{taken[0]} already exists; try again in a second")
    for old, new in moves:
        os.rename(old, new)
    for directory in {old.parent for old, _ in moves}:
        fsync_directory(directory)
    return moves
