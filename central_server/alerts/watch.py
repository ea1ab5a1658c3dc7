"""Detection where the events happen: each hook records its event and runs the rules that event can
trigger, in the caller's transaction, so an alert commits (or rolls back) with what caused it.

Everything a rule needs is read from the database (events of its window, the thresholds, open alerts),
so any worker of the centre may take any event; the open alert's unique `open_key` makes two workers
that detect one situation at once update one alert."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import secrets
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from central_server.alerts import rules as r
from central_server.alerts.config import rules_from_json, rules_to_json
from central_server.alerts.models import Alert, AlertEvent, AlertSettings
from central_server.db import insert_if_absent
from central_server.envelope import Code
from kiosk.masking import mask_bank_card, mask_id_number

_ROW_ID = 1
SIGN_IN_FAILED = "sign_in_failed"
SIGNED_IN = "signed_in"
PASSWORD_CHANGED = "password_changed"
WITHDRAWAL = "withdrawal"


def configure(session: Session, rules: r.AlertRules) -> None:
    """At start: makes the hash key on the centre's first start and writes this worker's thresholds."""
    insert_if_absent(
        session, AlertSettings, id=_ROW_ID, hash_key=secrets.token_hex(32), rules=rules_to_json(rules)
    )
    session.execute(
        update(AlertSettings).where(AlertSettings.id == _ROW_ID).values(rules=rules_to_json(rules))
    )


class _Watch:
    def __init__(self, session: Session, now: dt.datetime) -> None:
        settings = session.get_one(AlertSettings, _ROW_ID)
        self.session = session
        self.now = now
        self.rules = rules_from_json(settings.rules)
        self._key = bytes.fromhex(settings.hash_key)

    def digest(self, *parts: str) -> str:
        return hmac.new(self._key, "\0".join(parts).encode(), hashlib.sha256).hexdigest()

    def record(self, event: AlertEvent) -> None:
        # Events older than every rule's window can no longer count; dropping them keeps the table small.
        self.session.execute(delete(AlertEvent).where(AlertEvent.at < self.now - self.rules.longest_window()))
        self.session.add(event)
        self.session.flush()

    def events(self, kind: str, since: dt.timedelta, **match: str) -> list[AlertEvent]:
        conditions = [AlertEvent.kind == kind, AlertEvent.at > self.now - since]
        conditions += [getattr(AlertEvent, column) == value for column, value in match.items()]
        return list(self.session.scalars(select(AlertEvent).where(*conditions).order_by(AlertEvent.at)))

    def raise_alert(self, rule: r.Rule, key: str, subject: str, finding: r.Finding) -> None:
        evidence = json.dumps(finding.evidence, ensure_ascii=False, sort_keys=True)
        open_key = f"{rule.value}:{key}"
        insert_if_absent(
            self.session,
            Alert,
            rule=rule.value,
            severity=r.SEVERITY[rule],
            subject=subject,
            open_key=open_key,
            evidence=evidence,
            first_seen=self.now,
            last_seen=self.now,
            count=0,
        )
        alert = self.session.scalars(select(Alert).where(Alert.open_key == open_key).with_for_update()).one()
        alert.count += 1
        alert.evidence = evidence
        alert.last_seen = max(alert.last_seen, self.now)


def _failures(rows: list[AlertEvent]) -> list[r.SignInFailure]:
    return [r.SignInFailure(row.at, row.terminal_id, row.pair_key or "") for row in rows]


def sign_in_failed(
    session: Session, *, id_number: str, name: str, terminal_id: str, now: dt.datetime
) -> None:
    """A sign-in (or an old password) that failed or met a locked password: rules 1 and 2."""
    watch = _Watch(session, now)
    citizen_key = watch.digest("citizen", id_number)
    watch.record(
        AlertEvent(
            kind=SIGN_IN_FAILED,
            at=now,
            terminal_id=terminal_id,
            citizen_key=citizen_key,
            pair_key=watch.digest("pair", id_number, name),
            masked_id=mask_id_number(id_number),
        )
    )
    citizen_rule = watch.rules.citizen_sign_in_failures
    rows = watch.events(SIGN_IN_FAILED, dt.timedelta(seconds=citizen_rule.window_s), citizen_key=citizen_key)
    finding = r.citizen_sign_in_failures(_failures(rows), now, citizen_rule)
    if finding is not None:
        watch.raise_alert(r.Rule.CITIZEN_SIGN_IN_FAILURES, citizen_key, mask_id_number(id_number), finding)
    kiosk_rule = watch.rules.kiosk_sign_in_failures
    rows = watch.events(SIGN_IN_FAILED, dt.timedelta(seconds=kiosk_rule.window_s), terminal_id=terminal_id)
    finding = r.kiosk_sign_in_failures(_failures(rows), now, kiosk_rule)
    if finding is not None:
        watch.raise_alert(r.Rule.KIOSK_SIGN_IN_FAILURES, terminal_id, terminal_id, finding)


def signed_in(session: Session, *, id_number: str, terminal_id: str, hall: str, now: dt.datetime) -> None:
    """A successful sign-in: rule 5."""
    watch = _Watch(session, now)
    citizen_key = watch.digest("citizen", id_number)
    watch.record(
        AlertEvent(
            kind=SIGNED_IN,
            at=now,
            terminal_id=terminal_id,
            hall=hall,
            citizen_key=citizen_key,
            masked_id=mask_id_number(id_number),
        )
    )
    rule = watch.rules.two_halls
    rows = watch.events(SIGNED_IN, dt.timedelta(seconds=rule.within_s), citizen_key=citizen_key)
    latest = r.SignIn(now, terminal_id, hall)
    finding = r.two_halls([r.SignIn(row.at, row.terminal_id, row.hall or "") for row in rows], latest, rule)
    if finding is not None:
        watch.raise_alert(r.Rule.TWO_HALLS, citizen_key, mask_id_number(id_number), finding)


def password_changed(session: Session, *, id_number: str, terminal_id: str, now: dt.datetime) -> None:
    """A changed query password: counted by rule 4 when a withdrawal follows."""
    watch = _Watch(session, now)
    watch.record(
        AlertEvent(
            kind=PASSWORD_CHANGED,
            at=now,
            terminal_id=terminal_id,
            citizen_key=watch.digest("citizen", id_number),
            masked_id=mask_id_number(id_number),
        )
    )


def withdrawal_applied(
    session: Session, *, id_number: str, pan: str, reference: str, terminal_id: str, now: dt.datetime
) -> None:
    """An accepted withdrawal application: rules 3 and 4."""
    watch = _Watch(session, now)
    citizen_key = watch.digest("citizen", id_number)
    card_key = watch.digest("card", pan)
    masked_id = mask_id_number(id_number)
    watch.record(
        AlertEvent(
            kind=WITHDRAWAL,
            at=now,
            terminal_id=terminal_id,
            citizen_key=citizen_key,
            card_key=card_key,
            masked_id=masked_id,
            reference=reference,
        )
    )
    card_rule = watch.rules.shared_payee_card
    rows = watch.events(WITHDRAWAL, dt.timedelta(days=card_rule.window_days), card_key=card_key)
    withdrawals = [r.Withdrawal(row.at, row.citizen_key, row.masked_id, row.reference or "") for row in rows]
    finding = r.shared_payee_card(withdrawals, now, card_rule)
    if finding is not None:
        watch.raise_alert(r.Rule.SHARED_PAYEE_CARD, card_key, mask_bank_card(pan), finding)
    change_rule = watch.rules.withdrawal_after_password_change
    rows = watch.events(PASSWORD_CHANGED, dt.timedelta(seconds=change_rule.within_s), citizen_key=citizen_key)
    finding = r.withdrawal_after_password_change([row.at for row in rows], now, change_rule)
    if finding is not None:
        evidence: dict[str, Any] = {
            **finding.evidence,
            "claim_number": reference,
            "card": mask_bank_card(pan),
        }
        watch.raise_alert(
            r.Rule.WITHDRAWAL_AFTER_PASSWORD_CHANGE, citizen_key, masked_id, r.Finding(evidence)
        )


def sign_in_attempt(
    session: Session,
    *,
    id_number: str,
    name: str,
    terminal_id: str,
    hall: str,
    succeeded: bool,
    now: dt.datetime,
) -> None:
    """A sign-in the centre answered (not one refused `rate_limited` unchecked): a success counts for rule
    5; a failure, wrong password or password already locked, for rules 1 and 2."""
    if succeeded:
        signed_in(session, id_number=id_number, terminal_id=terminal_id, hall=hall, now=now)
    else:
        sign_in_failed(session, id_number=id_number, name=name, terminal_id=terminal_id, now=now)


def password_change_attempt(
    session: Session, *, id_number: str, name: str, terminal_id: str, refusal: Code | None, now: dt.datetime
) -> None:
    """A password change the centre answered: a wrong or locked old password is a failed sign-in (as the
    contract counts it), a change counts for rule 4, a weak new password for nothing."""
    if refusal is None:
        password_changed(session, id_number=id_number, terminal_id=terminal_id, now=now)
    elif refusal in (Code.SIGN_IN_FAILED, Code.PASSWORD_LOCKED):
        sign_in_failed(session, id_number=id_number, name=name, terminal_id=terminal_id, now=now)
