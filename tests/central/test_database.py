from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from central_server.db import Database


def test_sql_errors_never_carry_bound_values() -> None:
    """Exception texts reach logs; the values bound into a statement may be ID numbers or names."""
    database = Database("sqlite://")
    with pytest.raises(OperationalError) as failure, database.transaction() as session:
        session.execute(
            text("SELECT * FROM no_such_table WHERE id_number = :value"), {"value": "12019919800101"}
        )
    assert "12019919800101" not in str(failure.value)
