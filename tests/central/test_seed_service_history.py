"""The demo centre's year of service history: made the same from the same seed and day, and enough for the
scorecard to show a whole year at every kiosk, with follow-up cases in every state."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from central_server.crm.models import Complaint, FollowUpCase, Rating, Touchpoint
from central_server.crm.scorecard import Scope, scorecard
from central_server.db import Database
from central_server.seed import seed_if_empty
from central_server.seed_crm_history import HISTORY_DAYS, KIOSKS

TODAY = dt.date(2026, 11, 27)
NOW = int(dt.datetime(2026, 11, 27, 12, tzinfo=dt.UTC).timestamp())


def _seeded(seed: int, service_history: bool = True) -> Database:
    db = Database("sqlite://")
    db.create_schema()
    with db.transaction() as session:
        seed_if_empty(session, seed=seed, today=TODAY, service_history=service_history)
    return db


def _rows(db: Database) -> list[int]:
    with db.transaction() as session:
        return [
            session.scalar(select(func.count()).select_from(model)) or 0
            for model in (Touchpoint, Rating, Complaint, FollowUpCase)
        ]


def test_the_same_seed_makes_the_same_history_and_only_when_asked() -> None:
    first, again, other = _seeded(7), _seeded(7), _seeded(8)
    assert _rows(first) == _rows(again) and all(_rows(first))
    assert _rows(first) != _rows(other)
    assert _rows(_seeded(7, service_history=False)) == [0, 0, 0, 0]


def test_the_scorecard_shows_a_year_at_every_kiosk_with_cases_in_every_state() -> None:
    db = _seeded(7)
    first = TODAY - dt.timedelta(days=HISTORY_DAYS)
    with db.transaction() as session:
        year = scorecard(session, Scope(first, TODAY, "month"), NOW)
        kiosks = {
            kiosk: scorecard(session, Scope(first, TODAY, "month", kiosk=kiosk), NOW).total.visits
            for kiosk in KIOSKS
        }
    assert len(year.rows) >= 12 and all(row.visits > 0 for row in year.rows)
    assert all(visits > 0 for visits in kiosks.values())
    total = year.total
    assert total.satisfaction.ratings > 0 and 0 < (total.satisfaction.index or 0) < 100
    assert total.complaints > 0 and total.completion_rate is not None
    follow = total.follow_up
    assert follow.callback_on_time > 0 and follow.callback_late > 0
    assert follow.resolved_on_time > 0


def test_a_rating_sent_after_the_seed_gets_an_id_of_its_own() -> None:
    # The seed gives its ratings ids (its follow-up cases refer to them); on PostgreSQL the id sequence
    # must then continue after them, or every rating a kiosk sends collides with a seeded one.
    db = _seeded(7)
    with db.transaction() as session:
        seeded = session.scalar(select(func.max(Rating.id))) or 0
        template = session.scalars(select(Rating).limit(1)).one()
        fresh = Rating(
            **{
                column.key: getattr(template, column.key)
                for column in Rating.__table__.columns
                if column.key != "id"
            }
            | {"visit_id": "v-after-the-seed", "case_ref": "after-the-seed"}
        )
        session.add(fresh)
        session.flush()
        assert fresh.id > seeded
