"""Hall staff sign-in for maintenance mode: the roster from the centre (kept on disk for offline use), the
PIN check, the lockout, and the maintenance session.

The roster (`GET /v1/terminal/staff`) holds staff ids, roles and scrypt hashes of 6-digit PINs, no names.
It is fetched at start and at every fleet poll (a 304 costs nothing) and kept in the data dir (mode 0600,
written atomically), so staff can sign in while the centre is unreachable.

A PIN is checked with scrypt at the cost stored in its hash (the contract: n=2**15, r=8, p=1, about 50-100
ms and 32 MiB per check on a kiosk), which is what makes a copied roster slow to guess. An unknown staff id
is checked against a hash of the same cost, so the answer takes as long either way.

The lockout is per kiosk, across staff ids, so that trying ids one after another gains nothing: after
`lockout_failures` wrong answers in a row the kiosk makes everyone wait `lockout_first_wait_s`, doubling
with each further failure up to `lockout_max_wait_s`; a sign-in that succeeds ends it. It is kept on disk
(by the wall clock), so a restart does not lift it.
"""

from __future__ import annotations

import enum
import logging
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from kiosk.central import CentralClient, CentralError, CentralUnavailable
from kiosk.central.models import StaffAccount, StaffRoster
from kiosk.i18n import N_
from kiosk.pin_hash import hash_pin, pin_matches
from kiosk.services.staff_audit import UNKNOWN_STAFF, StaffAudit
from kiosk.services.state_file import read_record, write_private

log = logging.getLogger(__name__)

ROSTER_FILE = "staff_roster.json"
LOCKOUT_FILE = "staff_lockout.json"
# A roster hash asking for more than this would make one PIN check take seconds and hundreds of MiB: such
# an entry is treated as unusable (the PIN is refused), never computed.


class StaffNotSignedIn(Exception):
    """A maintenance action without a signed-in session (it timed out, or staff signed out)."""


class SignInOutcome(enum.StrEnum):
    OK = "ok"
    WRONG = "wrong"  # the staff number or the PIN is wrong (never said which)
    LOCKED = "locked"  # too many wrong answers: wait `wait_s`
    NO_ROSTER = "no_roster"  # this kiosk has never had the roster from the centre


_MESSAGES = {
    SignInOutcome.OK: N_("Signed in to maintenance mode."),
    SignInOutcome.WRONG: N_("The staff number or PIN is not right. Please try again."),
    SignInOutcome.LOCKED: N_("Too many wrong PINs. Please wait before trying again."),
    SignInOutcome.NO_ROSTER: N_(
        "This kiosk has no staff list from the centre yet. Connect it to the centre and try again."
    ),
}


@dataclass
class MaintenanceSession:
    """One staff member's maintenance session: who, since when, and its idle timeout. Thread-safe."""

    staff_id: str
    role: str
    since: datetime
    idle_s: float
    clock: Callable[[], float] = time.monotonic
    _last: float = field(init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False)

    def __post_init__(self) -> None:
        self._last = self.clock()

    def touch(self) -> None:
        """Staff did something: the idle timeout starts again."""
        with self._lock:
            self._last = self.clock()

    def idle_left_s(self) -> float:
        with self._lock:
            return max(0.0, self._last + self.idle_s - self.clock())

    def expired(self) -> bool:
        return self.idle_left_s() <= 0


@dataclass(frozen=True)
class StaffSignIn:
    outcome: SignInOutcome
    message: str  # a message id for the sign-in screen
    wait_s: int = 0  # LOCKED: seconds before the next try is taken
    session: MaintenanceSession | None = None  # OK: the session begun


class RosterCache:
    """The centre's staff roster, kept in the data dir. Thread-safe."""

    def __init__(self, central: CentralClient, data_dir: Path) -> None:
        self._central = central
        self._path = data_dir / ROSTER_FILE
        self._lock = threading.Lock()
        self._etag: str | None = None
        self._roster: StaffRoster | None = None
        self._loaded = False

    def refresh(self) -> bool:
        """Ask the centre for a newer roster; True when it answered. Blocking (HTTP, disk): call from a
        worker (the runtime calls it at every fleet poll)."""
        with self._lock:
            self._load_once()
            etag = self._etag if self._roster is not None else None
        try:
            answered_etag, roster = self._central.staff_roster(etag)
        except (CentralUnavailable, CentralError) as exc:
            log.info("staff roster: using the kept roster (%s)", type(exc).__name__)
            return False
        if roster is not None:
            with self._lock:
                self._etag, self._roster = answered_etag, roster
                self._save()
        return True

    def account(self, staff_id: str) -> StaffAccount | None:
        """The active account of `staff_id`; reads the kept roster from disk the first time (blocking)."""
        with self._lock:
            self._load_once()
            roster = self._roster
        if roster is None:
            return None
        return next((a for a in roster.staff if a.staff_id == staff_id and a.active), None)

    @property
    def available(self) -> bool:
        with self._lock:
            self._load_once()
            return self._roster is not None

    def _load_once(self) -> None:
        if self._loaded:
            return
        self._loaded = True
        record = read_record(self._path)
        if record is None:
            return
        try:
            self._roster = StaffRoster.model_validate(record["roster"])
            etag = record.get("etag")
            self._etag = etag if isinstance(etag, str) else None
        except (KeyError, ValueError) as exc:
            # Only a cache: the centre's next answer replaces it.
            log.warning("%s is not a staff roster (%s); it will be replaced", self._path, type(exc).__name__)

    def _save(self) -> None:
        assert self._roster is not None
        try:
            write_private(self._path, {"etag": self._etag, "roster": self._roster.model_dump(mode="json")})
        except OSError as exc:
            log.warning("cannot keep the staff roster in %s: %s", self._path, exc.strerror)


