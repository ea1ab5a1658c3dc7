"""Engine and transactions."""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator
from typing import Any

from sqlalchemy import create_engine, func, make_url, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import StaticPool

from central_server import migrations
from central_server.models import Base

# Per process: each uvicorn worker holds its own pool, so the database sees workers x (size + overflow)
# connections at most; PostgreSQL's default max_connections (100) leaves room for 4 workers and psql.
POOL_SIZE = 10
MAX_OVERFLOW = 10


class DatabaseFileError(Exception):
    """The centre could not create its SQLite database file; `str()` says which file and why."""


def make_engine(url: str) -> Engine:
    parsed = make_url(url)
    # Bound parameters would put ID numbers and names into exception texts, and so into logs.
    options: dict[str, object] = {"hide_parameters": True}
    if parsed.get_backend_name() == "sqlite":
        options["connect_args"] = {"check_same_thread": False}
        if parsed.database in (None, "", ":memory:"):
            # An in-memory database lives and dies with its one connection, so every thread shares it.
            options["poolclass"] = StaticPool
        elif not parsed.query.get("uri"):
            _create_private_file(parsed.database)
    else:
        options["pool_size"] = POOL_SIZE
        options["max_overflow"] = MAX_OVERFLOW
        # A connection the server dropped while idle (restart, failover, idle timeout) is replaced
        # before a request uses it, instead of failing that request.
        options["pool_pre_ping"] = True
    return create_engine(parsed, **options)


def _create_private_file(path: str) -> None:
    """Creates a missing SQLite file readable by the service user only; SQLite gives its journal and WAL
    files the same mode. A file that exists is left as it is."""
    try:
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    except FileExistsError:
        pass
    except OSError as exc:
        raise DatabaseFileError(f"cannot create {path}: {exc.strerror}") from exc


def insert_if_absent(session: Session, model: type[Base], **values: Any) -> None:
    """Inserts a row unless one with the same key exists, without failing when another worker inserts it
    at the same moment (the reason a plain check-then-insert is not enough)."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        session.execute(postgresql.insert(model).values(**values).on_conflict_do_nothing())
    elif dialect == "sqlite":
        session.execute(sqlite.insert(model).values(**values).on_conflict_do_nothing())
    else:
        raise NotImplementedError(f"the centre runs on SQLite or PostgreSQL, not {dialect}")


def follow_given_ids(session: Session, model: type[Base]) -> None:
    """After rows were inserted with their ids given (seed data whose rows refer to one another), lets the
    next id the database assigns come after the largest. SQLite does so by itself; PostgreSQL's sequence
    would start again at 1 and collide with the rows."""
    if session.get_bind().dialect.name != "postgresql":
        return
    largest = select(func.max(model.__table__.c.id)).scalar_subquery()
    sequence = func.pg_get_serial_sequence(model.__tablename__, "id")
    session.execute(select(func.setval(sequence, func.coalesce(largest, 1))))


class Database:
    def __init__(self, url: str) -> None:
        self.engine = make_engine(url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        # SQLite has one writer and, in memory, one shared connection: serialising transactions avoids
        # "database is locked" and interleaved use of that connection. Other databases lock rows instead.
        self._lock: contextlib.AbstractContextManager[object] = (
            threading.Lock() if self.engine.dialect.name == "sqlite" else contextlib.nullcontext()
        )

    def create_schema(self) -> None:
        """Brings the schema to the newest migration (creating it in an empty database): the demo, the
        tests and production all get their tables from the same migrations. Raises
        `migrations.SchemaError` for a database this code cannot upgrade."""
        with self.engine.begin() as connection:
            migrations.upgrade(connection)

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session whose work commits on normal exit and rolls back on an exception."""
        with self._lock, self._sessions.begin() as session:
            yield session
