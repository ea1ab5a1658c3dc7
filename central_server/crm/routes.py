"""CRM endpoints. Operators (operator token): one customer's profile and timeline, follow-up cases, the
scorecard. Other channels (channel token): their touchpoints. Every answer masks personal data."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field, replace
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, FastAPI, Path, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from central_server.context import Context
from central_server.crm import phone_vault, store
from central_server.crm.deadlines import CaseDeadlines, case_state
from central_server.crm.models import CaseNote, ChannelBatch, Complaint, FollowUpCase, Rating, Touchpoint
from central_server.crm.periods import Period
from central_server.crm.scorecard import Scope, ScorecardData, scorecard
from central_server.dates import centre_today
from central_server.envelope import ApiError, Code, Envelope, error_responses, ok
from central_server.fleet.routes import Operator
from central_server.intake_schemas import IntakeKind, ItemRefused, ShortCode, check_payload
from central_server.models import Citizen, CitizenReference, IntakeRecord
from central_server.security import secret_matches
from kiosk.masking import mask_id_number, mask_name, mask_phone

# The longest range one scorecard request may cover: two years of days.
MAX_SCORECARD_DAYS = 731
DEFAULT_SCORECARD_DAYS = 30
MAX_CHANNEL_EVENTS = 500
_APPLICATION_KINDS = ("withdrawal_application", "appointment", "pre_registration")
# What `kiosk-central serve --demo` admits besides any --channel-token, so the demo's other channels can
# post touchpoints (docs/touchpoints.md). Never for production: it is public.
DEMO_CHANNEL_TOKEN = "demo-channel-token-not-for-production"


@dataclass(frozen=True)
class CrmSettings:
    """`channel_tokens` admit other channels' systems to POST /v1/channels/touchpoints (none: refused)."""

    channel_tokens: tuple[str, ...] = ()
    deadlines: CaseDeadlines = field(default_factory=CaseDeadlines)


def _settings(request: Request) -> CrmSettings:
    settings: CrmSettings = request.app.state.crm
    return settings


Settings = Annotated[CrmSettings, Depends(_settings)]
_channel_bearer = HTTPBearer(auto_error=False, scheme_name="ChannelToken", description="a channel token")


def _channel(
    settings: Settings, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_channel_bearer)]
) -> None:
    if credentials is None or not any(
        secret_matches(credentials.credentials, token) for token in settings.channel_tokens
    ):
        raise ApiError(Code.CHANNEL_UNAUTHORISED, "missing or wrong channel token")


Channel = Annotated[None, Depends(_channel)]

operator_router = APIRouter(prefix="/v1/admin", tags=["operators"])
channel_router = APIRouter(prefix="/v1/channels", tags=["channels"])