class Lockout:
    """Consecutive wrong sign-ins on this kiosk and the wait they impose, kept on disk. Thread-safe."""

    def __init__(
        self,
        path: Path,
        *,
        failures_before_wait: int,
        first_wait_s: float,
        max_wait_s: float,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self._path = path
        self._failures_before_wait = failures_before_wait
        self._first_wait_s = first_wait_s
        self._max_wait_s = max_wait_s
        self._clock = wall_clock
        self._lock = threading.Lock()
        record = read_record(path) or {}
        failures, until = record.get("failures", 0), record.get("locked_until", 0.0)
        self._failures = failures if isinstance(failures, int) and failures >= 0 else 0
        self._locked_until = float(until) if isinstance(until, int | float) else 0.0

    @property
    def failures(self) -> int:
        with self._lock:
            return self._failures

    def wait_s(self) -> int:
        """Seconds until the next try is taken; 0 when it is taken now."""
        with self._lock:
            return max(0, int(self._locked_until - self._clock() + 0.999))

    def failed(self) -> int:
        """Count a wrong answer; returns the wait it imposes (0: none yet)."""
        with self._lock:
            self._failures += 1
            over = self._failures - self._failures_before_wait
            wait = 0.0
            if over >= 0:
                wait = min(self._max_wait_s, self._first_wait_s * 2 ** min(over, 32))
                self._locked_until = self._clock() + wait
            self._save()
            return int(wait)

    def succeeded(self) -> None:
        with self._lock:
            if self._failures or self._locked_until:
                self._failures, self._locked_until = 0, 0.0
                self._save()

    def _save(self) -> None:
        try:
            write_private(self._path, {"failures": self._failures, "locked_until": self._locked_until})
        except OSError as exc:
            # Still enforced in memory until the app stops.
            log.warning("cannot keep the staff lockout in %s: %s", self._path, exc.strerror)


class StaffService:
    """Sign-in, the current maintenance session, and sign-out; every step is audited."""

    def __init__(
        self,
        roster: RosterCache,
        lockout: Lockout,
        audit: StaffAudit,
        *,
        idle_s: float,
        now: Callable[[], datetime],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.roster = roster
        self.lockout = lockout
        self._audit = audit
        self._idle_s = idle_s
        self._now = now
        self._clock = clock
        self._sign_in_lock = threading.Lock()
        self._lock = threading.Lock()
        self._session: MaintenanceSession | None = None
        self._dummy_hash: str | None = None

    @property
    def session(self) -> MaintenanceSession | None:
        """The maintenance session in progress, or None."""
        with self._lock:
            return self._session

    def sign_in(self, staff_id: str, pin: str) -> StaffSignIn:
        """Check a staff number and PIN. Blocking (disk, one scrypt check): call from a worker. One at a
        time: a second caller waits, so no burst of tries slips past the lockout."""
        with self._sign_in_lock:
            wait = self.lockout.wait_s()
            if wait:
                return StaffSignIn(SignInOutcome.LOCKED, _MESSAGES[SignInOutcome.LOCKED], wait_s=wait)
            if not self.roster.available:
                return StaffSignIn(SignInOutcome.NO_ROSTER, _MESSAGES[SignInOutcome.NO_ROSTER])
            account = self.roster.account(staff_id)
            if account is None:
                pin_matches(pin, self._unknown_hash())  # the same time as a known id's check
                return self._failed(UNKNOWN_STAFF)
            if not pin_matches(pin, account.pin_hash):
                return self._failed(account.staff_id)
            self.lockout.succeeded()
            session = MaintenanceSession(
                account.staff_id, account.role, self._now(), self._idle_s, self._clock
            )
            with self._lock:
                self._session = session
        self._audit.record(account.staff_id, "sign_in", outcome="ok")
        log.info("maintenance session begun (%s)", account.role)
        return StaffSignIn(SignInOutcome.OK, _MESSAGES[SignInOutcome.OK], session=session)

    def sign_out(self) -> None:
        """Staff left maintenance mode (back to the attract screen). Nothing when nobody is signed in."""
        self._end("sign_out")

    def end_if_idle(self) -> bool:
        """End the session when it has been idle too long (audited as timed_out); True when it ended.
        The app calls this from its idle tick and then shows the attract screen."""
        session = self.session
        if session is None or not session.expired():
            return False
        return self._end("timed_out", session)

    def _end(self, action: str, only: MaintenanceSession | None = None) -> bool:
        with self._lock:
            session = self._session
            if session is None or (only is not None and session is not only):
                return False
            self._session = None
        self._audit.record(session.staff_id, action)
        log.info("maintenance session ended (%s)", action)
        return True

    def _failed(self, staff_id: str) -> StaffSignIn:
        wait = self.lockout.failed()
        self._audit.record(staff_id, "sign_in_failed", outcome="fail")
        if wait:
            self._audit.record(staff_id, "locked_out", target=str(wait))
            log.warning(
                "maintenance sign-in locked for %d s after %d wrong tries", wait, self.lockout.failures
            )
            return StaffSignIn(SignInOutcome.LOCKED, _MESSAGES[SignInOutcome.LOCKED], wait_s=wait)
        return StaffSignIn(SignInOutcome.WRONG, _MESSAGES[SignInOutcome.WRONG])

    def _unknown_hash(self) -> str:
        if self._dummy_hash is None:
            self._dummy_hash = hash_pin(secrets.token_hex(8))
        return self._dummy_hash
