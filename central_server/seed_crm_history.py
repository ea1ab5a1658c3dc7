"""A year of synthetic service-quality history for the demo's scorecard and customer view: the touchpoints of
visits at a dozen kiosks in four halls, the ratings some of them left (the bad ones with follow-up cases in
every state: called back and closed on time or late, still open, overdue), a few complaints and suggestions,
and the visits some citizens paid on the other channels (web, WeChat, app, the 12329 hotline, a counter).

About 60 % of the kiosk visits are a seeded citizen's signed-in visits: from `signed_in` on, their
touchpoints, rating and complaint carry the citizen's pseudonymous reference, made as the sign-in makes it
(visit_keys), so the customer view shows that citizen's year. The others never sign in (a failed sign-in,
or the citizen walked away) and carry none. Other channels send whole visits under the reference, as
`POST /v1/channels/touchpoints` does. Every touchpoint is counted in crm_touchpoint_days, as the intake
counts it.

Deterministic from the seed and the centre's date, like `seed.py` (the references aside: their key is each
centre's own). Rows go in as a few bulk inserts: this adds about a second to the demo centre's start."""

from __future__ import annotations

import datetime as dt
import itertools
import random
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from central_server import visit_keys, visit_ticket
from central_server.appointment_rules import is_working_day
from central_server.crm.deadlines import CaseDeadlines, case_deadlines
from central_server.crm.models import Complaint, FollowUpCase, Rating, Touchpoint
from central_server.crm.periods import period_keys
from central_server.crm.store import count_touchpoints
from central_server.dates import CENTRE_TZ
from central_server.db import follow_given_ids
from central_server.intake_schemas import COMPLAINT_TOPICS, RATING_REASONS
from central_server.models import Citizen, CitizenReference
from kiosk.transaction_numbers import kiosk_code, readable

HISTORY_DAYS = 365
KIOSKS = tuple(f"KIOSK-HIST-{n:02d}" for n in range(1, 13))
HALLS = ("hall-north", "hall-south", "hall-east", "hall-west")
# Visits per kiosk and day, uniform in this range: about 8,800 visits and 45,000 touchpoints a year.
VISITS_PER_DAY = (1, 3)
SERVICES = ("overview", "deposits", "loan", "withdrawal", "appointment", "statement", "certificate")
# Median time per service in ms; each visit varies it by up to ±60 %.
_SERVICE_MS = {
    "overview": 40_000,
    "deposits": 60_000,
    "loan": 90_000,
    "withdrawal": 180_000,
    "appointment": 120_000,
    "statement": 70_000,
    "certificate": 100_000,
}
_SCORES = (1, 2, 3, 4, 5)
_SCORE_WEIGHTS = (3, 4, 8, 30, 55)
RATING_SHARE = 0.3
COMPLAINT_SHARE = 0.01
# Share of kiosk visits in which a seeded citizen signs in; the rest end before a sign-in.
SIGNED_IN_SHARE = 0.6
# Share of citizens who also use other channels, and how many such visits each pays in the year.
OTHER_CHANNEL_SHARE = 0.5
OTHER_CHANNEL_VISITS = (2, 8)


@dataclass(frozen=True)
class _Channel:
    source: str  # the sending system's id; a counter's is its hall's
    services: tuple[str, ...]
    median_ms: int  # time per service; each visit varies it by up to ±60 %
    # Online the citizen signs in, any day from 7:00 to 23:00; at the hotline and the counters staff
    # identify the citizen, on working days from 9:00 to 17:00.
    online: bool


_CHANNELS = {
    "web": _Channel("WEB-PORTAL", ("overview", "deposits", "statement", "certificate"), 90_000, online=True),
    "wechat": _Channel("WECHAT-MP", ("overview", "deposits", "appointment", "status"), 60_000, online=True),
    "app": _Channel("MOBILE-APP", ("overview", "deposits", "loan", "withdrawal"), 60_000, online=True),
    "hotline": _Channel("HOTLINE-12329", ("overview", "loan", "status"), 240_000, online=False),
    "counter": _Channel("COUNTER", ("withdrawal", "loan", "pre_registration"), 600_000, online=False),
}
# A kiosk visit's events before the sign-in: the kiosk has no visit ticket yet, so they carry no reference.
_BEFORE_SIGN_IN = frozenset({"visit_started", "sign_in_failed"})


