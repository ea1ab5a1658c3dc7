"""Alembic migrations of the outbox database (run by database.migrate, never by hand)."""
