"""The scorecard's figures on hand-made data with known answers, and the pure rules behind them."""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from central_server.crm import store
from central_server.crm.deadlines import CaseDeadlines, due_after, timeliness
from central_server.crm.figures import percentile, percentile_of_counts, satisfaction_index
from central_server.crm.models import TouchpointDay
from central_server.crm.scorecard import Scope, scorecard
from central_server.crm.working_days import add_working_days, is_working_day
from central_server.dates import CENTRE_TZ
from central_server.db import Database

DAY1 = dt.datetime(2026, 11, 23, 10, 0, tzinfo=CENTRE_TZ)  # Monday
DAY2 = DAY1 + dt.timedelta(days=1)


def _event(
    session: Any, at: dt.datetime, event: str, kiosk: str = "K1", delay: int = 5, **extra: Any
) -> None:
    payload = {
        "visit_id": "v",
        "channel": "kiosk",
        "event": event,
        "at": at.isoformat(),
        "service": None,
        "screen": None,
        "duration_ms": None,
        "detail": None,
        **extra,
    }
    received = int(at.timestamp()) + delay
    store.add_touchpoint(
        session,
        payload,
        source=kiosk,
        hall="H" + kiosk[-1],
        citizen_ref=None,
        received_at=received,
        created_at=at,
    )


def _rating(session: Any, at: dt.datetime, score: int, case: str) -> None:
    payload = {
        "score": score,
        "detail_codes": [],
        "rating_round": 1,
        "service_code": "withdrawal",
        "visit_id": "v",
        "case_ref": case,
        "callback_phone": None,
    }
    store.add_rating(
        session,
        payload,
        terminal_id="K1",
        hall="H1",
        citizen_ref=None,
        created_at=at,
        received_at=int(at.timestamp()),
        deadlines=CaseDeadlines(),
    )


def _centre() -> Database:
    db = Database("sqlite://")
    db.create_schema()
    with db.transaction() as session:
        for _ in range(4):
            _event(session, DAY1, "visit_started")
        _event(session, DAY1, "signed_in")
        _event(session, DAY1, "sign_in_failed")
        for ms in (1000, 2000, 3000, 4000, 10000):
            _event(session, DAY1, "service_completed", service="withdrawal", duration_ms=ms)
        _event(session, DAY1, "service_abandoned", service="withdrawal", detail="withdrawal_amount")
        _event(session, DAY1, "service_abandoned", service="loan", screen="loan_plan")
        # Two device failures in one minute at K1 and one at K2: two kiosk-minutes.
        _event(session, DAY1, "device_failure", detail="printer")
        _event(session, DAY1 + dt.timedelta(seconds=30), "device_failure", detail="printer")
        _event(session, DAY1, "device_failure", kiosk="K2", detail="idcard")
        for delay in (1, 2, 3, 100):
            _event(session, DAY1, "visit_ended", delay=delay)
        _event(session, DAY2, "visit_started", kiosk="K2")
        for score, case in ((5, "a"), (4, "b"), (1, "c"), (2, "d")):
            _rating(session, DAY1, score, case)
        store.add_complaint(
            session,
            {"category": "complaint", "topic": "loan", "text": "t", "contact_phone": None, "visit_id": None},
            terminal_id="K1",
            hall="H1",
            citizen_ref=None,
            idempotency_key="k" * 8,
            created_at=DAY1,
            received_at=int(DAY1.timestamp()),
        )
    return db


