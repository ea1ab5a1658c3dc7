"""The centre's schema comes from its Alembic migrations, on SQLite and on a real PostgreSQL."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, create_engine, inspect, text
from sqlalchemy.exc import ProgrammingError

import central_server.app  # noqa: F401 (every table on Base.metadata, as the centre runs)
from central_server import migrations
from central_server.db import Database
from central_server.models import Base
from tests.postgres_support import PostgresServer


# Plain engines, not `Database`: with CENTRAL_TEST_DB=postgresql the suite's SQLite URLs are redirected,
# and this test must see both databases for real.
@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'centre.db'}"
    else:
        server: PostgresServer = request.getfixturevalue("postgres_server")
        url = server.url(server.create_database())
    engine = create_engine(url)
    yield engine
    engine.dispose()


def test_the_migrated_schema_is_the_models_schema(engine: Engine) -> None:
    with engine.begin() as connection:
        migrations.upgrade(connection)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []
        assert migrations.current(connection) == migrations.head()


def test_upgrading_a_migrated_database_changes_nothing(engine: Engine) -> None:
    for _ in range(2):
        with engine.begin() as connection:
            migrations.upgrade(connection)
    with engine.connect() as connection:
        assert migrations.current(connection) == migrations.head()
        assert set(inspect(connection).get_table_names()) == {*Base.metadata.tables, "alembic_version"}


def test_a_database_from_newer_code_is_refused(engine: Engine) -> None:
    with engine.begin() as connection:
        migrations.upgrade(connection)
        connection.execute(text("UPDATE alembic_version SET version_num = 'f00dfeed'"))
    with pytest.raises(migrations.SchemaError, match="f00dfeed"), engine.begin() as connection:
        migrations.upgrade(connection)


def test_a_database_made_before_migrations_is_adopted(engine: Engine) -> None:
    Base.metadata.create_all(engine)
    with engine.begin() as connection:
        migrations.upgrade(connection)
    with engine.connect() as connection:
        assert migrations.current(connection) == migrations.head()


def test_tables_of_another_schema_without_a_migration_history_are_refused(engine: Engine) -> None:
    Base.metadata.tables["citizens"].create(engine)
    with pytest.raises(migrations.SchemaError, match="no migration history"), engine.begin() as connection:
        migrations.upgrade(connection)
    with engine.connect() as connection:
        assert migrations.current(connection) is None


def test_workers_starting_together_migrate_once(postgres_server: PostgresServer) -> None:
    """Each worker upgrades at start; on PostgreSQL a lock makes the others wait and find nothing to do."""
    engine = create_engine(postgres_server.url(postgres_server.create_database()))
    failures: list[BaseException] = []

    def start() -> None:
        try:
            with engine.begin() as connection:
                migrations.upgrade(connection)
        except BaseException as exc:
            failures.append(exc)

    workers = [threading.Thread(target=start) for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    engine.dispose()
    assert failures == []


def test_postgresql_errors_never_carry_bound_values(postgres_server: PostgresServer) -> None:
    """As on SQLite (test_database.py): exception texts reach logs, bound values may be ID numbers."""
    database = Database(postgres_server.url(postgres_server.create_database()))
    with pytest.raises(ProgrammingError) as failure, database.transaction() as session:
        session.execute(
            text("SELECT * FROM no_such_table WHERE id_number = :value"), {"value": "12019919800101"}
        )
    assert "12019919800101" not in str(failure.value)
    database.engine.dispose()


def _central(*args: str) -> subprocess.CompletedProcess[str]:
    script = Path(sys.executable).with_name("kiosk-central")
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[2])}  # the checkout's code
    return subprocess.run(
        [str(script), *args], capture_output=True, text=True, env=env, timeout=60, check=False
    )


def test_migrate_upgrades_a_postgresql_database_once(postgres_server: PostgresServer) -> None:
    url = postgres_server.url(postgres_server.create_database())
    first = _central("migrate", "--db", url)
    assert (first.returncode, first.stdout) == (
        0,
        f"schema upgraded from revision (empty database) to {migrations.head()}\n",
    )
    again = _central("migrate", "--db", url)
    assert (again.returncode, again.stdout) == (0, f"schema already at revision {migrations.head()}\n")


def test_serve_refuses_a_schema_from_newer_code_in_one_line(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'centre.db'}"
    assert _central("migrate", "--db", url).returncode == 0
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = 'f00dfeed'"))
    engine.dispose()
    refused = _central("serve", "--demo", "--port", "0", "--db", url)
    assert refused.returncode == 2
    assert refused.stderr.startswith(f"kiosk-central: cannot use database {url}: the database is at schema")
    assert refused.stderr.count("\n") == 1


def test_the_suite_runs_on_the_database_it_names() -> None:
    """With CENTRAL_TEST_DB=postgresql the suite's SQLite URLs reach PostgreSQL (conftest.py), not SQLite."""
    database = Database("sqlite://")
    expected = "postgresql" if os.environ.get("CENTRAL_TEST_DB") == "postgresql" else "sqlite"
    assert database.engine.dialect.name == expected
    database.engine.dispose()
