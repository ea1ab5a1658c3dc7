"""The alert thresholds as an operator writes them: a TOML file of one table per rule, every key optional.

    [citizen_sign_in_failures]
    failures = 5
    terminals = 2
    window_s = 3600

The same shape, as JSON, is what the centre keeps in its database (`alert_settings`).
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import asdict
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from central_server.alerts.rules import (
    AlertRules,
    CitizenFailuresThresholds,
    KioskFailuresThresholds,
    PasswordChangeThresholds,
    SharedCardThresholds,
    TwoHallsThresholds,
)

_DAY_S = 86_400
_defaults = AlertRules()


class _Table(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class _CitizenFailures(_Table):
    failures: int = Field(default=_defaults.citizen_sign_in_failures.failures, ge=1, le=1000)
    terminals: int = Field(default=_defaults.citizen_sign_in_failures.terminals, ge=1, le=1000)
    window_s: int = Field(default=_defaults.citizen_sign_in_failures.window_s, ge=1, le=7 * _DAY_S)


class _KioskFailures(_Table):
    citizens: int = Field(default=_defaults.kiosk_sign_in_failures.citizens, ge=1, le=1000)
    window_s: int = Field(default=_defaults.kiosk_sign_in_failures.window_s, ge=1, le=7 * _DAY_S)


class _SharedCard(_Table):
    citizens: int = Field(default=_defaults.shared_payee_card.citizens, ge=2, le=1000)
    window_days: int = Field(default=_defaults.shared_payee_card.window_days, ge=1, le=366)


class _PasswordChange(_Table):
    within_s: int = Field(default=_defaults.withdrawal_after_password_change.within_s, ge=1, le=30 * _DAY_S)


class _TwoHalls(_Table):
    within_s: int = Field(default=_defaults.two_halls.within_s, ge=1, le=_DAY_S)


class _RulesFile(_Table):
    citizen_sign_in_failures: _CitizenFailures = _CitizenFailures()
    kiosk_sign_in_failures: _KioskFailures = _KioskFailures()
    shared_payee_card: _SharedCard = _SharedCard()
    withdrawal_after_password_change: _PasswordChange = _PasswordChange()
    two_halls: _TwoHalls = _TwoHalls()


class AlertRulesFileError(Exception):
    """The alert rules file cannot be used; `str()` names the file, the key and what to do."""


def rules_from_document(document: dict[str, Any]) -> AlertRules:
    """Raises pydantic's ValidationError for a document that is not a set of thresholds."""
    checked = _RulesFile.model_validate(document)
    return AlertRules(
        citizen_sign_in_failures=CitizenFailuresThresholds(**checked.citizen_sign_in_failures.model_dump()),
        kiosk_sign_in_failures=KioskFailuresThresholds(**checked.kiosk_sign_in_failures.model_dump()),
        shared_payee_card=SharedCardThresholds(**checked.shared_payee_card.model_dump()),
        withdrawal_after_password_change=PasswordChangeThresholds(
            **checked.withdrawal_after_password_change.model_dump()
        ),
        two_halls=TwoHallsThresholds(**checked.two_halls.model_dump()),
    )


def load_alert_rules(path: Path) -> AlertRules:
    try:
        with path.open("rb") as handle:
            document = tomllib.load(handle)
    except OSError as exc:
        raise AlertRulesFileError(f"cannot read alert rules file {path}: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise AlertRulesFileError(f"alert rules file {path} is not valid TOML: {exc}") from None
    try:
        return rules_from_document(document)
    except ValidationError as exc:
        error = exc.errors()[0]
        key = ".".join(str(part) for part in error["loc"])
        raise AlertRulesFileError(
            f"alert rules file {path}: key {key}: {error['msg']} (see docs/alerts.md for the keys)"
        ) from None


def rules_to_json(rules: AlertRules) -> str:
    return json.dumps(asdict(rules), sort_keys=True)


def rules_from_json(text: str) -> AlertRules:
    return rules_from_document(json.loads(text))
