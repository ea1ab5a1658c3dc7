"""The batch intake's request and answer, and the payload of each kind of transaction a kiosk forwards.

A batch is checked as a whole only for its shape; each item (its kind, its created_at and its payload) is
checked here, one item at a time, so one malformed item is rejected on its own and never sinks the rest of
its batch. What the centre stores is what these models give back, never the payload as it arrived.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Any, Literal, get_args

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    ValidationInfo,
    field_validator,
)
from pydantic_core import PydanticCustomError

from central_server.dates import CENTRE_TZ
from central_server.idnumbers import check_char

MAX_BATCH_ITEMS = 500
IDEMPOTENCY_KEY_PATTERN = r"^[A-Za-z0-9._:-]{8,64}$"
# No self-service kiosk of this centre ran before 2000: an earlier instant is a reset clock or a bad field.
EARLIEST_INSTANT = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
# A kiosk's clock may run ahead of the centre's by this much (time zones set wrong, no NTP for a while);
# beyond it the instant is nonsense, not skew.
CLOCK_LEEWAY = dt.timedelta(days=1)
# Appointments are taken from the day the kiosk took them (centre time) to this many days after it.
APPOINTMENT_HORIZON_DAYS = 90

_DATE_SHAPE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
# Date and time of day; the offset is checked by AwareDatetime, so a missing one gets its own message.
_DATETIME_SHAPE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}")
# A field name the centre repeats in a reason; anything else could be a value sent as a key.
_FIELD_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,39}")


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


@dataclass(frozen=True)
class _Checking:
    """What an item is checked against besides itself: the centre's clock and, for its payload, the
    item's created_at."""

    now: dt.datetime
    created_at: dt.datetime | None = None


def _checking(info: ValidationInfo) -> _Checking:
    if not isinstance(info.context, _Checking):
        raise TypeError("intake payloads are validated through check_item, which gives the context")
    return info.context


def _json_string(value: object) -> str:
    # Dates, instants and codes arrive as JSON strings only: lax parsing would also take a number as a
    # Unix timestamp.
    if not isinstance(value, str):
        raise PydanticCustomError("string_type", "Input should be a valid string")
    return value.strip()


def _json_integer(value: object) -> object:
    # A Literal of integers takes true and 1.0 even in strict mode, as they compare equal to 1.
    if type(value) is not int:
        raise PydanticCustomError("int_type", "Input should be a valid integer")
    return value


def _date_text(value: object) -> str:
    text = _json_string(value)
    if not _DATE_SHAPE.fullmatch(text):
        raise PydanticCustomError("date_parsing", "Input should be a date in the format YYYY-MM-DD")
    return text


def _datetime_text(value: object) -> str:
    text = _json_string(value)
    if not _DATETIME_SHAPE.match(text):
        raise PydanticCustomError("datetime_parsing", "Input should be an ISO 8601 date and time")
    return text


def _plausible_instant(value: dt.datetime, info: ValidationInfo) -> dt.datetime:
    # Compared before converting: year 1 or 9999 with an offset would overflow astimezone().
    if value < EARLIEST_INSTANT:
        raise ValueError("before 2000-01-01")
    if value > _checking(info).now + CLOCK_LEEWAY:
        raise ValueError("more than a day ahead of the centre's clock")
    return value.astimezone(dt.UTC)


def _nfc(value: str) -> str:
    # One name read from a chip or typed on a keypad may come composed or decomposed; stored as one form.
    return unicodedata.normalize("NFC", value)


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


# An instant with its offset, kept in UTC. One without an offset is refused: read in the centre's zone or
# in UTC, it would be a guess.
Instant = Annotated[
    AwareDatetime,
    Field(strict=False),
    BeforeValidator(_datetime_text),
    AfterValidator(_plausible_instant),
]
Day = Annotated[dt.date, Field(strict=False), BeforeValidator(_date_text)]
IdNumber = Annotated[str, Field(pattern=r"^[0-9]{17}[0-9X]$", description="resident ID number (GB 11643)")]
CitizenName = Annotated[
    str, AfterValidator(_nfc), Field(min_length=1, max_length=64, description="as on the ID card chip")
]
ShortCode = Annotated[str, Field(pattern=r"^[A-Za-z0-9_.-]{1,32}$")]
ShortText = Annotated[str, AfterValidator(_nfc), Field(max_length=500)]


class _Payload(BaseModel):
    # Strict: a JSON value of another type is refused, never converted (true, "100" and 100.0 are not an
    # amount). Fields whose JSON form is a string (dates, instants, enums) say so with their own validators.
    # A field the centre does not know is refused: it would be stored unread, and may be personal.
    model_config = ConfigDict(extra="forbid", strict=True, str_strip_whitespace=True)


