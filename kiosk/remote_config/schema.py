"""The versioned schema of what operators may change remotely (config/remote.example.json)."""

from __future__ import annotations

from datetime import datetime, time
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

SCHEMA_VERSION = 1
# The citizen's services, in the order the home screen shows them when no configuration orders them.
SERVICE_IDS = (
    "overview",
    "deposits",
    "loan",
    "withdrawal",
    "appointment",
    "pre_registration",
    "certificate",
    "password_change",
    "status",
    "complaint",
)
ServiceId = Literal[
    "overview",
    "deposits",
    "loan",
    "withdrawal",
    "appointment",
    "pre_registration",
    "certificate",
    "password_change",
    "status",
    "complaint",
]
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ServiceEntry(_Strict):
    id: ServiceId
    enabled: bool = True


class Notice(_Strict):
    id: str = Field(min_length=1, max_length=40)
    text_zh: str = Field(min_length=1, max_length=200)
    text_en: str = Field(min_length=1, max_length=300)
    starts_at: datetime
    ends_at: datetime

    @model_validator(mode="after")
    def _ordered(self) -> Notice:
        if self.starts_at.tzinfo is None or self.ends_at.tzinfo is None:
            raise ValueError("notice times need a UTC offset, e.g. 2026-12-01T08:00:00+08:00")
        if self.ends_at <= self.starts_at:
            raise ValueError(f"notice {self.id}: ends_at must be after starts_at")
        return self

    def showing(self, now: datetime) -> bool:
        return self.starts_at <= now < self.ends_at


class Alternative(_Strict):
    """Somewhere else a citizen can be served while this kiosk is out of service: another kiosk, a
    counter, the hotline. `where_*` says how to get there ("二楼东侧", "2nd floor, east side")."""

    name_zh: str = Field(min_length=1, max_length=40)
    name_en: str = Field(min_length=1, max_length=80)
    where_zh: str = Field(default="", max_length=80)
    where_en: str = Field(default="", max_length=160)


class OpeningSlot(_Strict):
    days: list[Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]] = Field(min_length=1)
    open: time
    close: time

    @model_validator(mode="after")
    def _ordered(self) -> OpeningSlot:
        if self.close <= self.open:
            raise ValueError("close must be after open")
        return self


class Hours(_Strict):
    """When services are offered. A service without its own slots follows `default`; an empty list of
    slots means always open."""

    default: list[OpeningSlot] = Field(default_factory=list)
    per_service: dict[str, list[OpeningSlot]] = Field(default_factory=dict)

    @field_validator("per_service")
    @classmethod
    def _known_services(cls, value: dict[str, list[OpeningSlot]]) -> dict[str, list[OpeningSlot]]:
        unknown = sorted(set(value) - set(SERVICE_IDS))
        if unknown:
            raise ValueError(f"unknown services {unknown}; known: {list(SERVICE_IDS)}")
        return value


class SessionTimes(_Strict):
    idle_timeout_s: int = Field(default=60, ge=10, le=600)
    countdown_s: int = Field(default=10, ge=3, le=60)

    @model_validator(mode="after")
    def _shorter(self) -> SessionTimes:
        if self.countdown_s >= self.idle_timeout_s:
            raise ValueError("countdown_s must be shorter than idle_timeout_s")
        return self


class ReceiptText(_Strict):
    header_lines: list[str] = Field(default_factory=list, max_length=4)
    footer_lines: list[str] = Field(default_factory=list, max_length=4)


class OutboxBounds(_Strict):
    """The outbox's limits (docs/outbox.md): at any of them, new money transactions are refused."""

    max_rows: int = Field(default=10_000, ge=100)
    max_bytes: int = Field(default=64 * 1024 * 1024, ge=1_000_000)
    max_age_hours: int = Field(default=24, ge=1, le=720)


Language = Literal["zh_CN", "en"]
LANGUAGES: tuple[Language, ...] = ("zh_CN", "en")


class RemoteConfig(_Strict):
    schema_version: Literal[1] = Field(alias="schema")
    services: list[ServiceEntry] = Field(min_length=1)
    notices: list[Notice] = Field(default_factory=list, max_length=10)
    session: SessionTimes = SessionTimes()
    receipt: ReceiptText = ReceiptText()
    hours: Hours = Hours()
    languages: list[Language] = Field(default_factory=lambda: list(LANGUAGES), min_length=1)
    large_text_default: bool = False
    outbox: OutboxBounds = OutboxBounds()
    heartbeat_interval_s: int = Field(default=60, ge=10, le=3600)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    # What the out-of-service screen offers citizens, nearest first.
    alternatives: list[Alternative] = Field(default_factory=list, max_length=4)

    @field_validator("services")
    @classmethod
    def _each_once(cls, value: list[ServiceEntry]) -> list[ServiceEntry]:
        ids = [entry.id for entry in value]
        if len(set(ids)) != len(ids):
            raise ValueError("each service may appear once")
        return value

    @field_validator("languages")
    @classmethod
    def _chinese_first(cls, value: list[str]) -> list[str]:
        if value[0] != "zh_CN":
            raise ValueError("Simplified Chinese (zh_CN) must be offered, and first")
        return value

    def enabled_services(self) -> list[str]:
        return [entry.id for entry in self.services if entry.enabled]

    def restart_needed(self, other: RemoteConfig | None) -> bool:
        """The outbox is opened with its bounds at start; every other setting changes live."""
        return other is not None and other.outbox != self.outbox


def open_now(slots: list[OpeningSlot], now: datetime) -> bool:
    if not slots:
        return True
    day = WEEKDAYS[now.weekday()]
    return any(day in slot.days and slot.open <= now.time() < slot.close for slot in slots)


def next_opening(slots: list[OpeningSlot], now: datetime) -> tuple[str, time] | None:
    """The next (weekday, time) a closed service opens, to tell the citizen when to come back."""
    for offset in range(8):
        day_index = (now.weekday() + offset) % 7
        day = WEEKDAYS[day_index]
        candidates = sorted(
            slot.open for slot in slots if day in slot.days and (offset > 0 or slot.open > now.time())
        )
        if candidates:
            return day, candidates[0]
    return None
