"""The outbox's SQLite file: WAL, synchronous=FULL, secure_delete; the schema brought up to date; a file
that is not a whole database refused before SQLite can take it for a new, empty one."""

from __future__ import annotations

import contextlib
import os
import secrets
import sqlite3
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

from kiosk.offline_queue.durable import fsync_directory
from kiosk.offline_queue.errors import Cause, OutboxUnavailable

DB_FILE_NAME = "outbox.sqlite3"
WAL_SUFFIX, SHM_SUFFIX = "-wal", "-shm"
# The newest migration under migrations/versions; a test checks it against Alembic's own head.
HEAD_REVISION = "0002"
_MIGRATIONS = Path(__file__).parent / "migrations"
_MAGIC = b"SQLite format 3\x00"
_DAMAGE_CODES = frozenset({sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB})
_RESET_HINT = "restore it from backup, or set it aside with `kiosk queue reset --keep-evidence`"


class NoOutbox(Exception):
    """There is no outbox database where one was expected."""


def sqlite_connection(connection: Connection) -> sqlite3.Connection:
    """The sqlite3 connection under SQLAlchemy's, for the few things SQLAlchemy does not expose."""
    driver = connection.connection.driver_connection
    if not isinstance(driver, sqlite3.Connection):
        raise TypeError(f"the outbox runs on sqlite3, not {type(driver).__name__}")
    return driver


def make_engine(path: Path) -> Engine:
    # isolation_level=None: the driver leaves transactions to us, so one INSERT is one commit (one fsync)
    # and longer work says BEGIN IMMEDIATE itself, taking the write lock before it reads.
    engine = create_engine(
        f"sqlite:///{path}",
        connect_args={"isolation_level": None, "check_same_thread": False},
        poolclass=NullPool,
        hide_parameters=True,
    )

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection: sqlite3.Connection, _record: object) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA busy_timeout = 5000")
        cursor.execute("PRAGMA journal_mode = WAL")
        # FULL: a commit returns only once the WAL is fsynced, so a receipt survives a power cut.
        cursor.execute("PRAGMA synchronous = FULL")
        # Freed space is zeroed, so a delivered payload leaves no ciphertext in the database file once
        # the WAL is checkpointed (many builds default to ON; this one may not).
        cursor.execute("PRAGMA secure_delete = ON")
        cursor.close()

    return engine


def is_disk_full(exc: BaseException) -> bool:
    """SQLITE_FULL: the disk, or the database's max_page_count, has no room for the write."""
    return _sqlite_code(exc) == sqlite3.SQLITE_FULL


def damage(exc: BaseException) -> str | None:
    """SQLite's own words when `exc` says the database file is damaged, else None."""
    if _sqlite_code(exc) not in _DAMAGE_CODES:
        return None
    original = exc.orig if isinstance(exc, DBAPIError) else exc
    return str(original)


def _sqlite_code(exc: BaseException) -> int | None:
    original = exc.orig if isinstance(exc, DBAPIError) else exc
    code = getattr(original, "sqlite_errorcode", None)
    # The primary code is the low byte: SQLITE_IOERR_SHORT_READ is an SQLITE_IOERR.
    return None if code is None else code & 0xFF


def damaged(path: Path, what: str) -> OutboxUnavailable:
    return OutboxUnavailable(f"{path} {what}; {_RESET_HINT}", path, Cause.DATABASE_DAMAGED)


def check_file(path: Path) -> None:
    """Raise OutboxUnavailable unless `path` can be a whole SQLite database. SQLite itself would open an
    empty file as a new database (losing what it held) and a file cut short mid-page as a smaller one."""
    size = path.stat().st_size
    if size == 0:
        raise damaged(path, "is empty (0 bytes): the transactions it held are gone")
    with open(path, "rb") as handle:
        header = handle.read(100)
    if len(header) < 100 or not header.startswith(_MAGIC):
        raise damaged(path, "is not an SQLite database")
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    if page_size < 512 or page_size & (page_size - 1) or size % page_size:
        raise damaged(path, f"is cut short ({size} bytes, not whole pages of {page_size})")