class _CitizenPayload(_Payload):
    id_number: IdNumber
    name: CitizenName

    @field_validator("id_number")
    @classmethod
    def _id_number_check(cls, value: str) -> str:
        return _id_number_is_valid(value)


class WithdrawalApplication(_CitizenPayload):
    """提取申请: the money goes to the citizen's own bank card."""

    withdrawal_type: Annotated[
        WithdrawalType,
        Field(strict=False, description="01 租房, 02 退休, 03 销户, 04 还贷, 05 购房, 06 物业费"),
        BeforeValidator(_json_string),
    ]
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
    date: Day
    slot: str = Field(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]-([01][0-9]|2[0-3]):[0-5][0-9]$")

    @field_validator("date")
    @classmethod
    def _within_horizon(cls, value: dt.date, info: ValidationInfo) -> dt.date:
        created_at = _checking(info).created_at
        if created_at is None:
            raise TypeError("an appointment is checked against its item's created_at")
        taken_on = created_at.astimezone(CENTRE_TZ).date()
        if not taken_on <= value <= taken_on + dt.timedelta(days=APPOINTMENT_HORIZON_DAYS):
            raise ValueError(
                f"must be from the day it was taken (created_at, centre time) to {APPOINTMENT_HORIZON_DAYS} "
                "days after"
            )
        return value


class PreRegistration(_CitizenPayload):
    """预登记 of a case before the citizen comes to the counter."""

    business_code: ShortCode
    note: ShortText = ""


# The 好差评 reasons a citizen picks for a score of 2 or less (no free typing at the kiosk).
RatingReasonCode = Literal[
    "slow",
    "hard_to_use",
    "not_solved",
    "device_fault",
    "unclear_information",
    "staff_attitude",
    "other",
]
RATING_REASONS: tuple[str, ...] = get_args(RatingReasonCode)
TouchpointChannel = Literal[
    "kiosk",
    "web",
    "wechat",
    "app",
    "hotline",
    "counter",
]
TOUCHPOINT_CHANNELS: tuple[str, ...] = get_args(TouchpointChannel)
TouchpointEventName = Literal[
    "visit_started",
    "signed_in",
    "sign_in_failed",
    "service_entered",
    "service_completed",
    "service_abandoned",
    "device_failure",
    "network_failure",
    "idle_timeout",
    "language_changed",
    "large_text_on",
    "visit_ended",
]
TOUCHPOINT_EVENTS: tuple[str, ...] = get_args(TouchpointEventName)
KioskServiceId = Literal[
    "overview",
    "deposits",
    "loan",
    "withdrawal",
    "appointment",
    "pre_registration",
    "certificate",
    "password_change",
    "status",
    "statement",
    "complaint",
]
KIOSK_SERVICES: tuple[str, ...] = get_args(KioskServiceId)
ComplaintTopic = Literal[
    "service_hall",
    "self_service_kiosk",
    "withdrawal",
    "loan",
    "deposit",
    "appointment",
    "staff_attitude",
    "other",
]
COMPLAINT_TOPICS: tuple[str, ...] = get_args(ComplaintTopic)
# A mainland mobile number or a fixed line with its area code; the centre stores it encrypted (crm/).
PHONE_PATTERN = r"^(1[3-9][0-9]{9}|0[0-9]{9,11})$"

RatingReason = Annotated[RatingReasonCode, BeforeValidator(_json_string)]
KioskService = Annotated[KioskServiceId, BeforeValidator(_json_string)]
Phone = Annotated[str, Field(pattern=PHONE_PATTERN, description="mobile 1[3-9]+9 digits or 0+9-11 digits")]


def _looks_like_id_number(text: str) -> bool:
    """Whether `text` holds a digit run shaped like a resident ID number: 18 characters with a valid check
    character, or 15 digits (the old form) with a valid birth date. The check character and the date keep
    random visit ids, which may hold long digit runs, from being taken for one."""
    for run in re.finditer(r"[0-9]+[Xx]?", text):
        digits = run.group().upper()
        if len(digits) == 18 and check_char(digits[:17]) == digits[17]:
            return True
        if len(digits) == 15 and digits.isdigit() and _plausible_birth("19" + digits[6:12]):
            return True
    return False


def _plausible_birth(yyyymmdd: str) -> bool:
    try:
        born = dt.date(int(yyyymmdd[:4]), int(yyyymmdd[4:6]), int(yyyymmdd[6:]))
    except ValueError:
        return False
    return born.year >= 1900