def seed_crm_history(session: Session, *, seed: int, today: dt.date) -> None:
    """Adds the history; run once, right after the seeding."""
    rng = random.Random(f"{seed}-crm-history")
    refs = _citizen_refs(session)
    # A few citizens come often, most now and then.
    cum_weights = list(itertools.accumulate(0.05 + rng.random() ** 2 for _ in refs))
    touchpoints: list[dict[str, Any]] = []
    ratings: list[dict[str, Any]] = []
    cases: list[dict[str, Any]] = []
    complaints: list[dict[str, Any]] = []
    rating_id = (session.scalar(select(func.max(Rating.id))) or 0) + 1
    deadlines = CaseDeadlines()
    now = dt.datetime.combine(today, dt.time(8), CENTRE_TZ)
    for back in range(HISTORY_DAYS, 0, -1):
        day = today - dt.timedelta(days=back)
        opening = int(dt.datetime.combine(day, dt.time(9), CENTRE_TZ).timestamp())
        periods = period_keys(opening)
        for index, kiosk in enumerate(KIOSKS):
            hall = HALLS[index % len(HALLS)]
            where = {"terminal_id": kiosk, "hall": hall, **periods}
            for _ in range(rng.randint(*VISITS_PER_DAY)):
                visit_id = f"h{rng.getrandbits(60):015x}"
                start = opening + rng.randrange(8 * 3600)
                signs_in = rng.random() < SIGNED_IN_SHARE
                ref = rng.choices(refs, cum_weights=cum_weights)[0] if signs_in else None
                events = _visit(rng, start) if signs_in else _visit_without_sign_in(rng, start)
                touchpoints += [
                    {
                        **where,
                        **event,
                        "channel": "kiosk",
                        "visit_id": visit_id,
                        "citizen_ref": None if event["event"] in _BEFORE_SIGN_IN else ref,
                    }
                    for event in events
                ]
                completed = [e for e in events if e["event"] == "service_completed"]
                if completed and rng.random() < RATING_SHARE:
                    rated_at = completed[0]["at_s"] + 20
                    score = rng.choices(_SCORES, _SCORE_WEIGHTS)[0]
                    service = completed[0]["service"]
                    ratings.append(
                        {
                            **where,
                            "id": rating_id,
                            "visit_id": visit_id,
                            "case_ref": f"{service}-{visit_id}",
                            "citizen_ref": ref,
                            "service": service,
                            "score": score,
                            "reasons": ",".join(rng.sample(RATING_REASONS, rng.randint(1, 2)))
                            if score <= 2
                            else "",
                            "rating_round": 1,
                            "phone_cipher": None,
                            "rated_at": rated_at,
                            "received_at": rated_at + rng.randrange(5),
                        }
                    )
                    if score <= 2:
                        cases.append(_case(rng, rating_id, rated_at, now, deadlines, where, service))
                    rating_id += 1
                if rng.random() < COMPLAINT_SHARE:
                    filed_at = events[-1]["at_s"]
                    category = rng.choice(("complaint", "suggestion"))
                    complaints.append(
                        {
                            **where,
                            "reference": readable(kiosk_code(kiosk, visit_id)),
                            "category": category,
                            "topic": rng.choice(COMPLAINT_TOPICS),
                            "text": "测试投诉" if category == "complaint" else "测试建议",
                            "phone_cipher": None,
                            "visit_id": visit_id,
                            "citizen_ref": ref,
                            "filed_at": filed_at,
                            "received_at": filed_at + rng.randrange(5),
                        }
                    )
    touchpoints += _other_channel_visits(rng, refs, today)
    for model, rows in (
        (Touchpoint, touchpoints),
        (Rating, ratings),
        (FollowUpCase, cases),
        (Complaint, complaints),
    ):
        if rows:
            # Core inserts: the ORM's bulk insert splits these rows (their None columns differ) into tens
            # of thousands of statements, a second more at every demo start.
            session.connection().execute(insert(model), rows)
    # The ratings' ids were given (the cases refer to them); the next rating a kiosk sends gets a new one.
    follow_given_ids(session, Rating)
    count_touchpoints(session, touchpoints)