def test_every_figure_of_a_hand_made_day() -> None:
    db = _centre()
    # Wednesday noon: both cases' callbacks (due end of Tuesday) are overdue, neither resolution yet.
    now = int((DAY1 + dt.timedelta(days=2, hours=2)).timestamp())
    with db.transaction() as session:
        data = scorecard(session, Scope(DAY1.date(), DAY2.date(), "day"), now)
    first, second = data.rows
    assert (first.period_start, second.period_start) == (DAY1.date(), DAY2.date())
    assert (first.visits, first.sign_ins, first.sign_in_failures) == (4, 1, 1)
    assert (first.services_completed, first.services_abandoned, first.completion_rate) == (5, 2, 0.7143)
    assert first.abandonment_by_step == {"loan_plan": 1, "withdrawal_amount": 1}
    times = first.time_per_service["withdrawal"]
    assert (times.completed, times.median_ms, times.p90_ms) == (5, 3000, 10000)
    assert (first.device_failure_minutes, first.network_failure_minutes) == (2, 0)
    assert (first.outbox_delay.items, first.outbox_delay.median_s, first.outbox_delay.p90_s) == (4, 2, 100)
    # Mean score 3 → 50.
    assert (first.satisfaction.index, first.satisfaction.ratings) == (50.0, 4)
    assert first.satisfaction.distribution == {"1": 1, "2": 1, "3": 0, "4": 1, "5": 1}
    assert (first.complaints, first.complaint_rate_per_1000_visits) == (1, 250.0)
    follow = first.follow_up
    assert (follow.cases, follow.callback_on_time, follow.callback_late, follow.callback_timeliness) == (
        2,
        0,
        2,
        0.0,
    )
    assert (follow.resolved_on_time, follow.resolved_late, follow.resolution_timeliness) == (0, 0, None)
    assert (data.total.visits, second.visits, second.satisfaction.index) == (5, 1, None)


def test_filters_by_kiosk_hall_and_service_and_groups_by_week() -> None:
    db = _centre()
    with db.transaction() as session:
        k2 = scorecard(session, Scope(DAY1.date(), DAY2.date(), "week", kiosk="K2"), 0)
        hall = scorecard(session, Scope(DAY1.date(), DAY2.date(), "month", hall="H2"), 0)
        loan = scorecard(session, Scope(DAY1.date(), DAY2.date(), "day", service="loan"), 0)
    assert [(row.period_start, row.visits, row.device_failure_minutes) for row in k2.rows] == [
        (DAY1.date(), 1, 1)
    ]
    assert [row.period_start for row in hall.rows] == [dt.date(2026, 11, 1)]
    assert (loan.total.services_abandoned, loan.total.services_completed) == (1, 0)


EVENTS = st.sampled_from(
    ("visit_started", "signed_in", "sign_in_failed", "service_entered", "service_abandoned", "idle_timeout")
)
TOUCHPOINTS = st.lists(
    st.tuples(
        EVENTS,
        st.sampled_from(("K1", "K2")),
        st.integers(0, 9),  # day after DAY1
        st.sampled_from((None, "loan", "withdrawal")),
        st.sampled_from((None, "loan_plan")),  # screen
        st.sampled_from((None, "withdrawal_amount")),  # detail
    ),
    max_size=30,
)


@settings(max_examples=40, deadline=None)
@given(TOUCHPOINTS)
def test_the_daily_counts_give_the_figures_of_the_touchpoints(
    touchpoints: list[tuple[str, str, int, str | None, str | None, str | None]],
) -> None:
    db = Database("sqlite://")
    db.create_schema()
    with db.transaction() as session:
        for event, kiosk, day, service, screen, detail in touchpoints:
            at = DAY1 + dt.timedelta(days=day)
            _event(session, at, event, kiosk=kiosk, service=service, screen=screen, detail=detail)
    with db.transaction() as session:
        total = scorecard(session, Scope(DAY1.date(), DAY1.date() + dt.timedelta(days=9), "week"), 0).total
        k2_loan = scorecard(
            session, Scope(DAY1.date(), DAY2.date(), "day", kiosk="K2", service="loan"), 0
        ).total
    events = Counter(t[0] for t in touchpoints)
    assert (total.visits, total.sign_ins, total.sign_in_failures, total.idle_timeouts) == (
        events["visit_started"],
        events["signed_in"],
        events["sign_in_failed"],
        events["idle_timeout"],
    )
    steps = Counter(t[5] or t[4] or "unknown" for t in touchpoints if t[0] == "service_abandoned")
    assert total.services_abandoned == events["service_abandoned"] and total.abandonment_by_step == steps
    chosen = [t for t in touchpoints if t[1] == "K2" and t[3] == "loan" and t[2] <= 1]
    assert k2_loan.visits == sum(t[0] == "service_entered" for t in chosen)
    assert k2_loan.services_abandoned == sum(t[0] == "service_abandoned" for t in chosen)


