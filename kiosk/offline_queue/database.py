"""Opening the outbox's SQLite file: WAL, synchronous=FULL, and the schema brought up to date."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.pool import NullPool

DB_FILE_NAME = "outbox.sqlite3"
# The newest migration under migrations/versions; a test checks it against Alembic's own head.
HEAD_REVISION = "0001"
_MIGRATIONS = Path(__file__).parent / "migrations"


class NoOutbox(Exception):
    """There is no outbox database where one was expected."""


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
    def _pragmas(dbapi_connection, _record):  # type: ignore[no-untyped-def]
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA busy_timeout = 5000")
        cursor.execute("PRAGMA journal_mode = WAL")
        # FULL: a commit returns only once the WAL is fsynced, so a receipt survives a power cut.
        cursor.execute("PRAGMA synchronous = FULL")
        cursor.close()

    return engine


def open_database(data_dir: Path, *, create: bool) -> tuple[Engine, Connection]:
    path = data_dir / DB_FILE_NAME
    if not create and not path.exists():
        raise NoOutbox(f"no outbox database in {data_dir}")
    data_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(path)
    connection = engine.connect()
    migrate(connection)
    return engine, connection


def migrate(connection: Connection) -> None:
    """Bring the schema to HEAD_REVISION. Alembic is loaded only when there is something to do, which
    keeps the usual start (schema already current) quick."""
    if _current_revision(connection) == HEAD_REVISION:
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
    if connection.connection.driver_connection.in_transaction:  # type: ignore[union-attr]
        connection.exec_driver_sql("COMMIT")
    connection.commit()


def _current_revision(connection: Connection) -> str | None:
    exists = connection.execute(
        text("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'")
    ).first()
    revision = (
        connection.execute(text("SELECT version_num FROM alembic_version")).scalar() if exists else None
    )
    connection.commit()
    return revision