def _citizen_refs(session: Session) -> list[str]:
    """Every seeded citizen's pseudonymous reference, made and recorded as a sign-in makes and records it."""
    visit_keys.create_if_absent(session)
    key = visit_keys.load(session).citizen_ref
    ids = list(session.scalars(select(Citizen.id).order_by(Citizen.id)))
    refs = [visit_ticket.citizen_ref(citizen_id, key) for citizen_id in ids]
    if refs:
        rows = [{"ref": ref, "citizen_id": citizen_id} for ref, citizen_id in zip(refs, ids, strict=True)]
        session.execute(insert(CitizenReference), rows)
    return refs


def _visit(rng: random.Random, start: int) -> list[dict[str, Any]]:
    """One signed-in visit's events: started, a sign-in (now and then after a failed one), one service
    completed or abandoned, now and then a device or network failure or an idle timeout, ended."""
    at = start
    events = [_event("visit_started", at, detail="id_card")]
    at += rng.randint(5, 30)
    if rng.random() < 0.05:
        events.append(_event("sign_in_failed", at, detail=rng.choice(("card_unreadable", "wrong_password"))))
        at += rng.randint(5, 30)
    events.append(_event("signed_in", at))
    service = rng.choice(SERVICES)
    events.append(_event("service_entered", at, service=service))
    took_ms = int(_SERVICE_MS[service] * rng.uniform(0.4, 1.6))
    at += took_ms // 1000
    if rng.random() < 0.12:
        events.append(_event("service_abandoned", at, service=service, screen="confirm", duration_ms=took_ms))
    else:
        events.append(_event("service_completed", at, service=service, duration_ms=took_ms))
    failure = rng.random()
    if failure < 0.01:
        events.append(_event("device_failure", at, detail=rng.choice(("idcard", "printer", "bankcard"))))
    elif failure < 0.015:
        events.append(_event("network_failure", at))
    elif failure < 0.05:
        at += 120
        events.append(_event("idle_timeout", at))
    at += rng.randint(5, 20)
    events.append(_event("visit_ended", at, duration_ms=(at - start) * 1000))
    return _forwarded(rng, events)


def _visit_without_sign_in(rng: random.Random, start: int) -> list[dict[str, Any]]:
    """A visit that ends before a sign-in: the password failed, or the citizen left the password screen
    (by Exit, or by walking away until the idle timeout)."""
    at = start
    events = [_event("visit_started", at, detail="id_card")]
    ending = rng.random()
    if ending < 0.4:
        for _ in range(rng.randint(1, 2)):
            at += rng.randint(5, 30)
            events.append(
                _event("sign_in_failed", at, detail=rng.choice(("card_unreadable", "wrong_password")))
            )
    elif ending < 0.8:
        at += rng.randint(5, 60)
    else:
        at += 120
        events.append(_event("idle_timeout", at, screen="password"))
    at += rng.randint(5, 20)
    events.append(_event("visit_ended", at, duration_ms=(at - start) * 1000))
    return _forwarded(rng, events)


