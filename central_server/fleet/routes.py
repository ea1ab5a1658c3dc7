"""Fleet endpoints. Kiosks (terminal token): fetch their configuration bundle, report what they did with
it, send heartbeats. Operators (operator token): publish bundles with staged rollouts, watch rollouts and
the fleet."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from fastapi import APIRouter, Depends, FastAPI, Header, Query, Request, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import func, select

from central_server.auth import TerminalId
from central_server.context import Context
from central_server.envelope import ApiError, Code, Envelope, error_responses, ok
from central_server.fleet.models import ConfigBundle, ConfigReport, KioskStatus, Rollout
from central_server.fleet.signatures import load_operator_key, signature_valid
from central_server.security import secret_matches

Outcome = Literal["applied", "deferred", "refused", "rolled_back", "healthy"]
_GROUP = r"^[A-Za-z0-9_.-]{1,64}$"


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
    version: int = Field(ge=0)
    outcome: Outcome
    reason: str = Field(default="", max_length=300)


class DeviceHealth(_Body):
    state: str = Field(max_length=20)
    detail: str = Field(default="", max_length=200)


class OutboxHealth(_Body):
    depth: int = Field(ge=0)
    oldest_pending_age_s: int | None = Field(default=None, ge=0)


class HeartbeatBody(_Body):
    group: str = Field(default="", pattern=r"^[A-Za-z0-9_.-]{0,64}$")
    app_version: str = Field(max_length=40)
    config_version: int = Field(ge=0)
    uptime_s: int = Field(ge=0)
    devices: dict[str, DeviceHealth] = Field(default_factory=dict)
    paper: Literal["ok", "near_end", "out", "unknown"] | None = None
    outbox: OutboxHealth | None = None
    connectivity: Literal["online", "degraded", "offline"]
    last_error: str | None = Field(default=None, max_length=300)


class PublishBody(_Body):
    bundle: dict[str, Any]
    stages: list[Annotated[str, Field(pattern=_GROUP)]] | None = Field(default=None, min_length=1)
    max_failures: int = Field(default=0, ge=0)


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


class KioskData(BaseModel):
    terminal_id: str
    group: str
    last_seen: int
    heartbeat: dict[str, Any]
    last_report: dict[str, Any] | None


# -- rollout logic -----------------------------------------------------------------------------------


def _targets(target: str, terminal_id: str, group: str) -> bool:
    if target == "all":
        return True
    kind, _, name = target.partition(":")
    return (kind == "kiosk" and name == terminal_id) or (kind == "group" and bool(group) and name == group)


def _offered(rollout: Rollout | None, group: str) -> bool:
    if rollout is None or rollout.state == "complete":
        return True
    reached = json.loads(rollout.stages)[: rollout.stage_index + 1]
    # A stopped rollout stays with the groups it had reached; it goes no further.
    return group in reached


def _advance(session: Any, rollout: Rollout) -> None:
    stages = json.loads(rollout.stages)
    while rollout.state == "running":
        group = stages[rollout.stage_index]
        kiosks = set(session.scalars(select(KioskStatus.terminal_id).where(KioskStatus.group == group)))
        healthy = set(
            session.scalars(
                select(ConfigReport.terminal_id).where(
                    ConfigReport.version == rollout.version, ConfigReport.outcome == "healthy"
                )
            )
        )
        if not kiosks <= healthy:
            return
        if rollout.stage_index + 1 >= len(stages):
            rollout.state = "complete"
        else:
            rollout.stage_index += 1


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
    group: Annotated[str, Query(pattern=r"^[A-Za-z0-9_.-]{0,64}$", description="the kiosk's group")] = "",
    if_none_match: Annotated[str | None, Header(alias="If-None-Match")] = None,
) -> Any:
    """The newest bundle meant for this kiosk, as far as its rollout has come."""
    with context.db.transaction() as session:
        for bundle in session.scalars(select(ConfigBundle).order_by(ConfigBundle.version.desc())):
            if _targets(bundle.target, terminal_id, group) and _offered(
                session.get(Rollout, bundle.version), group
            ):
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
    with context.db.transaction() as session:
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
        rollout = session.get(Rollout, body.version)
        if rollout is not None and rollout.state == "running":
            if body.outcome in ("refused", "rolled_back"):
                rollout.failures += 1
                if rollout.failures > rollout.max_failures:
                    rollout.state = "stopped"
                    rollout.stopped_reason = f"{terminal_id}: {body.outcome} ({body.reason})"[:200]
            elif body.outcome == "healthy":
                _advance(session, rollout)
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
        row.group = body.group
        row.last_seen = context.unix_now()
        row.heartbeat = body.model_dump_json()
    return ok(context.sequence, None)


@operator_router.post("/bundles", responses=error_responses(Code.BAD_REQUEST, Code.OPERATOR_UNAUTHORISED))
def publish(
    body: PublishBody, context: Context, fleet: Fleet, _operator: Operator
) -> Envelope[PublishedData]:
    bundle = body.bundle
    if not signature_valid(bundle, fleet.operator_keys):
        raise ApiError(Code.BAD_REQUEST, "the bundle's signature does not verify against the operators' keys")
    version, target = bundle.get("version"), bundle.get("target")
    if not isinstance(version, int) or not isinstance(target, str):
        raise ApiError(Code.BAD_REQUEST, "the bundle needs an integer version and a target")
    with context.db.transaction() as session:
        newest = session.scalar(select(func.max(ConfigBundle.version))) or 0
        if version <= newest:
            raise ApiError(Code.BAD_REQUEST, f"version {version} is not newer than the published {newest}")
        session.add(
            ConfigBundle(
                version=version,
                target=target,
                key_id=str(bundle["key_id"]),
                body=json.dumps(bundle, ensure_ascii=False),
                published_at=context.unix_now(),
            )
        )
        if body.stages:
            session.flush()
            session.add(
                Rollout(
                    version=version,
                    stages=json.dumps(body.stages),
                    stage_index=0,
                    state="running",
                    failures=0,
                    max_failures=body.max_failures,
                    stopped_reason="",
                )
            )
    return ok(context.sequence, PublishedData(version=version, target=target, stages=body.stages))


@operator_router.get("/rollouts", responses=error_responses(Code.OPERATOR_UNAUTHORISED))
def rollouts(context: Context, _operator: Operator) -> Envelope[list[RolloutData]]:
    result = []
    with context.db.transaction() as session:
        for bundle in session.scalars(select(ConfigBundle).order_by(ConfigBundle.version.desc())):
            rollout = session.get(Rollout, bundle.version)
            counts = dict(
                session.execute(
                    select(ConfigReport.outcome, func.count(func.distinct(ConfigReport.terminal_id)))
                    .where(ConfigReport.version == bundle.version)
                    .group_by(ConfigReport.outcome)
                ).all()
            )
            result.append(
                RolloutData(
                    version=bundle.version,
                    target=bundle.target,
                    stages=json.loads(rollout.stages) if rollout else None,
                    stage_index=rollout.stage_index if rollout else 0,
                    state=rollout.state if rollout else "complete",
                    failures=rollout.failures
                    if rollout
                    else counts.get("refused", 0) + counts.get("rolled_back", 0),
                    max_failures=rollout.max_failures if rollout else 0,
                    stopped_reason=rollout.stopped_reason if rollout else "",
                    outcomes={str(k): int(v) for k, v in counts.items()},
                )
            )
    return ok(context.sequence, result)


@operator_router.get("/fleet", responses=error_responses(Code.OPERATOR_UNAUTHORISED))
def fleet_status(context: Context, _operator: Operator) -> Envelope[list[KioskData]]:
    result = []
    with context.db.transaction() as session:
        for kiosk in session.scalars(select(KioskStatus).order_by(KioskStatus.terminal_id)):
            last = session.scalar(
                select(ConfigReport)
                .where(ConfigReport.terminal_id == kiosk.terminal_id)
                .order_by(ConfigReport.id.desc())
                .limit(1)
            )
            result.append(
                KioskData(
                    terminal_id=kiosk.terminal_id,
                    group=kiosk.group,
                    last_seen=kiosk.last_seen,
                    heartbeat=json.loads(kiosk.heartbeat),
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
    """Add the fleet endpoints. Without operator tokens the operator side refuses everyone."""
    keys = dict(load_operator_key(path) for path in operator_key_files)
    app.state.fleet = FleetSettings(tuple(operator_tokens), keys)
    app.include_router(kiosk_router)
    app.include_router(operator_router)
