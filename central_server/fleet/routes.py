"""Fleet endpoints. Kiosks (terminal token): fetch their configuration bundle, report what they did with
it, send heartbeats. Operators (operator token): publish bundles with staged rollouts, watch rollouts and
the fleet.

A kiosk's group is the centre's record (`context.terminals`), never the kiosk's claim: it decides which
bundle a kiosk is offered and whose reports a stage of a rollout waits for. A bundle is published only if
the kiosks' own checker (`kiosk.remote_config.bundle`, pure: no Kivy, devices or HTTP) passes it, so what
the centre stores is what the kiosks accept.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, Literal

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from fastapi import APIRouter, Depends, FastAPI, Header, Request, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field
from sqlalchemy import delete, func, select

from central_server.auth import TerminalId
from central_server.context import Context
from central_server.envelope import ApiError, Code, Envelope, error_responses, ok
from central_server.fleet.models import (
    ConfigBundle,
    ConfigReport,
    KioskHeartbeatHistory,
    KioskStatus,
    Rollout,
)
from central_server.security import secret_matches
from central_server.terminals import TerminalRecord
from kiosk.remote_config.bundle import (
    MAX_VERSION,
    BundleRefused,
    OperatorKeyFileError,
    VerifiedBundle,
    load_trusted_keys,
    parse_bundle,
    targets,
    verify_publishable,
)

Outcome = Literal["applied", "deferred", "refused", "rolled_back", "healthy"]
OutOfServiceReason = Literal["device_fault", "paper", "maintenance", "network", "other"]
FAILED = ("refused", "rolled_back")
LIVE = ("running", "paused")  # a rollout that can still go on: reports count, failures can stop it
MAX_FAILURES = 10_000
MAX_STAGES = 100
_GROUP = r"^[A-Za-z0-9_.-]{1,64}$"
# The heartbeat history the console charts: a day, and no more rows than a day at ~1 min (a kiosk set to
# beat every 10 s keeps its last ~4 h rather than filling the table).
HISTORY_S = 24 * 3600
HISTORY_ROWS = 1500


@dataclass(frozen=True)
class FleetSettings:
    operator_tokens: tuple[str, ...]
    operator_keys: dict[str, Ed25519PublicKey]


def _fleet(request: Request) -> FleetSettings:
    settings: FleetSettings = request.app.state.fleet
    return settings


Fleet = Annotated[FleetSettings, Depends(_fleet)]
_operator_bearer = HTTPBearer(auto_error=False, scheme_name="OperatorToken", description="an operator token")


def _operator(
    fleet: Fleet, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_operator_bearer)]
) -> None:
    if credentials is None or not any(
        secret_matches(credentials.credentials, token) for token in fleet.operator_tokens
    ):
        raise ApiError(Code.OPERATOR_UNAUTHORISED, "missing or wrong operator token")


Operator = Annotated[None, Depends(_operator)]


# -- schemas -----------------------------------------------------------------------------------------


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class BundleData(BaseModel):
    version: int
    bundle: dict[str, Any]


class ConfigReportBody(_Body):
    version: int = Field(ge=0, le=MAX_VERSION, description="0: a bundle whose version could not be read")
    outcome: Outcome
    reason: str = Field(default="", max_length=300)


class DeviceHealth(_Body):
    state: str = Field(max_length=20)
    detail: str = Field(default="", max_length=200)


class OutboxHealth(_Body):
    depth: int = Field(ge=0)
    oldest_pending_age_s: int | None = Field(default=None, ge=0)


class StartProblem(_Body):
    part: str = Field(
        max_length=40, description="e.g. idcard, printer, remote_config, outbox, forwarder, fleet"
    )
    reason: str = Field(max_length=300)


class HeartbeatBody(_Body):
    app_version: str = Field(max_length=40)
    config_version: int = Field(ge=0, le=MAX_VERSION)
    uptime_s: int = Field(ge=0)
    devices: dict[str, DeviceHealth] = Field(default_factory=dict)
    paper: Literal["ok", "near_end", "out", "unknown"] | None = None
    outbox: OutboxHealth | None = None
    connectivity: Literal["online", "degraded", "offline"]
    last_error: str | None = Field(default=None, max_length=300)
    problems: list[StartProblem] = Field(
        default_factory=list, max_length=20, description="parts that did not start, until a restart"
    )
    in_service: bool = Field(
        default=True, strict=True, description="false: staff (or the kiosk) took it out of service"
    )
    out_of_service_reason: OutOfServiceReason | None = None
    out_of_service_since: AwareDatetime | None = None
    heartbeat_interval_s: int | None = Field(
        default=None,
        ge=10,
        le=3600,
        description="how often this kiosk beats; the centre counts it offline after two intervals of silence "
        "(60 s when absent)",
    )


class PublishBody(_Body):
    bundle: dict[str, Any]
    stages: list[Annotated[str, Field(pattern=_GROUP)]] | None = Field(
        default=None, min_length=1, max_length=MAX_STAGES
    )
    max_failures: int = Field(default=0, ge=0, le=MAX_FAILURES, description="failing kiosks tolerated")


class PublishedData(BaseModel):
    version: int
    target: str
    stages: list[str] | None


class RolloutData(BaseModel):
    version: int
    target: str
    stages: list[str] | None
    stage_index: int
    state: str
    failures: int
    max_failures: int
    stopped_reason: str
    outcomes: dict[str, int]
    waiting_for: list[str] = Field(description="kiosks of the current stage that have not reported yet")


class KioskData(BaseModel):
    terminal_id: str
    group: str
    last_seen: int | None = Field(description="null: no heartbeat yet")
    heartbeat: dict[str, Any] | None
    last_report: dict[str, Any] | None


# -- rollout logic -----------------------------------------------------------------------------------


def _reached(rollout: Rollout | None, group: str) -> bool:
    if rollout is None or rollout.state == "complete":
        return True
    # A paused or stopped rollout stays with the groups it had reached; it goes no further.
    return group in json.loads(rollout.stages)[: rollout.stage_index + 1]


def _offered(bundle: ConfigBundle, rollout: Rollout | None, kiosk: TerminalRecord) -> bool:
    return targets(bundle.target, kiosk.terminal_id, kiosk.group) and _reached(rollout, kiosk.group)


def stage_members(terminals: Mapping[str, TerminalRecord], target: str, group: str) -> set[str]:
    """The kiosks a stage waits for: every kiosk on record in the group that the bundle targets, whether or
    not it has ever sent a heartbeat (one that is switched off holds the stage; it is not skipped)."""
    return {
        kiosk.terminal_id
        for kiosk in terminals.values()
        if kiosk.group == group and targets(target, kiosk.terminal_id, kiosk.group)
    }


@dataclass(frozen=True)
class Reports:
    """The kiosks that reported a version healthy, and those that reported it failed (each at least once)."""

    healthy: set[str]
    failed: set[str]


def reports_for(session: Any, version: int) -> Reports:
    rows = session.execute(
        select(ConfigReport.terminal_id, ConfigReport.outcome).where(ConfigReport.version == version)
    ).all()
    return Reports({t for t, o in rows if o == "healthy"}, {t for t, o in rows if o in FAILED})


def _waiting_for(
    rollout: Rollout, target: str, terminals: Mapping[str, TerminalRecord], reports: Reports
) -> set[str]:
    group = json.loads(rollout.stages)[rollout.stage_index]
    return stage_members(terminals, target, group) - reports.healthy - reports.failed


def _settle(
    session: Any, rollout: Rollout, bundle: ConfigBundle, terminals: Mapping[str, TerminalRecord], report: str
) -> None:
    """After a report: count the failing kiosks (each once, however often it reports), stop the rollout
    past the tolerance (paused or not: the kiosks of the stages reached keep applying it), else move on
    while the current stage has settled (each of its kiosks reported healthy or a tolerated failure) and
    the rollout is not paused."""
    reports = reports_for(session, rollout.version)
    offered = {tid for tid, kiosk in terminals.items() if _offered(bundle, rollout, kiosk)}
    rollout.failures = len(reports.failed & offered)
    if rollout.failures > rollout.max_failures:
        rollout.state = "stopped"
        rollout.stopped_reason = report[:200]
        return
    while rollout.state == "running" and not _waiting_for(rollout, bundle.target, terminals, reports):
        if rollout.stage_index + 1 >= len(json.loads(rollout.stages)):
            rollout.state = "complete"
        else:
            rollout.stage_index += 1


class PublishRefused(Exception):
    """A bundle or rollout the centre will not publish; `str()` is the reason the operator is given."""


def publish_bundle(
    session: Any,
    data: dict[str, Any] | bytes,
    *,
    stages: list[str],
    max_failures: int,
    trusted_keys: dict[str, Ed25519PublicKey],
    terminals: Mapping[str, TerminalRecord],
    now: datetime,
) -> VerifiedBundle:
    """Check a signed bundle as the kiosks would (with the newest published version as the floor) and the
    stages against the centre's records, then store it with its rollout (none without stages). Shared by
    the API and the console, so both refuse the same bundles with the same words."""
    newest = session.scalar(select(func.max(ConfigBundle.version))) or 0
    try:
        raw = parse_bundle(data)
        bundle = verify_publishable(raw, trusted_keys=trusted_keys, newer_than=newest, now=now)
    except BundleRefused as exc:
        raise PublishRefused(f"the kiosks would refuse this bundle: {exc}") from None
    if len(set(stages)) != len(stages):
        raise PublishRefused("stages: each group may appear once")
    for group in stages:
        if not stage_members(terminals, bundle.target, group):
            raise PublishRefused(
                f"stage {group}: no kiosk on record in this group is a target of {bundle.target}"
            )
    session.add(
        ConfigBundle(
            version=bundle.version,
            target=bundle.target,
            key_id=bundle.key_id,
            body=json.dumps(raw, ensure_ascii=False),
            published_at=int(now.timestamp()),
        )
    )
    if stages:
        session.flush()
        session.add(
            Rollout(
                version=bundle.version,
                stages=json.dumps(stages),
                stage_index=0,
                state="running",
                failures=0,
                max_failures=max_failures,
                stopped_reason="",
            )
        )
    return bundle


class RolloutChangeRefused(Exception):
    """A pause, resume or stop that does not fit the rollout's state; `str()` says why."""