def _forwarded(rng: random.Random, events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Sent by the outbox: usually within seconds, now and then after a network outage."""
    delay = rng.randint(1, 5) if rng.random() < 0.97 else rng.randint(60, 3600)
    for event in events:
        event["delay_s"] = delay
        event["received_at"] = event["at_s"] + delay
    return events


def _other_channel_visits(rng: random.Random, refs: list[str], today: dt.date) -> list[dict[str, Any]]:
    """The touchpoints of the visits some citizens paid on other channels: one or two favourite channels
    each, a service per visit. Stored as the channels' endpoint stores them: under the system's id and the
    channel (a counter: its hall), without an outbox delay, counted on the day the event happened."""
    rows: list[dict[str, Any]] = []
    for ref in refs:
        if rng.random() >= OTHER_CHANNEL_SHARE:
            continue
        favourites = rng.sample(sorted(_CHANNELS), rng.randint(1, 2))
        for _ in range(rng.randint(*OTHER_CHANNEL_VISITS)):
            name = rng.choice(favourites)
            channel = _CHANNELS[name]
            day = today - dt.timedelta(days=rng.randint(1, HISTORY_DAYS))
            while not channel.online and not is_working_day(day):
                day = today - dt.timedelta(days=rng.randint(1, HISTORY_DAYS))
            first, last = (7, 23) if channel.online else (9, 17)
            start = int(dt.datetime.combine(day, dt.time(first), CENTRE_TZ).timestamp())
            start += rng.randrange((last - first) * 3600)
            hall = rng.choice(HALLS) if name == "counter" else name
            source = f"{channel.source}-{hall.upper()}" if name == "counter" else channel.source
            service = rng.choice(channel.services)
            took_ms = int(channel.median_ms * rng.uniform(0.4, 1.6))
            at = start
            events = [_event("visit_started", at)]
            if channel.online:
                at += rng.randint(5, 30)
                events.append(_event("signed_in", at))
            events.append(_event("service_entered", at, service=service))
            at += took_ms // 1000
            events.append(_event("service_completed", at, service=service, duration_ms=took_ms))
            at += rng.randint(5, 60)
            events.append(_event("visit_ended", at, duration_ms=(at - start) * 1000))
            visit_id = f"h{rng.getrandbits(60):015x}"
            received_at = at + rng.randint(1, 60)
            rows += [
                {
                    **event,
                    "terminal_id": source,
                    "hall": hall,
                    "channel": name,
                    "visit_id": visit_id,
                    "citizen_ref": ref,
                    "delay_s": None,
                    "received_at": received_at,
                    **period_keys(event["at_s"]),
                }
                for event in events
            ]
    return rows


def _event(
    event: str,
    at_s: int,
    *,
    service: str | None = None,
    screen: str | None = None,
    detail: str | None = None,
    duration_ms: int | None = None,
) -> dict[str, Any]:
    return {
        "event": event,
        "at_s": at_s,
        "service": service,
        "screen": screen,
        "detail": detail,
        "duration_ms": duration_ms,
    }


def _case(
    rng: random.Random,
    rating_id: int,
    opened_at: int,
    now: dt.datetime,
    deadlines: CaseDeadlines,
    where: dict[str, Any],
    service: str,
) -> dict[str, Any]:
    """A bad rating's case: the older it is, the likelier done; a few late, a few left overdue."""
    callback_due, resolve_due = (
        int(d.timestamp()) for d in case_deadlines(dt.datetime.fromtimestamp(opened_at, CENTRE_TZ), deadlines)
    )
    horizon = int(now.timestamp())
    fate = rng.random()
    callback_at: int | None = None
    closed_at: int | None = None
    if fate < 0.9:
        callback_at = callback_due - rng.randrange(3600, 6 * 3600) if fate < 0.75 else callback_due + 86_400
        closed_at = resolve_due - rng.randrange(86_400, 5 * 86_400) if fate < 0.8 else resolve_due + 86_400
    # Nothing happened after today: what lies ahead stays undone.
    callback_at = callback_at if callback_at is not None and callback_at < horizon else None
    closed_at = closed_at if closed_at is not None and closed_at < horizon and callback_at else None
    return {
        **where,
        "rating_id": rating_id,
        "service": service,
        "opened_at": opened_at,
        "callback_due": callback_due,
        "resolve_due": resolve_due,
        "assignee": "staff01" if callback_at else None,
        "callback_at": callback_at,
        "closed_at": closed_at,
        "resolution": "已回访并处理" if closed_at else None,
    }
