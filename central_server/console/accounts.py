"""Operator accounts: roles, argon2id password hashes, the sign-in check with its lockout, and the audit
log of every operator action. Plain functions over a SQLAlchemy session (the CLI and the console share
them).

Lockout: after `LOCK_AFTER` wrong passwords in a row an account waits `LOCK_FIRST_S`, doubling with each
further wrong password up to `LOCK_MAX_S`; the right password ends it. A username that does not exist is
checked against a dummy hash, so the answer takes as long either way.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from central_server.console.models import OperatorAccount, OperatorAuditEntry

LOCK_AFTER = 5
LOCK_FIRST_S = 60
LOCK_MAX_S = 3600
MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 200  # the sign-in form takes no more: a longer password could never be used
USERNAME = re.compile(r"^[a-z][a-z0-9._-]{2,39}$")
# argon2-cffi's defaults (RFC 9106's second recommendation: argon2id, 64 MiB, 3 passes).
_HASHER = PasswordHasher()
_DUMMY_HASH = _HASHER.hash("not a password of anyone")


class Role(enum.IntEnum):
    """Each role can do what the roles below it can."""

    VIEWER = 1  # sees the fleet, the scorecard, the work lists
    OPERATOR = 2  # also rollouts, cases, alerts, the customer view
    ADMINISTRATOR = 3  # also operators and terminals

    @classmethod
    def parse(cls, text: str) -> Role:
        try:
            return cls[text.upper()]
        except KeyError:
            raise AccountError(
                "unknown role {role}; roles: viewer, operator, administrator", role=repr(text)
            ) from None


class AccountError(Exception):
    """A one-line reason an account could not be made or changed. `text` with its `{placeholders}` and their
    `values` apart, so the console can translate the sentence and fill it in after."""

    def __init__(self, text: str, **values: str) -> None:
        super().__init__(text.format(**values))
        self.text = text
        self.values = values


@dataclass(frozen=True)
class SignedIn:
    id: int
    username: str
    role: Role
    epoch: int


@dataclass(frozen=True)
class SignInRefused:
    reason: str  # wrong | locked | disabled (the page says the same for wrong and disabled)
    wait_s: int = 0


def check_password_rules(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError("the password needs at least {count} characters", count=str(MIN_PASSWORD_LENGTH))
    if len(password) > MAX_PASSWORD_LENGTH:
        raise AccountError("the password may have at most {count} characters", count=str(MAX_PASSWORD_LENGTH))


def add(session: Session, username: str, password: str, role: Role, now: int) -> OperatorAccount:
    if not USERNAME.match(username):
        raise AccountError(
            "a username is 3 to 40 characters: lower-case letters, digits, '.', '_' or '-', a letter first"
        )
    check_password_rules(password)
    if session.scalar(select(OperatorAccount).where(OperatorAccount.username == username)) is not None:
        raise AccountError("operator {username} exists already", username=username)
    account = OperatorAccount(
        username=username,
        password_hash=_HASHER.hash(password),
        role=role.name.lower(),
        active=True,
        failures=0,
        locked_until=0,
        created_at=now,
        session_epoch=0,
    )
    session.add(account)
    session.flush()
    return account


def find(session: Session, username: str) -> OperatorAccount:
    account = session.scalar(select(OperatorAccount).where(OperatorAccount.username == username))
    if account is None:
        raise AccountError("no operator {username}", username=username)
    return account


def set_password(session: Session, username: str, password: str) -> None:
    check_password_rules(password)
    account = find(session, username)
    account.password_hash = _HASHER.hash(password)
    account.failures = 0
    account.locked_until = 0
    account.session_epoch += 1


def disable(session: Session, username: str) -> None:
    account = find(session, username)
    account.active = False
    account.session_epoch += 1


def enable(session: Session, username: str) -> None:
    """A disabled account may sign in again; the sessions its disable ended stay ended."""
    find(session, username).active = True


def set_role(session: Session, username: str, role: Role) -> None:
    """A new role ends the operator's sessions: a page open under the old role must not act with it."""
    account = find(session, username)
    if account.role != role.name.lower():
        account.role = role.name.lower()
        account.session_epoch += 1


def unlock(session: Session, username: str) -> None:
    """Ends a lockout and forgets the wrong passwords before it: the right password signs in at once."""
    account = find(session, username)
    account.failures = 0
    account.locked_until = 0


def sign_in(session: Session, username: str, password: str, now: int) -> SignedIn | SignInRefused:
    account = session.scalar(select(OperatorAccount).where(OperatorAccount.username == username))
    if account is None:
        _verify(_DUMMY_HASH, password)
        return SignInRefused("wrong")
    if account.locked_until > now:
        return SignInRefused("locked", account.locked_until - now)
    if not _verify(account.password_hash, password):
        account.failures += 1
        if account.failures >= LOCK_AFTER:
            wait = min(LOCK_MAX_S, LOCK_FIRST_S * 2 ** (account.failures - LOCK_AFTER))
            account.locked_until = now + wait
            return SignInRefused("locked", wait)
        return SignInRefused("wrong")
    if not account.active:
        return SignInRefused("disabled")
    account.failures = 0
    account.locked_until = 0
    if _HASHER.check_needs_rehash(account.password_hash):
        account.password_hash = _HASHER.hash(password)
    return SignedIn(account.id, account.username, Role.parse(account.role), account.session_epoch)


def current(session: Session, account_id: int, epoch: int) -> SignedIn | None:
    """The account behind a session, or None when it was disabled or its password changed since."""
    account = session.get(OperatorAccount, account_id)
    if account is None or not account.active or account.session_epoch != epoch:
        return None
    return SignedIn(account.id, account.username, Role.parse(account.role), account.session_epoch)


def has_any(session: Session) -> bool:
    return session.scalar(select(OperatorAccount.id).limit(1)) is not None


def record(
    session: Session,
    username: str,
    action: str,
    *,
    at: int,
    target: str = "",
    detail: str = "",
    address: str = "",
) -> None:
    """One line of the operator audit log."""
    session.add(
        OperatorAuditEntry(
            at=at,
            username=username,
            action=action,
            target=target[:200],
            detail=detail,
            address=address[:64],
        )
    )


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _HASHER.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