def change_rollout(
    session: Any,
    version: int,
    action: Literal["pause", "resume", "stop"],
    terminals: Mapping[str, TerminalRecord],
    reason: str,
) -> Rollout:
    """Pause a running rollout (the groups reached keep the bundle, no further stage starts), resume a
    paused one (moving on at once if its stage settled meanwhile), or stop a running or paused one for
    good (with `reason`)."""
    rollout = session.get(Rollout, version)
    if rollout is None:
        raise RolloutChangeRefused(f"version {version} has no staged rollout")
    allowed = {"pause": ("running",), "resume": ("paused",), "stop": LIVE}[action]
    if rollout.state not in allowed:
        raise RolloutChangeRefused(f"a {rollout.state} rollout cannot {action}")
    if action == "pause":
        rollout.state = "paused"
    elif action == "stop":
        rollout.state = "stopped"
        rollout.stopped_reason = reason[:200]
    else:
        rollout.state = "running"
        _settle(session, rollout, session.get(ConfigBundle, version), terminals, reason)
    return rollout


def config_reports(session: Any, terminal_id: str, *, limit: int) -> list[ConfigReport]:
    """A kiosk's config reports, newest first (the fleet view and the console)."""
    return list(
        session.scalars(
            select(ConfigReport)
            .where(ConfigReport.terminal_id == terminal_id)
            .order_by(ConfigReport.id.desc())
            .limit(limit)
        )
    )