class Rating(_Payload):
    """满意度评价 in the national 好差评 format, one per service case and round."""

    score: int = Field(ge=1, le=5, description="1 非常不满意 … 5 非常满意")
    detail_codes: list[RatingReason] = Field(
        default_factory=list, max_length=len(RATING_REASONS), description="reasons, for a score of 2 or less"
    )
    text: ShortText = ""
    channel: Annotated[
        Literal[5], BeforeValidator(_json_integer), Field(description="5 = other terminal in a service hall")
    ]
    rating_round: Annotated[
        Literal[1, 2], BeforeValidator(_json_integer), Field(description="first or second rating")
    ]
    rater_type: Annotated[Literal["individual", "legal_person"], BeforeValidator(_json_string)]
    service_code: ShortCode
    visit_id: ShortCode
    case_ref: ShortCode
    callback_phone: Phone | None = None

    @field_validator("detail_codes")
    @classmethod
    def _reasons_only_for_bad_scores(cls, value: list[str], info: ValidationInfo) -> list[str]:
        if value and info.data.get("score", 0) >= 3:
            raise ValueError("a score of 3 or more carries no reasons")
        if len(set(value)) != len(value):
            raise ValueError("each reason at most once")
        return value


class ComplaintSuggestion(_Payload):
    """投诉建议; contact details are optional."""

    category: Annotated[Literal["complaint", "suggestion"], BeforeValidator(_json_string)]
    topic: Annotated[ComplaintTopic, BeforeValidator(_json_string)]
    text: Annotated[str, AfterValidator(_nfc), Field(min_length=1, max_length=2000)]
    contact_phone: Phone | None = None
    visit_id: ShortCode | None = None


class TouchpointEvent(_Payload):
    """One step of a visit on one channel, for the customer timeline and the scorecard; never personal."""

    visit_id: ShortCode
    channel: Annotated[TouchpointChannel, BeforeValidator(_json_string)]
    event: Annotated[TouchpointEventName, BeforeValidator(_json_string)]
    at: Instant
    service: KioskService | None = None
    screen: ShortCode | None = None
    duration_ms: int | None = Field(default=None, ge=0)
    detail: ShortCode | None = None

    @field_validator("visit_id", "screen", "detail")
    @classmethod
    def _no_id_number(cls, value: str | None) -> str | None:
        # A touchpoint is never personal; a code field is the one place an ID number could slip in.
        if value is not None and _looks_like_id_number(value):
            raise ValueError("looks like an ID number; touchpoints carry no personal data")
        return value


StaffAction = Literal[
    "sign_in",
    "sign_in_failed",
    "locked_out",
    "sign_out",
    "timed_out",
    "test_idcard",
    "test_bankcard",
    "test_printer",
    "paper_replaced",
    "outbox_retry_dead",
    "out_of_service",
    "in_service",
    "restart",
]


class StaffAuditEvent(_Payload):
    """What staff did at the kiosk in maintenance mode (docs/staff.md); never citizen data, not even of a
    test card read."""

    staff_id: Annotated[
        str,
        Field(pattern=r"^([0-9]{6}|unknown)$", description='6 digits, or "unknown" (not on the roster)'),
    ]
    action: Annotated[StaffAction, BeforeValidator(_json_string)]
    outcome: Annotated[Literal["pass", "fail", "ok"], BeforeValidator(_json_string)] | None = None
    target: ShortCode | None = Field(
        default=None, description="a device name, a reason code (device_fault, paper, ...) or a count"
    )
    at: Instant

    @field_validator("target")
    @classmethod
    def _no_id_number(cls, value: str | None) -> str | None:
        # The one free code of the event: a test card's number must not reach the centre through it.
        if value is not None and _looks_like_id_number(value):
            raise ValueError("looks like an ID number; staff audit events carry no citizen data")
        return value


# The kinds that name a citizen: accepted only with a visit ticket of that citizen (visit_ticket.py).
CITIZEN_KINDS = frozenset(
    {IntakeKind.WITHDRAWAL_APPLICATION, IntakeKind.APPOINTMENT, IntakeKind.PRE_REGISTRATION}
)

PAYLOAD_MODELS: dict[IntakeKind, type[_Payload]] = {
    IntakeKind.WITHDRAWAL_APPLICATION: WithdrawalApplication,
    IntakeKind.APPOINTMENT: Appointment,
    IntakeKind.PRE_REGISTRATION: PreRegistration,
    IntakeKind.RATING: Rating,
    IntakeKind.COMPLAINT_SUGGESTION: ComplaintSuggestion,
    IntakeKind.TOUCHPOINT_EVENT: TouchpointEvent,
    IntakeKind.STAFF_AUDIT_EVENT: StaffAuditEvent,
}

