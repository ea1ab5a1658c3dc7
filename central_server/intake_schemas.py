"""The batch intake's request and answer, and the payload of each kind of transaction a kiosk forwards.

A batch is checked as a whole only for its shape; each item's payload is checked against its kind here, one
item at a time, so one malformed item is rejected on its own and never sinks the rest of its batch.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, field_validator

from central_server.idnumbers import check_char

MAX_BATCH_ITEMS = 500
IDEMPOTENCY_KEY_PATTERN = r"^[A-Za-z0-9._:-]{8,64}$"


class IntakeKind(StrEnum):
    WITHDRAWAL_APPLICATION = "withdrawal_application"
    APPOINTMENT = "appointment"
    PRE_REGISTRATION = "pre_registration"
    RATING = "rating"
    COMPLAINT_SUGGESTION = "complaint_suggestion"
    TOUCHPOINT_EVENT = "touchpoint_event"
    STAFF_AUDIT_EVENT = "staff_audit_event"


class WithdrawalType(StrEnum):
    """提取 types as the centre codes them."""

    RENT = "01"  # 租房
    RETIREMENT = "02"  # 退休
    ACCOUNT_CLOSING = "03"  # 销户
    LOAN_REPAYMENT = "04"  # 还贷
    HOUSE_PURCHASE = "05"  # 购房
    PROPERTY_FEE = "06"  # 物业费


def _id_number_is_valid(value: str) -> str:
    if check_char(value[:17]) != value[17]:
        raise ValueError("check character does not match")
    return value


def _luhn_is_valid(value: str) -> str:
    total = 0
    for position, char in enumerate(reversed(value)):
        digit = int(char)
        if position % 2:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    if total % 10:
        raise ValueError("check digit does not match")
    return value


IdNumber = Annotated[str, Field(pattern=r"^[0-9]{17}[0-9X]$", description="resident ID number (GB 11643)")]
CitizenName = Annotated[str, Field(min_length=1, max_length=64, description="as on the ID card chip")]
ShortCode = Annotated[str, Field(pattern=r"^[A-Za-z0-9_.-]{1,32}$")]
ShortText = Annotated[str, Field(max_length=500)]


class _Payload(BaseModel):
    # A field the centre does not know is refused: it would be stored unread, and may be personal.
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class _CitizenPayload(_Payload):
    id_number: IdNumber
    name: CitizenName

    @field_validator("id_number")
    @classmethod
    def _id_number_check(cls, value: str) -> str:
        return _id_number_is_valid(value)


class WithdrawalApplication(_CitizenPayload):
    """提取申请: the money goes to the citizen's own bank card."""

    withdrawal_type: WithdrawalType = Field(
        description="01 租房, 02 退休, 03 销户, 04 还贷, 05 购房, 06 物业费"
    )
    amount_fen: int = Field(gt=0, le=10_000_000_00, description="amount applied for, in fen")
    bank_pan: str = Field(pattern=r"^[0-9]{12,19}$", description="the citizen's bank card number")

    @field_validator("bank_pan")
    @classmethod
    def _pan_check(cls, value: str) -> str:
        return _luhn_is_valid(value)


class Appointment(_CitizenPayload):
    """预约 of a counter service."""

    business_code: ShortCode
    office: ShortCode
    date: dt.date
    slot: str = Field(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]-([01][0-9]|2[0-3]):[0-5][0-9]$")


class PreRegistration(_CitizenPayload):
    """预登记 of a case before the citizen comes to the counter."""

    business_code: ShortCode
    note: ShortText = ""


class Rating(_Payload):
    """满意度评价 in the national 好差评 format."""

    score: int = Field(ge=1, le=5, description="1 非常不满意 … 5 非常满意")
    detail_codes: list[ShortCode] = Field(default_factory=list, max_length=20)
    text: ShortText = ""
    channel: Literal[5] = Field(description="5 = other terminal in a service hall")
    rating_round: Literal[1, 2] = Field(description="first or second rating")
    rater_type: Literal["individual", "legal_person"]
    service_code: ShortCode


class ComplaintSuggestion(_Payload):
    """投诉建议; contact details are optional."""

    category: Literal["complaint", "suggestion"]
    text: str = Field(min_length=1, max_length=2000)
    contact_phone: str | None = Field(default=None, pattern=r"^[0-9+-]{5,20}$")


class TouchpointEvent(_Payload):
    """One step of a visit, for the service-quality scorecard; never personal."""

    visit_id: ShortCode
    event: ShortCode
    screen: ShortCode
    at: dt.datetime
    duration_ms: int | None = Field(default=None, ge=0)


class StaffAuditEvent(_Payload):
    """What staff did at the kiosk (maintenance, cash-free device service)."""

    staff_id: ShortCode
    action: ShortCode
    target: ShortCode | None = None
    at: dt.datetime


PAYLOAD_MODELS: dict[IntakeKind, type[_Payload]] = {
    IntakeKind.WITHDRAWAL_APPLICATION: WithdrawalApplication,
    IntakeKind.APPOINTMENT: Appointment,
    IntakeKind.PRE_REGISTRATION: PreRegistration,
    IntakeKind.RATING: Rating,
    IntakeKind.COMPLAINT_SUGGESTION: ComplaintSuggestion,
    IntakeKind.TOUCHPOINT_EVENT: TouchpointEvent,
    IntakeKind.STAFF_AUDIT_EVENT: StaffAuditEvent,
}

_ADAPTERS = {kind: TypeAdapter(model) for kind, model in PAYLOAD_MODELS.items()}


def payload_problem(kind: str, payload: dict[str, Any]) -> str | None:
    """Why the centre refuses this payload, or None. Names the field, never its value (it may be personal)."""
    try:
        adapter = _ADAPTERS[IntakeKind(kind)]
    except ValueError:
        return f"unknown kind {kind!r}"
    try:
        adapter.validate_python(payload)
    except ValidationError as exc:
        error = exc.errors()[0]
        field = ".".join(str(part) for part in error["loc"]) or "payload"
        return f"payload field {field}: {error['msg']}"
    return None


class IntakeItem(BaseModel):
    idempotency_key: str = Field(
        pattern=IDEMPOTENCY_KEY_PATTERN,
        description="the kiosk's key for this transaction; the centre applies each key at most once",
    )
    kind: str = Field(
        pattern=r"^[a-z_]{1,40}$",
        description="one of: " + ", ".join(kind.value for kind in IntakeKind),
    )
    created_at: dt.datetime = Field(description="when the kiosk accepted the transaction")
    payload: dict[str, Any] = Field(
        description="checked against the kind's schema (docs/central-api.md); a bad one rejects the item only"
    )


class IntakeBatch(BaseModel):
    items: list[IntakeItem] = Field(min_length=1, max_length=MAX_BATCH_ITEMS)


class IntakeStatus(StrEnum):
    ACCEPTED = "accepted"
    DUPLICATE = "duplicate"
    REJECTED = "rejected"


class IntakeResult(BaseModel):
    idempotency_key: str
    status: IntakeStatus = Field(
        description="accepted now; duplicate: accepted earlier under this key; rejected: never applied"
    )
    reason: str | None = Field(description="why it was rejected (names the field, never its value)")
    reference: str | None = Field(description="the centre's reference of the accepted transaction")


class IntakeBatchData(BaseModel):
    results: list[IntakeResult] = Field(description="one per item, in the order sent")