# -- routes ------------------------------------------------------------------------------------------

kiosk_router = APIRouter(prefix="/v1/fleet", tags=["fleet"])
operator_router = APIRouter(prefix="/v1/admin", tags=["operators"])


@kiosk_router.get(
    "/config",
    response_model=Envelope[BundleData],
    responses={
        304: {"description": "the bundle named in If-None-Match is still the one for this kiosk"},
        **error_responses(Code.BAD_ENVELOPE, Code.TERMINAL_UNAUTHORISED, Code.NOT_FOUND),
    },
)
def fetch_config(
    context: Context,
    terminal_id: TerminalId,
    response: Response,
    if_none_match: Annotated[str | None, Header(alias="If-None-Match")] = None,
) -> Any:
    """The newest bundle meant for this kiosk, as far as its rollout has come. The kiosk's group is the
    centre's record of it."""
    with context.db.transaction() as session:
        kiosk = context.kiosk(session, terminal_id)
        for bundle in session.scalars(select(ConfigBundle).order_by(ConfigBundle.version.desc())):
            if _offered(bundle, session.get(Rollout, bundle.version), kiosk):
                etag = f'"{bundle.version}"'
                if if_none_match == etag:
                    return Response(status_code=304, headers={"ETag": etag})
                response.headers["ETag"] = etag
                return ok(
                    context.sequence, BundleData(version=bundle.version, bundle=json.loads(bundle.body))
                )
    raise ApiError(Code.NOT_FOUND, "no configuration bundle for this kiosk")


