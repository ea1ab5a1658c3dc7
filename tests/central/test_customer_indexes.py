"""The customer view and the advice read one citizen's rows; on a year of intake they must not scan."""

from __future__ import annotations

from sqlalchemy import Select, select, text

import central_server.app  # noqa: F401  (registers every table with the metadata)
from central_server.db import Database
from central_server.models import IntakeRecord
from central_server.preregistration import PreRegistrationRecord


def _plan(database: Database, query: Select[tuple[int]]) -> str:
    compiled = query.compile(database.engine, compile_kwargs={"literal_binds": True})
    with database.transaction() as session:
        rows = session.execute(text(f"EXPLAIN QUERY PLAN {compiled}")).all()
    return " | ".join(str(row[-1]) for row in rows)


def test_one_citizens_applications_are_read_through_an_index() -> None:
    database = Database("sqlite://")
    database.create_schema()
    query = (
        select(IntakeRecord.id)
        .where(IntakeRecord.citizen_ref == "ref-1", IntakeRecord.status == "accepted")
        .order_by(IntakeRecord.id.desc())
    )
    assert "INDEX ix_intake_records_citizen" in _plan(database, query)


def test_one_citizens_pre_registrations_are_read_through_an_index() -> None:
    database = Database("sqlite://")
    database.create_schema()
    query = select(PreRegistrationRecord.id).where(PreRegistrationRecord.citizen_id == 7)
    assert "INDEX ix_pre_registrations_citizen" in _plan(database, query)
