"""The centre's schema as Alembic migrations (`versions/`), run by `Database.create_schema` and
`kiosk-central migrate`. Configured here rather than in an alembic.ini, so the installed package carries
everything it needs."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, inspect

from central_server.models import Base

# Any constant will do: it names the lock that lets one process at a time migrate a PostgreSQL database
# (several workers start at once and each upgrades; the others wait and then find nothing to do).
_MIGRATION_LOCK = 0x6B696F736B  # "kiosk"


class SchemaError(Exception):
    """The database's schema is one this code cannot use or upgrade; `str()` says why and what to do."""


def config(connection: Connection | None = None) -> Config:
    result = Config()
    result.set_main_option("script_location", "central_server:migrations")
    if connection is not None:
        result.attributes["connection"] = connection
    return result


def head() -> str:
    revision = ScriptDirectory.from_config(config()).get_current_head()
    assert revision is not None, "central_server/migrations/versions holds no revision"
    return revision


def current(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def upgrade(connection: Connection) -> None:
    """Brings the schema on `connection` to the newest revision, in the caller's transaction.

    A database made before migrations existed (tables from the models, no history) is adopted as it is
    when its schema is the newest one, and refused otherwise, as is one stamped with a revision this code
    does not know (made by newer code: downgrading by hand is a decision for an operator)."""
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_MIGRATION_LOCK})")
    revision = current(connection)
    scripts = ScriptDirectory.from_config(config())
    if revision is None:
        if set(inspect(connection).get_table_names()) - {"alembic_version"}:
            _adopt(connection)
            return
    elif revision not in {script.revision for script in scripts.walk_revisions()}:
        raise SchemaError(
            f"the database is at schema revision {revision}, which this version of the centre does not "
            "know (made by a newer version?); run that version, or downgrade the schema with its "
            "`alembic downgrade`"
        )
    if revision != scripts.get_current_head():
        command.upgrade(config(connection), "head")


def _adopt(connection: Connection) -> None:
    """Stamps a database whose tables the models made (`create_all`, before migrations) as the newest
    revision, if its schema is exactly that revision's."""
    # Here, not at the top: the app's modules import db, which imports this module.
    import central_server.app  # noqa: F401 (every table on Base.metadata)

    context = MigrationContext.configure(connection, opts={"compare_type": True})
    differences = compare_metadata(context, Base.metadata)
    if differences:
        raise SchemaError(
            f"the database holds tables but no migration history, and its schema differs from this "
            f"version's in {len(differences)} places: move it aside or migrate its data by hand"
        )
    command.stamp(config(connection), "head")