def test_workers_counting_the_same_day_at_once_lose_no_touchpoint(tmp_path: Path) -> None:
    """Two centre workers (two engines on one database file) file touchpoints of the same kiosk, day, event
    and service at once: the unique key plus the upsert keep one row with every touchpoint counted."""
    url = f"sqlite:///{tmp_path / 'centre.db'}"
    Database(url).create_schema()
    workers = [Database(url), Database(url)]

    def file(db: Database) -> None:
        for _ in range(25):
            with db.transaction() as session:
                _event(session, DAY1, "service_entered", service="loan")

    threads = [threading.Thread(target=file, args=(db,)) for db in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with workers[0].transaction() as session:
        assert session.execute(select(TouchpointDay.touchpoints)).scalars().all() == [50]
        assert scorecard(session, Scope(DAY1.date(), DAY1.date(), "day"), 0).total.visits == 0
        assert (
            scorecard(session, Scope(DAY1.date(), DAY1.date(), "day", service="loan"), 0).total.visits == 50
        )


def test_percentile_is_nearest_rank() -> None:
    assert percentile([1, 2, 3, 4], 0.5) == 2 and percentile([7], 0.9) == 7 and percentile([], 0.5) is None
    assert percentile_of_counts({1: 1, 2: 1, 3: 1, 100: 1}, 0.9) == 100


@given(st.lists(st.integers(0, 10**6), min_size=1, max_size=50), st.floats(0.01, 1.0))
def test_percentile_of_counts_agrees_with_the_values(values: list[int], fraction: float) -> None:
    counts: dict[int, int] = {}
    for value in values:
        counts[value] = counts.get(value, 0) + 1
    assert percentile_of_counts(counts, fraction) == percentile(sorted(values), fraction)


@given(st.dictionaries(st.integers(1, 5), st.integers(0, 1000)))
def test_the_satisfaction_index_is_0_to_100_and_follows_the_mean(distribution: dict[int, int]) -> None:
    index = satisfaction_index(distribution)
    total = sum(distribution.values())
    if not total:
        assert index is None
        return
    assert index is not None and 0 <= index <= 100
    mean = sum(score * count for score, count in distribution.items()) / total
    assert abs(index - (mean - 1) * 25) <= 0.05


HOLIDAYS = st.frozensets(st.dates(dt.date(2026, 1, 1), dt.date(2027, 12, 31)), max_size=20)


@given(st.dates(dt.date(2026, 1, 1), dt.date(2027, 6, 30)), st.integers(0, 40), HOLIDAYS)
def test_add_working_days_counts_exactly_that_many_working_days(
    day: dt.date, count: int, holidays: frozenset[dt.date]
) -> None:
    result = add_working_days(day, count, holidays)
    between = [day + dt.timedelta(days=n) for n in range(1, (result - day).days + 1)]
    assert sum(is_working_day(d, holidays) for d in between) == count
    if count:
        assert is_working_day(result, holidays) and result.weekday() < 5
    else:
        assert result == day


def test_working_days_skip_weekends_and_holidays() -> None:
    friday = dt.date(2026, 11, 27)
    assert add_working_days(friday, 1) == dt.date(2026, 11, 30)
    assert add_working_days(friday, 1, {dt.date(2026, 11, 30)}) == dt.date(2026, 12, 1)
    assert add_working_days(friday, 15) == dt.date(2026, 12, 18)
    # Rated late on Friday evening, centre time: still the end of Monday.
    late = dt.datetime(2026, 11, 27, 23, 30, tzinfo=CENTRE_TZ)
    assert due_after(late, 1) == dt.datetime(2026, 12, 1, 0, 0, tzinfo=CENTRE_TZ)


@given(st.lists(st.tuples(st.integers(0, 100), st.none() | st.integers(0, 100))), st.integers(0, 100))
def test_timeliness_sorts_every_decided_step_once(steps: list[tuple[int, int | None]], now: int) -> None:
    result = timeliness(steps, now)
    pending = sum(1 for due, done in steps if done is None and now < due)
    assert result.on_time + result.late + pending == len(steps)
    assert result.on_time == sum(1 for due, done in steps if done is not None and done < due)
