"""The script `kiosk simulate` runs: visits as lists of steps, read and checked before anything runs.

A script is JSON, `{"visits": [{"steps": [{"do": "id_card"}, ...]}, ...]}`. Each step names what it does
(`do`), takes that step's fields and no others, and may name the code it must end with (`expect`). Any
script that is not such is refused whole with a `ScriptError`: one line that names the file, the visit and
the step (counted from 1) and what is wrong, so a typo never leaves half a run behind it.

Every step's codes are declared here, with the ones that count as "did what it asked" when the script
expects nothing in particular: `expect` must name one of them (a misspelt code would never match).
docs/simulate.md is the vocabulary.
"""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic_core import ErrorDetails

from kiosk.services.complaints import PHONE as COMPLAINT_PHONE
from kiosk.services.complaints import TOPICS
from kiosk.services.rating import DISSATISFIED_AT_MOST, REASON_CODES
from kiosk.services.rating import PHONE as RATING_PHONE

# What any step may end with besides its own codes: no signed-in citizen where one is needed, the centre
# out of reach, or something the kiosk did not expect (logged with its traceback).
COMMON_CODES = frozenset({"not_signed_in", "unavailable", "error"})
FIRST_FREE = "first_free"
_DIGITS6 = r"^[0-9]{6}$"
_ID_NUMBER = r"^[0-9]{17}[0-9X]$"
# The name on a demo card: 2 to 6 CJK ideographs (the unified block and extension A).
_CARD_NAME = r"^[\u3400-\u4dbf\u4e00-\u9fff]{2,6}$"
_SLOT = re.compile(r"[0-9]{2}:[0-9]{2}-[0-9]{2}:[0-9]{2}")
_TIMEOUT = Field(default=30.0, gt=0, le=600)


class ScriptError(Exception):
    """A script that cannot run as written; `str()` is the one line shown (exit status 2)."""