@kiosk_router.post(
    "/config-reports",
    responses=error_responses(Code.BAD_ENVELOPE, Code.BAD_REQUEST, Code.TERMINAL_UNAUTHORISED),
)
def report_config(body: ConfigReportBody, context: Context, terminal_id: TerminalId) -> Envelope[None]:
    """A report counts only for a bundle this kiosk was offered, so a kiosk cannot stop (or speed) a
    rollout that has not reached it. Version 0 stands for a bundle whose version could not be read."""
    with context.db.transaction() as session:
        bundle = session.get(ConfigBundle, body.version) if body.version else None
        rollout = session.get(Rollout, body.version) if body.version else None
        kiosk = context.kiosk(session, terminal_id)
        if body.version and (bundle is None or not _offered(bundle, rollout, kiosk)):
            raise ApiError(Code.BAD_REQUEST, f"version {body.version} was not offered to this kiosk")
        session.add(
            ConfigReport(
                terminal_id=terminal_id,
                version=body.version,
                outcome=body.outcome,
                reason=body.reason,
                at=context.unix_now(),
            )
        )
        session.flush()
        if bundle is not None and rollout is not None and rollout.state in LIVE:
            _settle(
                session,
                rollout,
                bundle,
                context.terminals.active(session),
                f"{terminal_id}: {body.outcome} ({body.reason})",
            )
    return ok(context.sequence, None)


@kiosk_router.post(
    "/heartbeat", responses=error_responses(Code.BAD_ENVELOPE, Code.BAD_REQUEST, Code.TERMINAL_UNAUTHORISED)
)
def heartbeat(body: HeartbeatBody, context: Context, terminal_id: TerminalId) -> Envelope[None]:
    with context.db.transaction() as session:
        row = session.get(KioskStatus, terminal_id)
        if row is None:
            row = KioskStatus(terminal_id=terminal_id)
            session.add(row)
        row.last_seen = context.unix_now()
        row.heartbeat = body.model_dump_json()
        _keep_history(session, terminal_id, body, row.last_seen)
    return ok(context.sequence, None)


def _keep_history(session: Any, terminal_id: str, body: HeartbeatBody, now: int) -> None:
    """Adds the heartbeat to the kiosk's history and drops what is older than a day or beyond the row cap."""
    session.add(
        KioskHeartbeatHistory(
            terminal_id=terminal_id,
            at=now,
            backlog=body.outbox.depth if body.outbox else None,
            connectivity=body.connectivity,
            in_service=body.in_service,
        )
    )
    session.flush()
    mine = KioskHeartbeatHistory.terminal_id == terminal_id
    session.execute(delete(KioskHeartbeatHistory).where(mine, KioskHeartbeatHistory.at < now - HISTORY_S))
    # Ids rise with inserts, so the row HISTORY_ROWS places below the newest marks where to cut.
    cut = session.scalar(
        select(KioskHeartbeatHistory.id)
        .where(mine)
        .order_by(KioskHeartbeatHistory.id.desc())
        .offset(HISTORY_ROWS)
        .limit(1)
    )
    if cut is not None:
        session.execute(delete(KioskHeartbeatHistory).where(mine, KioskHeartbeatHistory.id <= cut))


