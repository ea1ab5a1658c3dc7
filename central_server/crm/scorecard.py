"""The service-quality scorecard: a handful of grouped SQL aggregates per period, turned into figures by
the pure functions of figures.py and deadlines.py.

Each query reads one date range of one table through an index on (event, day, …) or (day). Event counts
come from the daily counts (crm_touchpoint_days), not from every touchpoint. For exact percentiles the
durations of completed services come back as one joined string per period and service (a row per value
would cost more than the query) and the outbox delays as value → count. Minutes of failure are the
distinct (kiosk, minute) pairs with a failure event of that kind."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import ColumnElement, String, cast, func, select
from sqlalchemy.orm import Session

from central_server.crm.deadlines import timeliness
from central_server.crm.figures import (
    per_thousand,
    percentile,
    percentile_of_counts,
    satisfaction_index,
    share,
)
from central_server.crm.models import Complaint, FollowUpCase, Rating, Touchpoint, TouchpointDay
from central_server.crm.periods import Period, day_key, key_day

_FAILURES = ("device_failure", "network_failure")


@dataclass(frozen=True)
class Scope:
    first: dt.date
    last: dt.date
    period: Period
    kiosk: str | None = None
    hall: str | None = None
    service: str | None = None


@dataclass
class Tally:
    """What the queries gathered for one period (or the whole range)."""

    events: Counter[str] = field(default_factory=Counter)
    abandoned_at: Counter[str] = field(default_factory=Counter)
    durations: defaultdict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    failure_minutes: Counter[str] = field(default_factory=Counter)
    delays: Counter[int] = field(default_factory=Counter)
    scores: Counter[int] = field(default_factory=Counter)
    complaints: Counter[str] = field(default_factory=Counter)
    # (callback due, callback at, resolve due, closed at) per case
    cases: list[tuple[int, int | None, int, int | None]] = field(default_factory=list)

    def add(self, other: Tally) -> None:
        for mine, theirs in (
            (self.events, other.events),
            (self.abandoned_at, other.abandoned_at),
            (self.failure_minutes, other.failure_minutes),
            (self.complaints, other.complaints),
        ):
            mine.update(theirs)
        self.delays.update(other.delays)
        self.scores.update(other.scores)
        for service, values in other.durations.items():
            self.durations[service].extend(values)
        self.cases.extend(other.cases)


class ServiceTime(BaseModel):
    completed: int
    median_ms: int | None
    p90_ms: int | None


class Satisfaction(BaseModel):
    index: float | None = Field(description="mean score mapped onto 0..100 (1 → 0, 5 → 100)")
    ratings: int
    distribution: dict[str, int] = Field(description="score 1..5 → ratings")


class OutboxDelay(BaseModel):
    items: int
    median_s: int | None
    p90_s: int | None


class FollowUp(BaseModel):
    cases: int
    callback_on_time: int
    callback_late: int
    callback_timeliness: float | None = Field(description="on time / (on time + late); null: none decided")
    resolved_on_time: int
    resolved_late: int
    resolution_timeliness: float | None


class ScorecardRow(BaseModel):
    period_start: dt.date | None = Field(description="null in the total over the whole range")
    visits: int
    sign_ins: int
    sign_in_failures: int
    services_completed: int
    services_abandoned: int
    completion_rate: float | None = Field(description="completed / (completed + abandoned)")
    abandonment_by_step: dict[str, int]
    time_per_service: dict[str, ServiceTime]
    idle_timeouts: int
    satisfaction: Satisfaction
    complaints: int
    suggestions: int
    complaint_rate_per_1000_visits: float | None
    device_failure_minutes: int
    network_failure_minutes: int
    outbox_delay: OutboxDelay
    follow_up: FollowUp


class ScorecardData(BaseModel):
    from_: dt.date = Field(alias="from")
    to: dt.date
    period: Period
    kiosk: str | None
    hall: str | None
    service: str | None
    rows: list[ScorecardRow] = Field(description="one per period with any data, oldest first")
    total: ScorecardRow


def row_figures(tally: Tally, period_start: dt.date | None, now: int, by_service: bool) -> ScorecardRow:
    """The figures of one tally. With a service filter a visit is one that entered the service (visits
    carry no service when they start)."""
    events = tally.events
    visits = events["service_entered" if by_service else "visit_started"]
    completed, abandoned = events["service_completed"], events["service_abandoned"]
    times = {}
    for service, values in sorted(tally.durations.items()):
        values.sort()
        times[service] = ServiceTime(
            completed=len(values), median_ms=percentile(values, 0.5), p90_ms=percentile(values, 0.9)
        )
    callbacks = timeliness(((c[0], c[1]) for c in tally.cases), now)
    resolutions = timeliness(((c[2], c[3]) for c in tally.cases), now)
    return ScorecardRow(
        period_start=period_start,
        visits=visits,
        sign_ins=events["signed_in"],
        sign_in_failures=events["sign_in_failed"],
        services_completed=completed,
        services_abandoned=abandoned,
        completion_rate=share(completed, completed + abandoned),
        abandonment_by_step=dict(sorted(tally.abandoned_at.items())),
        time_per_service=times,
        idle_timeouts=events["idle_timeout"],
        satisfaction=Satisfaction(
            index=satisfaction_index(tally.scores),
            ratings=sum(tally.scores.values()),
            distribution={str(score): tally.scores[score] for score in range(1, 6)},
        ),
        complaints=tally.complaints["complaint"],
        suggestions=tally.complaints["suggestion"],
        complaint_rate_per_1000_visits=per_thousand(tally.complaints["complaint"], visits),
        device_failure_minutes=tally.failure_minutes["device_failure"],
        network_failure_minutes=tally.failure_minutes["network_failure"],
        outbox_delay=OutboxDelay(
            items=sum(tally.delays.values()),
            median_s=percentile_of_counts(tally.delays, 0.5),
            p90_s=percentile_of_counts(tally.delays, 0.9),
        ),
        follow_up=FollowUp(
            cases=len(tally.cases),
            callback_on_time=callbacks.on_time,
            callback_late=callbacks.late,
            callback_timeliness=callbacks.share,
            resolved_on_time=resolutions.on_time,
            resolved_late=resolutions.late,
            resolution_timeliness=resolutions.share,
        ),
    )


def _where(model: Any, scope: Scope, with_service: bool = True) -> list[ColumnElement[bool]]:
    conditions = [model.day.between(day_key(scope.first), day_key(scope.last))]
    if scope.kiosk is not None:
        conditions.append(model.terminal_id == scope.kiosk)
    if scope.hall is not None:
        conditions.append(model.hall == scope.hall)
    if scope.service is not None and with_service:
        conditions.append(model.service == scope.service)
    return conditions


def gather(session: Session, scope: Scope) -> dict[int, Tally]:
    """Period start (YYYYMMDD) → its tally."""
    tallies: defaultdict[int, Tally] = defaultdict(Tally)
    days = TouchpointDay
    period = getattr(days, scope.period)
    for key, event, step, count in session.execute(
        select(period, days.event, days.step, func.sum(days.touchpoints))
        .where(*_where(days, scope))
        .group_by(period, days.event, days.step)
    ):
        tallies[key].events[event] += count
        if event == "service_abandoned":
            tallies[key].abandoned_at[step] = count
    tp = Touchpoint
    period = getattr(tp, scope.period)
    where = _where(tp, scope)
    for key, service, durations in session.execute(
        select(period, tp.service, func.aggregate_strings(cast(tp.duration_ms, String), ","))
        .where(tp.event == "service_completed", tp.duration_ms.is_not(None), tp.service.is_not(None), *where)
        .group_by(period, tp.service)
    ):
        tallies[key].durations[service] = [int(ms) for ms in durations.split(",")]
    minutes = (
        select(period.label("p"), tp.event.label("e"), tp.terminal_id, (tp.at_s // 60).label("m"))
        .where(tp.event.in_(_FAILURES), *where)
        .distinct()
        .subquery()
    )
    for key, event, count in session.execute(
        select(minutes.c.p, minutes.c.e, func.count()).group_by(minutes.c.p, minutes.c.e)
    ):
        tallies[key].failure_minutes[event] = count
    for key, delay, count in session.execute(
        select(period, tp.delay_s, func.count())
        .where(tp.event == "visit_ended", tp.delay_s.is_not(None), *where)
        .group_by(period, tp.delay_s)
    ):
        tallies[key].delays[delay] = count
    _gather_feedback(session, scope, tallies)
    return dict(tallies)


def _gather_feedback(session: Session, scope: Scope, tallies: defaultdict[int, Tally]) -> None:
    period = getattr(Rating, scope.period)
    for key, score, count in session.execute(
        select(period, Rating.score, func.count())
        .where(*_where(Rating, scope))
        .group_by(period, Rating.score)
    ):
        tallies[key].scores[score] = count
    # A complaint names a topic, not a service: the service filter does not apply to it.
    period = getattr(Complaint, scope.period)
    for key, category, count in session.execute(
        select(period, Complaint.category, func.count())
        .where(*_where(Complaint, scope, with_service=False))
        .group_by(period, Complaint.category)
    ):
        tallies[key].complaints[category] = count
    case = FollowUpCase
    period = getattr(case, scope.period)
    for key, callback_due, callback_at, resolve_due, closed_at in session.execute(
        select(period, case.callback_due, case.callback_at, case.resolve_due, case.closed_at).where(
            *_where(case, scope)
        )
    ):
        tallies[key].cases.append((callback_due, callback_at, resolve_due, closed_at))


def scorecard(session: Session, scope: Scope, now: int) -> ScorecardData:
    tallies = gather(session, scope)
    total = Tally()
    rows = []
    by_service = scope.service is not None
    for key in sorted(tallies):
        total.add(tallies[key])
        rows.append(row_figures(tallies[key], key_day(key), now, by_service))
    return ScorecardData.model_validate(
        {
            "from": scope.first,
            "to": scope.last,
            "period": scope.period,
            "kiosk": scope.kiosk,
            "hall": scope.hall,
            "service": scope.service,
            "rows": rows,
            "total": row_figures(total, None, now, by_service),
        }
    )


def seen(session: Session, first: dt.date, last: dt.date) -> tuple[list[str], list[str]]:
    """The kiosks (and other channels' systems) and the services with any touchpoint counted from `first` to
    `last`, sorted: what the console compares one by one with `scorecard` itself, so its figures are the
    JSON API's."""
    days = TouchpointDay
    in_range = days.day.between(day_key(first), day_key(last))
    terminals = session.scalars(
        select(days.terminal_id).where(in_range).distinct().order_by(days.terminal_id)
    )
    services = session.scalars(
        select(days.service).where(in_range, days.service != "").distinct().order_by(days.service)
    )
    return list(terminals), list(services)
