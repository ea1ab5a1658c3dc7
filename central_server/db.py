"""Engine and transactions."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator

from sqlalchemy import create_engine, make_url
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import StaticPool

from central_server.models import Base


def make_engine(url: str) -> Engine:
    parsed = make_url(url)
    # Bound parameters would put ID numbers and names into exception texts, and so into logs.
    options: dict[str, object] = {"hide_parameters": True}
    if parsed.get_backend_name() == "sqlite":
        options["connect_args"] = {"check_same_thread": False}
        if parsed.database in (None, "", ":memory:"):
            # An in-memory database lives and dies with its one connection, so every thread shares it.
            options["poolclass"] = StaticPool
    return create_engine(parsed, **options)


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
        Base.metadata.create_all(self.engine)

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session whose work commits on normal exit and rolls back on an exception."""
        with self._lock, self._sessions.begin() as session:
            yield session