@operator_router.post("/bundles", responses=error_responses(Code.BAD_REQUEST, Code.OPERATOR_UNAUTHORISED))
def publish(
    body: PublishBody, context: Context, fleet: Fleet, _operator: Operator
) -> Envelope[PublishedData]:
    """Refuses what the kiosks would refuse (the same checker), and stages that would wait for nobody."""
    with context.db.transaction() as session:
        try:
            bundle = publish_bundle(
                session,
                body.bundle,
                stages=body.stages or [],
                max_failures=body.max_failures,
                trusted_keys=fleet.operator_keys,
                terminals=context.terminals.active(session),
                now=context.clock(),
            )
        except PublishRefused as exc:
            raise ApiError(Code.BAD_REQUEST, str(exc)) from None
    return ok(
        context.sequence, PublishedData(version=bundle.version, target=bundle.target, stages=body.stages)
    )


@operator_router.get("/rollouts", responses=error_responses(Code.OPERATOR_UNAUTHORISED))
def rollouts(context: Context, _operator: Operator) -> Envelope[list[RolloutData]]:
    result = []
    with context.db.transaction() as session:
        kiosks = context.terminals.active(session)
        for bundle in session.scalars(select(ConfigBundle).order_by(ConfigBundle.version.desc())):
            rollout = session.get(Rollout, bundle.version)
            counts = dict(
                session.execute(
                    select(ConfigReport.outcome, func.count(func.distinct(ConfigReport.terminal_id)))
                    .where(ConfigReport.version == bundle.version)
                    .group_by(ConfigReport.outcome)
                ).all()
            )
            waiting: set[str] = set()
            if rollout is not None and rollout.state in LIVE:
                waiting = _waiting_for(rollout, bundle.target, kiosks, reports_for(session, bundle.version))
            result.append(
                RolloutData(
                    version=bundle.version,
                    target=bundle.target,
                    stages=json.loads(rollout.stages) if rollout else None,
                    stage_index=rollout.stage_index if rollout else 0,
                    state=rollout.state if rollout else "complete",
                    failures=rollout.failures
                    if rollout
                    else len(reports_for(session, bundle.version).failed),
                    max_failures=rollout.max_failures if rollout else 0,
                    stopped_reason=rollout.stopped_reason if rollout else "",
                    outcomes={str(k): int(v) for k, v in counts.items()},
                    waiting_for=sorted(waiting),
                )
            )
    return ok(context.sequence, result)


@operator_router.get("/fleet", responses=error_responses(Code.OPERATOR_UNAUTHORISED))
def fleet_status(context: Context, _operator: Operator) -> Envelope[list[KioskData]]:
    """Every kiosk on record, with or without a heartbeat."""
    result = []
    with context.db.transaction() as session:
        kiosks = context.terminals.active(session)
        for terminal_id in sorted(kiosks):
            status = session.get(KioskStatus, terminal_id)
            last = next(iter(config_reports(session, terminal_id, limit=1)), None)
            result.append(
                KioskData(
                    terminal_id=terminal_id,
                    group=kiosks[terminal_id].group,
                    last_seen=status.last_seen if status else None,
                    heartbeat=json.loads(status.heartbeat) if status else None,
                    last_report=None
                    if last is None
                    else {
                        "version": last.version,
                        "outcome": last.outcome,
                        "reason": last.reason,
                        "at": last.at,
                    },
                )
            )
    return ok(context.sequence, result)


def install(app: FastAPI, *, operator_tokens: list[str], operator_key_files: list[Path]) -> None:
    """Add the fleet endpoints. Without operator tokens the operator side refuses everyone. A key file that
    cannot be used raises ValueError naming the file."""
    try:
        keys = load_trusted_keys(operator_key_files)
    except OperatorKeyFileError as exc:
        raise ValueError(str(exc)) from None
    app.state.fleet = FleetSettings(tuple(operator_tokens), keys)
    app.include_router(kiosk_router)
    app.include_router(operator_router)
