"""Alembic's entry point: migrates the connection `central_server.migrations.config` handed over."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

import central_server.app  # noqa: F401 (imports every module that defines tables on Base.metadata)
from central_server.models import Base

connection: Connection | None = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through central_server.migrations (kiosk-central migrate)")
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    # SQLite alters a table by copying it; batch mode writes later migrations that way.
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
