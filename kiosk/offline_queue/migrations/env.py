"""Alembic environment: the outbox hands over its open connection (config.attributes["connection"])."""

from alembic import context

from kiosk.offline_queue.tables import metadata

connection = context.config.attributes["connection"]
# SQLite runs DDL inside transactions; saying so keeps a crash mid-migration from leaving half a schema.
context.configure(connection=connection, target_metadata=metadata, transactional_ddl=True)
with context.begin_transaction():
    context.run_migrations()