def create(path: Path) -> None:
    """Make a new outbox database at `path`, schema included, or leave an existing one alone. Built beside
    it and linked into place, so `path` never names a half-made database: an outbox file that exists
    always held a schema, and an empty one means damage, not a crash during the first start."""
    for stale in path.parent.glob(f".{path.name}.*.new*"):
        # A start that crashed while making the database: these never held a transaction.
        stale.unlink(missing_ok=True)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.new")
    engine = make_engine(tmp)
    try:
        with engine.connect() as connection:
            migrate(connection)
    finally:
        # The last connection closing checkpoints the WAL into the file and removes it.
        engine.dispose()
    try:
        fd = os.open(tmp, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        with contextlib.suppress(FileExistsError):
            os.link(tmp, path)
    finally:
        for leftover in (tmp, Path(f"{tmp}{WAL_SUFFIX}"), Path(f"{tmp}{SHM_SUFFIX}")):
            leftover.unlink(missing_ok=True)
    fsync_directory(path.parent)


@contextlib.contextmanager
def refusing_damage(path: Path) -> Iterator[None]:
    """Turn SQLite's "malformed" and "not a database" into OutboxUnavailable: one line, not a traceback."""
    try:
        yield
    except DBAPIError as exc:
        words = damage(exc)
        if words is None:
            raise
        raise damaged(path, f"is damaged ({words})") from None


def connect(path: Path) -> tuple[Engine, Connection]:
    """Open an existing database (check_file first) with its schema brought up to date."""
    engine = make_engine(path)
    try:
        with refusing_damage(path):
            connection = engine.connect()
            try:
                migrate(connection)
            except BaseException:
                connection.close()
                raise
    except BaseException:
        engine.dispose()
        raise
    return engine, connection


def migrate(connection: Connection) -> None:
    """Bring the schema to HEAD_REVISION. Alembic is loaded only when there is something to do, which
    keeps the usual start (schema already current) quick."""
    before = _current_revision(connection)
    if before == HEAD_REVISION:
        return
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    config.attributes["connection"] = connection
    connection.exec_driver_sql("BEGIN IMMEDIATE")
    try:
        command.upgrade(config, "head")
    except BaseException:
        connection.exec_driver_sql("ROLLBACK")
        raise
    if sqlite_connection(connection).in_transaction:
        connection.exec_driver_sql("COMMIT")
    connection.commit()
    if before == "0001":
        # Before 0002 freed space was not zeroed: delivered payloads may linger in free pages and cells.
        # VACUUM rewrites the file from the live rows only (the WAL it leaves is truncated on open).
        connection.exec_driver_sql("VACUUM")
        connection.commit()


def checkpoint(connection: Connection) -> bool:
    """Copy the WAL into the database file and truncate it to nothing, so that no old page (an old
    ciphertext) stays in it. False when a reader (a staff command) or a full disk kept it from finishing."""
    try:
        busy = connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").scalar()
        connection.commit()
        if busy:
            return False
        # The first commit to an emptied WAL writes and fsyncs its header before its frames: one fsync
        # more. Starting the WAL here, on the caller's (the forwarder's) time, keeps an enqueue at one
        # fsync. Setting user_version (otherwise unused) rewrites page 1: the smallest write there is.
        connection.exec_driver_sql("PRAGMA user_version = 0")
        connection.commit()
    except DBAPIError as exc:
        connection.rollback()
        if not is_disk_full(exc):
            raise
        return False
    return True


def _current_revision(connection: Connection) -> str | None:
    exists = connection.execute(
        text("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'")
    ).first()
    revision = (
        connection.execute(text("SELECT version_num FROM alembic_version")).scalar() if exists else None
    )
    connection.commit()
    return revision