_CREATED_AT: TypeAdapter[dt.datetime] = TypeAdapter(Instant)


class ItemRefused(ValueError):
    """Why the centre refuses an item: names the field, never its value (it may be personal)."""


@dataclass(frozen=True)
class CheckedItem:
    """An item as the centre keeps it: its created_at in UTC and its payload as the kind's model dumps it."""

    created_at: dt.datetime
    payload: dict[str, Any]


def check_item(kind: str, created_at: str, payload: dict[str, Any], now: dt.datetime) -> CheckedItem:
    """The item as checked against its kind and the centre's clock `now`; ItemRefused says why not."""
    known, created = check_kind_and_time(kind, created_at, now)
    return check_payload(known, created, payload, now)


def check_kind_and_time(kind: str, created_at: str, now: dt.datetime) -> tuple[IntakeKind, dt.datetime]:
    """The item's kind and its created_at in UTC; ItemRefused when either is not one the centre takes."""
    try:
        known = IntakeKind(kind)
    except ValueError:
        raise ItemRefused(f"unknown kind {kind!r}") from None
    try:
        return known, _CREATED_AT.validate_python(created_at, context=_Checking(now))
    except ValidationError as exc:
        raise ItemRefused(f"created_at: {_first_error(exc)[1]}") from None


def check_payload(
    kind: IntakeKind, created: dt.datetime, payload: dict[str, Any], now: dt.datetime
) -> CheckedItem:
    """The payload as its kind's model checks and dumps it; ItemRefused names the field that is wrong."""
    try:
        checked = PAYLOAD_MODELS[kind].model_validate(payload, context=_Checking(now, created))
    except ValidationError as exc:
        field, message = _first_error(exc)
        raise ItemRefused(f"payload field {field}: {message}") from None
    return CheckedItem(created, checked.model_dump(mode="json"))


def _first_error(exc: ValidationError) -> tuple[str, str]:
    error = exc.errors(include_url=False, include_input=False)[0]
    return ".".join(_field_name(part) for part in error["loc"]) or "payload", error["msg"]


def _field_name(part: str | int) -> str:
    # An unknown field is named by its key, which is the sender's text: repeated only if it looks like a name.
    if isinstance(part, int) or _FIELD_NAME.fullmatch(part):
        return str(part)
    return "(unknown)"


class IntakeItem(BaseModel):
    idempotency_key: str = Field(
        pattern=IDEMPOTENCY_KEY_PATTERN,
        description="the kiosk's key for this transaction; the centre applies each key at most once",
    )
    kind: str = Field(
        pattern=r"^[a-z_]{1,40}$",
        description="one of: " + ", ".join(kind.value for kind in IntakeKind),
    )
    # Text here, parsed with the payload: a created_at that is not a plausible instant with an offset
    # rejects its item only.
    created_at: str = Field(
        json_schema_extra={"format": "date-time"},
        description="when the kiosk accepted the transaction (ISO 8601 with an offset, 2000 to a day ahead)",
    )
    payload: dict[str, Any] = Field(
        description="checked against the kind's schema (docs/central-api.md); a bad one rejects the item only"
    )
    # Beside the payload, not in it: it is not part of the transaction, so a resend under a newer ticket
    # is the same transaction (the digest covers kind and payload only).
    visit_ticket: str | None = Field(
        default=None,
        description="the visit_ticket of the sign-in; required for "
        + ", ".join(sorted(CITIZEN_KINDS))
        + "; checked, when given, for the other kinds too",
    )


class IntakeBatch(BaseModel):
    items: list[IntakeItem] = Field(min_length=1, max_length=MAX_BATCH_ITEMS)


class IntakeStatus(StrEnum):
    ACCEPTED = "accepted"
    DUPLICATE = "duplicate"
    REJECTED = "rejected"
    CONFLICT = "conflict"


class IntakeResult(BaseModel):
    idempotency_key: str
    status: IntakeStatus = Field(
        description="accepted now; duplicate: the same transaction accepted earlier under this key; "
        "rejected: never applied; conflict: the key was used before for another transaction, this one was "
        "not applied"
    )
    reason: str | None = Field(
        description="why it was rejected or is in conflict (names the field, never its value)"
    )
    reference: str | None = Field(
        description="the accepted transaction's number: a withdrawal's claim number (TQ and its kiosk code), "
        "a pre-registration's code (the kiosk's own, printed before delivery), else R and 12 digits"
    )


class IntakeBatchData(BaseModel):
    results: list[IntakeResult] = Field(description="one per item, in the order sent")
