"""Operators' alert endpoints (operator token, as the fleet's): list alerts, acknowledge one with a note."""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from central_server.alerts.models import Alert
from central_server.alerts.rules import Rule
from central_server.context import Context
from central_server.dates import CENTRE_TZ
from central_server.envelope import ApiError, Code, Envelope, error_responses, ok
from central_server.fleet.routes import Operator

router = APIRouter(prefix="/v1/admin/alerts", tags=["alerts"])
MAX_LISTED = 500


class AlertData(BaseModel):
    id: int
    rule: Rule
    severity: str = Field(description="medium or high")
    subject: str = Field(description="masked ID number, masked card (BIN + last 4), or a kiosk id")
    evidence: dict[str, Any] = Field(description="what the rule saw, masked")
    first_seen: dt.datetime
    last_seen: dt.datetime
    count: int = Field(description="times the rule found the situation while the alert was open")
    acknowledged_by: str | None
    acknowledged_at: dt.datetime | None
    note: str | None


class Acknowledgement(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    by: str = Field(pattern=r"^[A-Za-z0-9_.@-]{1,64}$", description="the operator who looked into it")
    note: str = Field(min_length=1, max_length=500, description="what was found or done")


def _data(alert: Alert) -> AlertData:
    return AlertData(
        id=alert.id,
        rule=Rule(alert.rule),
        severity=alert.severity,
        subject=alert.subject,
        evidence=json.loads(alert.evidence),
        first_seen=alert.first_seen,
        last_seen=alert.last_seen,
        count=alert.count,
        acknowledged_by=alert.acknowledged_by,
        acknowledged_at=alert.acknowledged_at,
        note=alert.note,
    )


@router.get("", responses=error_responses(Code.BAD_REQUEST, Code.OPERATOR_UNAUTHORISED))
def list_alerts(
    context: Context,
    _operator: Operator,
    state: Annotated[Literal["open", "all"], Query(description="open: not yet acknowledged")] = "open",
    rule: Annotated[Rule | None, Query(description="only this rule's alerts")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LISTED)] = 100,
) -> Envelope[list[AlertData]]:
    """Alerts, the most recently seen first."""
    query = select(Alert).order_by(Alert.last_seen.desc(), Alert.id.desc()).limit(limit)
    if state == "open":
        query = query.where(Alert.open_key.is_not(None))
    if rule is not None:
        query = query.where(Alert.rule == rule.value)
    with context.db.transaction() as session:
        alerts = [_data(alert) for alert in session.scalars(query)]
    return ok(context.sequence, alerts)


def _acknowledged_already(alert: Alert) -> str:
    when = ""
    if alert.acknowledged_at is not None:
        when = f" at {alert.acknowledged_at.astimezone(CENTRE_TZ):%Y-%m-%d %H:%M} (UTC+8)"
    return (
        f"alert {alert.id} was acknowledged already by {alert.acknowledged_by}{when}; "
        "this note was not recorded (list it with state=all)"
    )


@router.post(
    "/{alert_id}/ack",
    responses=error_responses(
        Code.BAD_REQUEST, Code.OPERATOR_UNAUTHORISED, Code.NOT_FOUND, Code.ALREADY_ACKNOWLEDGED
    ),
)
def acknowledge(
    body: Acknowledgement,
    context: Context,
    _operator: Operator,
    alert_id: Annotated[int, Path(ge=1, le=2**63 - 1)],
) -> Envelope[AlertData]:
    """Closes an open alert with who looked into it and a note; the situation, if it goes on, opens a new
    alert."""
    with context.db.transaction() as session:
        alert = session.scalars(select(Alert).where(Alert.id == alert_id).with_for_update()).one_or_none()
        if alert is None:
            raise ApiError(Code.NOT_FOUND, f"no alert {alert_id}")
        if alert.open_key is None:
            raise ApiError(Code.ALREADY_ACKNOWLEDGED, _acknowledged_already(alert))
        alert.open_key = None
        alert.acknowledged_by = body.by
        alert.acknowledged_at = context.clock()
        alert.note = body.note
        data = _data(alert)
    return ok(context.sequence, data, "alert acknowledged")