class StepBase(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    # The codes that count as done when `expect` is not given; None: any code but the failures.
    ok_codes: ClassVar[frozenset[str] | None] = frozenset({"ok"})
    fail_codes: ClassVar[frozenset[str]] = frozenset()

    do: str
    expect: str | None = Field(default=None, min_length=1, max_length=40)

    @classmethod
    def codes(cls) -> frozenset[str] | None:
        """Every code this step can end with; None when it can end with the centre's own words."""
        if cls.ok_codes is None:
            return None
        return cls.ok_codes | cls.fail_codes | COMMON_CODES

    @model_validator(mode="after")
    def _known_expect(self) -> StepBase:
        codes = self.codes()
        if self.expect is not None and codes is not None and self.expect not in codes:
            raise ValueError(f"expect {self.expect!r} is not a code of this step (one of: {_listed(codes)})")
        return self

    def succeeded(self, code: str) -> bool:
        if self.expect is not None:
            return code == self.expect
        if self.ok_codes is None:
            return code not in self.fail_codes | COMMON_CODES
        return code in self.ok_codes

    def wanted(self) -> str:
        """What the step had to end with, for the line that reports a failure."""
        if self.expect is not None:
            return self.expect
        if self.ok_codes is None:
            return "a state"
        return " or ".join(sorted(self.ok_codes))


class PlaceIdCard(StepBase):
    do: Literal["place_id_card"]
    fail_codes = frozenset({"unknown_card", "no_demo_cards", "reader_busy"})
    # Exactly one names the demo card. The demo centre draws birth dates back from its own date, so its ID
    # numbers change from day to day; its names follow from the seed alone, and a script kept in a
    # repository can name a citizen by name on any day.
    id_number: str | None = Field(default=None, pattern=_ID_NUMBER, repr=False)
    name: str | None = Field(default=None, pattern=_CARD_NAME, repr=False)

    @model_validator(mode="after")
    def _one_card(self) -> PlaceIdCard:
        if self.id_number is None and self.name is None:
            raise ValueError("id_number or name: missing (one of them names the demo card)")
        if self.id_number is not None and self.name is not None:
            raise ValueError("id_number and name: give one of them, not both")
        return self


class IdCardStep(StepBase):
    do: Literal["id_card"]
    fail_codes = frozenset({"no_card", "unreadable", "card_expired"})
    timeout_s: float = _TIMEOUT


class Password(StepBase):
    do: Literal["password"]
    fail_codes = frozenset({"no_card", "wrong_password", "locked", "rate_limited"})
    digits: str = Field(pattern=_DIGITS6, repr=False)


ServiceName = Literal[
    "overview",
    "deposits",
    "loan",
    "statement",
    "withdrawal",
    "appointment",
    "pre_registration",
    "certificate",
    "password_change",
    "status",
]


class Service(StepBase):
    do: Literal["service"]
    fail_codes = frozenset({"not_offered", "not_printed"})
    name: ServiceName


class Withdrawal(StepBase):
    do: Literal["withdrawal"]
    fail_codes = frozenset(
        {"unknown_reason", "reason_refused", "counter_only", "not_an_amount", "over_maximum"}
    )
    reason: str = Field(min_length=1, max_length=8)
    amount: str = Field(min_length=1, max_length=20)


class InsertBankCard(StepBase):
    do: Literal["insert_bank_card"]
    fail_codes = frozenset({"no_citizen", "reader_unavailable"})
    # debit | credit | other_holder, or the path of a card file (kiosk/devices/bankcard/cards/*.json).
    card: str = Field(min_length=1, max_length=4096)


BANK_CARD_KINDS = ("debit", "credit", "other_holder")


class BankCardStep(StepBase):
    do: Literal["bank_card"]
    # kiosk.services.payee_card.RefusalCode
    fail_codes = frozenset(
        {"no_card", "credit_card", "not_holder", "expired", "unreadable", "reader_unavailable"}
    )
    timeout_s: float = _TIMEOUT


class Confirm(StepBase):
    do: Literal["confirm"]
    ok_codes = frozenset({"accepted", "waiting"})
    fail_codes = frozenset({"refused", "not_taken", "not_ready"})


class Appointment(StepBase):
    do: Literal["appointment"]
    fail_codes = frozenset(
        {
            "unknown_business",
            "unknown_office",
            "no_such_day",
            "no_such_slot",
            "no_free_slot",
            "slot_full",
            "not_bookable",
            "appointment_limit",
        }
    )
    business: str = Field(min_length=1, max_length=64)
    office: str | None = Field(default=None, min_length=1, max_length=64)
    day: str = FIRST_FREE
    slot: str = FIRST_FREE

    @field_validator("day")
    @classmethod
    def _day(cls, value: str) -> str:
        if value != FIRST_FREE:
            try:
                date.fromisoformat(value)
            except ValueError:
                raise ValueError(f"must be {FIRST_FREE!r} or a date YYYY-MM-DD, not {value!r}") from None
        return value

    @field_validator("slot")
    @classmethod
    def _slot(cls, value: str) -> str:
        if value != FIRST_FREE and not _SLOT.fullmatch(value):
            raise ValueError(f"must be {FIRST_FREE!r} or a slot such as '09:00-09:30', not {value!r}")
        return value


class CancelAppointment(StepBase):
    do: Literal["cancel_appointment"]
    fail_codes = frozenset({"nothing_to_cancel", "cancel_refused"})


class PreRegistration(StepBase):
    do: Literal["pre_registration"]
    ok_codes = frozenset({"accepted", "waiting"})
    fail_codes = frozenset({"refused", "not_pre_registrable", "not_taken"})
    business: str = Field(min_length=1, max_length=64)


StatementPeriod = Literal["last_12_months", "this_year", "last_year"]


class Certificate(StepBase):
    do: Literal["certificate"]
    fail_codes = frozenset({"no_settled_loan", "account_closed", "opened_after_period", "not_printed"})
    kind: Literal["deposit", "loan_settled", "statement"]
    period: StatementPeriod | None = None

    @model_validator(mode="after")
    def _period_for_statements(self) -> Certificate:
        if self.period is not None and self.kind != "statement":
            raise ValueError(f"period: only a statement has a period, not a {self.kind} certificate")
        return self


class PasswordChange(StepBase):
    do: Literal["password_change"]
    # kiosk.services.password_change.Change, "changed" being "ok"
    fail_codes = frozenset({"mismatch", "weak", "wrong_old", "locked", "rate_limited"})
    old: str = Field(pattern=_DIGITS6, repr=False)
    new: str = Field(pattern=_DIGITS6, repr=False)
    again: str | None = Field(default=None, pattern=_DIGITS6, repr=False)


class ApplicationState(StepBase):
    do: Literal["application_state"]
    ok_codes = None  # the state My applications shows: waiting_to_send, accepted, booked, ...
    fail_codes = frozenset({"nothing_filed", "not_listed"})


class Rate(StepBase):
    do: Literal["rate"]
    # nothing_to_rate: no completed case waits; refused: the rating service would not file it.
    fail_codes = frozenset({"nothing_to_rate", "refused"})
    score: int = Field(ge=1, le=5)
    reasons: list[str] = Field(default_factory=list, max_length=len(REASON_CODES))
    phone: str | None = Field(default=None, pattern=RATING_PHONE.pattern, repr=False)

    @field_validator("reasons")
    @classmethod
    def _reasons(cls, value: list[str]) -> list[str]:
        unknown = sorted(set(value) - REASON_CODES)
        if unknown:
            raise ValueError(f"unknown reason {unknown[0]!r} (one of: {_listed(REASON_CODES)})")
        return value

    @model_validator(mode="after")
    def _dissatisfied_only(self) -> Rate:
        # As the rating screen: only a score of 2 or less asks why, and offers a call back.
        if self.score > DISSATISFIED_AT_MOST and (self.reasons or self.phone is not None):
            raise ValueError(f"a score of {self.score} carries no reasons and no phone (only 1 or 2 do)")
        return self


class SkipRating(StepBase):
    do: Literal["skip_rating"]
    fail_codes = frozenset({"nothing_to_rate"})


TOPIC_CODES = frozenset(topic.code for topic in TOPICS)


class Complaint(StepBase):
    do: Literal["complaint"]
    ok_codes = frozenset({"accepted", "waiting"})
    fail_codes = frozenset({"refused", "not_taken", "not_offered"})
    category: Literal["complaint", "suggestion"]
    topic: str = Field(min_length=1, max_length=32)
    phone: str | None = Field(default=None, pattern=COMPLAINT_PHONE.pattern, repr=False)

    @field_validator("topic")
    @classmethod
    def _topic(cls, value: str) -> str:
        if value not in TOPIC_CODES:
            raise ValueError(f"unknown topic {value!r} (one of: {_listed(TOPIC_CODES)})")
        return value


class End(StepBase):
    do: Literal["end"]


Step = Annotated[
    PlaceIdCard
    | IdCardStep
    | Password
    | Service
    | Withdrawal
    | InsertBankCard
    | BankCardStep
    | Confirm
    | Appointment
    | CancelAppointment
    | PreRegistration
    | Certificate
    | PasswordChange
    | ApplicationState
    | Rate
    | SkipRating
    | Complaint
    | End,
    Field(discriminator="do"),
]
STEP_NAMES = (
    "place_id_card",
    "id_card",
    "password",
    "service",
    "withdrawal",
    "insert_bank_card",
    "bank_card",
    "confirm",
    "appointment",
    "cancel_appointment",
    "pre_registration",
    "certificate",
    "password_change",
    "application_state",
    "rate",
    "skip_rating",
    "complaint",
    "end",
)


class Visit(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    steps: list[Step] = Field(min_length=1)


class Script(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    visits: list[Visit] = Field(min_length=1)


def where(source: str, visit: int, step: int | None = None, do: str | None = None) -> str:
    """`script.json: visit 2, step 3 (bank_card)`, counted from 1, for a line that names a step."""
    text = f"{source}: visit {visit + 1}"
    if step is not None:
        text += f", step {step + 1}"
    if do is not None:
        text += f" ({do})"
    return text


def parse_script(data: Any, source: str) -> Script:
    """The script in `data` (as `json.loads` gives it); ScriptError, naming `source`, when it is not one."""
    try:
        return Script.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
        more = len(errors) - 1
        suffix = f" (and {more} more problem{'s' if more > 1 else ''})" if more else ""
        raise ScriptError(_describe(errors[0], source) + suffix) from None


def load_script(path: Path) -> Script:
    """Read and check a script file; ScriptError with one line on any problem."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScriptError(f"{path}: no such script file") from None
    except OSError as exc:
        raise ScriptError(f"{path}: cannot read: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise ScriptError(f"{path}: not UTF-8 text; save it as UTF-8") from None
    try:
        data = json.loads(text, object_pairs_hook=_no_repeated_keys)
    except json.JSONDecodeError as exc:
        raise ScriptError(
            f"{path}: not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}"
        ) from None
    except _RepeatedKey as exc:
        raise ScriptError(f"{path}: the key {exc.key!r} is given twice in one object") from None
    except RecursionError:
        raise ScriptError(f"{path}: nested too deeply to be a script") from None
    return parse_script(data, str(path))


class _RepeatedKey(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _no_repeated_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # json keeps the last of two equal keys: a step with "amount" twice would run with one of them unseen.
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _RepeatedKey(key)
        result[key] = value
    return result


def _describe(error: ErrorDetails, source: str) -> str:
    loc = list(error["loc"])
    place = source
    depth = 0  # what the place is: the script, a visit or a step
    if loc[:1] == ["visits"] and len(loc) >= 2 and isinstance(loc[1], int):
        visit = loc[1]
        rest = loc[2:]
        depth = 1
        step: int | None = None
        do: str | None = None
        if rest[:1] == ["steps"] and len(rest) >= 2 and isinstance(rest[1], int):
            step = rest[1]
            rest = rest[2:]
            depth = 2
            if rest and isinstance(rest[0], str) and rest[0] in STEP_NAMES:
                do, rest = rest[0], rest[1:]
        place = where(source, visit, step, do)
        loc = rest
    field = ".".join(str(part) for part in loc)
    return f"{place}: {_message(error, field, depth)}"


def _message(error: ErrorDetails, field: str, depth: int) -> str:
    kind = error["type"]
    ctx = error.get("ctx") or {}
    if kind == "union_tag_invalid":
        return f"unknown step {ctx.get('tag')!r} (steps: {', '.join(STEP_NAMES)})"
    if kind == "union_tag_not_found":
        return f'a step needs "do" (one of: {", ".join(STEP_NAMES)})'
    if kind == "extra_forbidden":
        return f"{field}: unknown field (check the spelling against docs/simulate.md)"
    if kind == "missing":
        return f"{field}: missing"
    if kind in ("model_type", "model_attributes_type") and not field:
        return _NOT_AN_OBJECT[depth]
    message = str(error["msg"]).removeprefix("Value error, ")
    if kind == "string_pattern_mismatch":
        message = _PATTERN_WORDS.get(str(ctx.get("pattern")), message)
    if kind == "too_short" and field in ("steps", "visits"):
        message = f"needs at least one {field.removesuffix('s')}"
    return f"{field}: {message}" if field else message


_NOT_AN_OBJECT = (
    'a script is a JSON object: {"visits": [{"steps": [...]}, ...]}',
    'a visit is a JSON object: {"steps": [...]}',
    'a step is a JSON object with "do", e.g. {"do": "id_card"}',
)
_PATTERN_WORDS = {
    _DIGITS6: "must be six digits, as typed on the keypad",
    _ID_NUMBER: "must be an 18-character resident ID number (17 digits and a digit or X)",
    _CARD_NAME: "must be the name on a demo card, 2 to 6 Chinese characters",
    RATING_PHONE.pattern: "must be a mainland mobile (11 digits from 13) or a fixed line with its area code",
}


def _listed(codes: frozenset[str]) -> str:
    return ", ".join(sorted(codes))