def _when(unix: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(unix, dt.UTC)


def _when_if(unix: int | None) -> dt.datetime | None:
    """For the instants a case has only once it got that far (callback, closing)."""
    return None if unix is None else _when(unix)


# -- other channels ----------------------------------------------------------------------------------


class ChannelTouchpoints(BaseModel):
    model_config = ConfigDict(extra="forbid")

    source: ShortCode = Field(description="the sending system's id (a web site, a counter, a hotline desk)")
    batch_id: str = Field(
        pattern=r"^[A-Za-z0-9._:-]{8,64}$",
        description="the sender's key of this request, unique per source: a resend with the same key and "
        "content is answered as accepted and not stored again; the same key with other content is refused",
    )
    hall: ShortCode | None = Field(default=None, description="the hall, for a counter; else the channel")
    citizen_ref: str | None = Field(
        default=None, pattern=r"^[A-Za-z0-9_-]{1,40}$", description="the centre's pseudonym, when known"
    )
    events: list[dict[str, Any]] = Field(min_length=1, max_length=MAX_CHANNEL_EVENTS)


class ChannelAccepted(BaseModel):
    accepted: int = Field(description="the events stored under this batch_id (the first time it came)")
    duplicate: bool = Field(description="true when this batch_id was accepted before; nothing stored now")


def _digest(body: ChannelTouchpoints) -> str:
    canonical = json.dumps(
        body.model_dump(mode="json", exclude={"batch_id"}),
        ensure_ascii=False,
        sort_keys=True,
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def _repeat(batch: ChannelBatch, digest: str) -> ChannelAccepted:
    if batch.digest != digest:
        raise ApiError(
            Code.BATCH_CONFLICT,
            f"batch_id {batch.batch_id} of source {batch.source} was used before for other content; "
            "send new content under a new batch_id",
        )
    return ChannelAccepted(accepted=batch.accepted, duplicate=True)


def _sent_before(session: Session, body: ChannelTouchpoints) -> ChannelBatch | None:
    return session.scalars(
        select(ChannelBatch).where(ChannelBatch.source == body.source, ChannelBatch.batch_id == body.batch_id)
    ).one_or_none()


@channel_router.post(
    "/touchpoints",
    responses=error_responses(
        Code.BAD_REQUEST, Code.CHANNEL_UNAUTHORISED, Code.NOT_FOUND, Code.BATCH_CONFLICT
    ),
)
def channel_touchpoints(
    body: ChannelTouchpoints, context: Context, _channel: Channel
) -> Envelope[ChannelAccepted]:
    """Checked like the kiosk's touchpoint_event items; all or none are stored, once per (source,
    batch_id). The channel must not be `kiosk` (kiosks file theirs through the intake)."""
    now = context.clock()
    digest = _digest(body)
    checked = []
    for index, event in enumerate(body.events):
        try:
            payload = check_payload(IntakeKind.TOUCHPOINT_EVENT, now, event, now).payload
        except ItemRefused as refusal:
            raise ApiError(Code.BAD_REQUEST, f"events.{index}: {refusal}") from None
        if payload["channel"] == "kiosk":
            raise ApiError(Code.BAD_REQUEST, f"events.{index}: channel kiosk files through /v1/intake/batch")
        checked.append(payload)
    received_at = int(now.timestamp())
    with context.db.transaction() as session:
        earlier = _sent_before(session, body)
        if earlier is not None:
            return ok(context.sequence, _repeat(earlier, digest), "already accepted")
        if body.citizen_ref is not None and session.get(CitizenReference, body.citizen_ref) is None:
            raise ApiError(Code.NOT_FOUND, "citizen_ref: no such customer reference")
        try:
            # The key first: a worker storing the same batch at the same moment makes this one wait for
            # its commit (PostgreSQL) and then fail on the unique key, before anything is stored twice.
            with session.begin_nested():
                session.add(
                    ChannelBatch(
                        source=body.source,
                        batch_id=body.batch_id,
                        digest=digest,
                        accepted=len(checked),
                        received_at=received_at,
                    )
                )
        except IntegrityError:
            earlier = _sent_before(session, body)
            assert earlier is not None
            return ok(context.sequence, _repeat(earlier, digest), "already accepted")
        for payload in checked:
            store.add_touchpoint(
                session,
                payload,
                source=body.source,
                hall=body.hall or payload["channel"],
                citizen_ref=body.citizen_ref,
                received_at=received_at,
                created_at=None,
            )
    return ok(context.sequence, ChannelAccepted(accepted=len(checked), duplicate=False))


# -- one customer --------------------------------------------------------------------------------------


class CustomerProfile(BaseModel):
    citizen_ref: str
    name: str = Field(description="masked")
    id_number: str = Field(description="masked")
    account_status: str | None


class TimelineEntry(BaseModel):
    at: dt.datetime
    kind: Literal["touchpoint", "rating", "complaint", "application"]
    channel: str
    where: str = Field(description="the kiosk or the source system")
    what: str = Field(description="the event, score, category or application kind")
    service: str | None
    reference: str | None


class CustomerData(BaseModel):
    profile: CustomerProfile
    timeline: list[TimelineEntry] = Field(description="newest first")


@operator_router.get(
    "/customers/{citizen_ref}", responses=error_responses(Code.OPERATOR_UNAUTHORISED, Code.NOT_FOUND)
)
def customer(
    citizen_ref: Annotated[str, Path(max_length=40)],
    context: Context,
    _operator: Operator,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> Envelope[CustomerData]:
    """The unified view for staff systems: touchpoints of every channel, ratings, complaints and
    applications of one customer, by the centre's pseudonym."""
    with context.db.transaction() as session:
        reference = session.get(CitizenReference, citizen_ref)
        if reference is None:
            raise ApiError(Code.NOT_FOUND, "no customer with this reference")
        citizen = session.get(Citizen, reference.citizen_id)
        assert citizen is not None
        profile = CustomerProfile(
            citizen_ref=citizen_ref,
            name=mask_name(citizen.name),
            id_number=mask_id_number(citizen.id_number),
            account_status=citizen.account.status if citizen.account else None,
        )
        timeline = sorted(_timeline(session, citizen_ref, limit), key=lambda entry: entry.at, reverse=True)
    return ok(context.sequence, CustomerData(profile=profile, timeline=timeline[:limit]))


def _timeline(session: Session, ref: str, limit: int) -> list[TimelineEntry]:
    entries = [
        TimelineEntry(
            at=_when(t.at_s),
            kind="touchpoint",
            channel=t.channel,
            where=t.terminal_id,
            what=t.event,
            service=t.service,
            reference=None,
        )
        for t in session.scalars(
            select(Touchpoint)
            .where(Touchpoint.citizen_ref == ref)
            .order_by(Touchpoint.at_s.desc())
            .limit(limit)
        )
    ]
    entries += [
        TimelineEntry(
            at=_when(r.rated_at),
            kind="rating",
            channel="kiosk",
            where=r.terminal_id,
            what=f"score {r.score}",
            service=r.service,
            reference=r.case_ref,
        )
        for r in session.scalars(
            select(Rating).where(Rating.citizen_ref == ref).order_by(Rating.rated_at.desc()).limit(limit)
        )
    ]
    entries += [
        TimelineEntry(
            at=_when(c.filed_at),
            kind="complaint",
            channel="kiosk",
            where=c.terminal_id,
            what=f"{c.category} {c.topic}",
            service=None,
            reference=c.reference,
        )
        for c in session.scalars(
            select(Complaint)
            .where(Complaint.citizen_ref == ref)
            .order_by(Complaint.filed_at.desc())
            .limit(limit)
        )
    ]
    entries += [
        TimelineEntry(
            at=a.kiosk_created_at or _when(a.received_at),
            kind="application",
            channel="kiosk",
            where=a.terminal_id,
            what=a.kind,
            service=None,
            reference=a.reference,
        )
        for a in session.scalars(
            select(IntakeRecord)
            .where(
                IntakeRecord.citizen_ref == ref,
                IntakeRecord.status == "accepted",
                IntakeRecord.kind.in_(_APPLICATION_KINDS),
            )
            .order_by(IntakeRecord.id.desc())
            .limit(limit)
        )
    ]
    return entries


# -- follow-up cases -----------------------------------------------------------------------------------


class CaseNoteData(BaseModel):
    at: dt.datetime
    kind: str
    text: str


class CaseData(BaseModel):
    id: int
    state: Literal["open", "overdue", "closed"]
    case_ref: str
    service: str
    terminal_id: str
    hall: str
    score: int
    reasons: list[str]
    callback_phone: str | None = Field(description="masked")
    opened_at: dt.datetime
    callback_due: dt.datetime
    resolve_due: dt.datetime
    assignee: str | None
    callback_at: dt.datetime | None
    closed_at: dt.datetime | None
    resolution: str | None
    notes: list[CaseNoteData]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class AssignBody(_Body):
    assignee: str = Field(pattern=r"^[A-Za-z0-9_.@-]{1,64}$", description="a staff id")


class NoteBody(_Body):
    text: str = Field(min_length=1, max_length=2000)


class CloseBody(_Body):
    resolution: str = Field(min_length=1, max_length=2000)


def _case_data(session: Session, case: FollowUpCase, now: int) -> CaseData:
    rating = session.get(Rating, case.rating_id)
    assert rating is not None
    phone = phone_vault.open_sealed(session, rating.phone_cipher)
    notes = session.scalars(select(CaseNote).where(CaseNote.case_id == case.id).order_by(CaseNote.id))
    return CaseData(
        id=case.id,
        state=case_state(now, case.callback_due, case.resolve_due, case.callback_at, case.closed_at),
        case_ref=rating.case_ref,
        service=case.service,
        terminal_id=case.terminal_id,
        hall=case.hall,
        score=rating.score,
        reasons=rating.reasons.split(",") if rating.reasons else [],
        callback_phone=None if phone is None else mask_phone(phone),
        opened_at=_when(case.opened_at),
        callback_due=_when(case.callback_due),
        resolve_due=_when(case.resolve_due),
        assignee=case.assignee,
        callback_at=_when_if(case.callback_at),
        closed_at=_when_if(case.closed_at),
        resolution=case.resolution,
        notes=[CaseNoteData(at=_when(n.at), kind=n.kind, text=n.text) for n in notes],
    )


@operator_router.get("/cases", responses=error_responses(Code.BAD_REQUEST, Code.OPERATOR_UNAUTHORISED))
def list_cases(
    context: Context,
    _operator: Operator,
    state: Literal["open", "overdue", "all"] = "open",
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> Envelope[list[CaseData]]:
    """`open`: every case not closed (overdue ones too); `overdue`: those past a deadline; oldest first."""
    now = context.unix_now()
    query = select(FollowUpCase).order_by(FollowUpCase.opened_at, FollowUpCase.id).limit(limit)
    if state != "all":
        query = query.where(FollowUpCase.closed_at.is_(None))
    if state == "overdue":
        query = query.where(
            or_(
                FollowUpCase.resolve_due <= now,
                (FollowUpCase.callback_at.is_(None)) & (FollowUpCase.callback_due <= now),
            )
        )
    with context.db.transaction() as session:
        cases = [_case_data(session, case, now) for case in session.scalars(query)]
    return ok(context.sequence, cases)


CaseId = Annotated[int, Path(ge=1)]
_CASE_ERRORS = (Code.BAD_REQUEST, Code.OPERATOR_UNAUTHORISED, Code.NOT_FOUND, Code.CASE_CLOSED)


def _open_case(session: Session, case_id: int) -> FollowUpCase:
    case = session.get(FollowUpCase, case_id, with_for_update=True)
    if case is None:
        raise ApiError(Code.NOT_FOUND, f"no follow-up case {case_id}")
    if case.closed_at is not None:
        raise ApiError(Code.CASE_CLOSED, f"follow-up case {case_id} is closed")
    return case


def _change(context: Any, case_id: int, kind: str, text: str, apply: Any) -> Envelope[CaseData]:
    now = context.unix_now()
    with context.db.transaction() as session:
        case = _open_case(session, case_id)
        apply(case, now)
        session.add(CaseNote(case_id=case.id, kind=kind, text=text, at=now))
        session.flush()
        data = _case_data(session, case, now)
    return ok(context.sequence, data)


@operator_router.post("/cases/{case_id}/assign", responses=error_responses(*_CASE_ERRORS))
def assign_case(
    case_id: CaseId, body: AssignBody, context: Context, _operator: Operator
) -> Envelope[CaseData]:
    return _change(
        context, case_id, "assign", body.assignee, lambda case, _now: setattr(case, "assignee", body.assignee)
    )


@operator_router.post("/cases/{case_id}/notes", responses=error_responses(*_CASE_ERRORS))
def note_case(case_id: CaseId, body: NoteBody, context: Context, _operator: Operator) -> Envelope[CaseData]:
    return _change(context, case_id, "note", body.text, lambda _case, _now: None)


@operator_router.post("/cases/{case_id}/callback", responses=error_responses(*_CASE_ERRORS))
def callback_case(
    case_id: CaseId, body: NoteBody, context: Context, _operator: Operator
) -> Envelope[CaseData]:
    """Records that the citizen was called back (the first call counts for the deadline)."""

    def called(case: FollowUpCase, now: int) -> None:
        if case.callback_at is None:
            case.callback_at = now

    return _change(context, case_id, "callback", body.text, called)


@operator_router.post("/cases/{case_id}/close", responses=error_responses(*_CASE_ERRORS))
def close_case(case_id: CaseId, body: CloseBody, context: Context, _operator: Operator) -> Envelope[CaseData]:
    def closed(case: FollowUpCase, now: int) -> None:
        case.closed_at = now
        case.resolution = body.resolution

    return _change(context, case_id, "close", body.resolution, closed)


# -- scorecard -----------------------------------------------------------------------------------------


@operator_router.get("/scorecard", responses=error_responses(Code.BAD_REQUEST, Code.OPERATOR_UNAUTHORISED))
def get_scorecard(
    context: Context,
    _operator: Operator,
    from_: Annotated[dt.date | None, Query(alias="from", description="first day, centre time")] = None,
    to: Annotated[dt.date | None, Query(description="last day, centre time (default today)")] = None,
    kiosk: Annotated[str | None, Query(max_length=64)] = None,
    hall: Annotated[str | None, Query(max_length=64)] = None,
    service: Annotated[str | None, Query(max_length=32)] = None,
    period: Period = "day",
) -> Envelope[ScorecardData]:
    """Figures per period from `from` to `to` (both included; default the 30 days to today) and their
    total, for one kiosk, hall or service or all of them (docs/scorecard.md defines each figure)."""
    last = to or centre_today(context.clock())
    first = from_ or last - dt.timedelta(days=DEFAULT_SCORECARD_DAYS - 1)
    if first > last:
        raise ApiError(Code.BAD_REQUEST, "query parameter from: must not be after to")
    if (last - first).days >= MAX_SCORECARD_DAYS:
        raise ApiError(Code.BAD_REQUEST, f"query parameters from/to: at most {MAX_SCORECARD_DAYS} days")
    scope = Scope(first, last, period, kiosk, hall, service)
    with context.db.transaction() as session:
        data = scorecard(session, scope, context.unix_now())
    return ok(context.sequence, data)


def install(app: FastAPI, settings: CrmSettings, *, demo: bool = False) -> None:
    """Add the CRM endpoints; the intake reads the case deadlines from the same settings. `demo` admits
    `DEMO_CHANNEL_TOKEN` as well."""
    if demo:
        settings = replace(settings, channel_tokens=(*settings.channel_tokens, DEMO_CHANNEL_TOKEN))
    app.state.crm = settings
    app.include_router(operator_router)
    app.include_router(channel_router)
