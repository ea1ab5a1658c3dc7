"""Maintenance services without a screen: the lockout (injected clock), the roster kept for offline use,
the PIN check, the paper estimate, out of service across a restart, and the audit lane."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from kiosk.central.models import StaffAccount, StaffRoster
from kiosk.devices.printer.status import Paper
from kiosk.offline_queue.bounds import BoundsPolicy
from kiosk.offline_queue.outbox import Outbox
from kiosk.pin_hash import hash_pin, pin_matches
from kiosk.services.background import Background
from kiosk.services.paper import PaperCounter
from kiosk.services.service_state import ServiceState
from kiosk.services.staff import (
    LOCKOUT_FILE,
    Lockout,
    RosterCache,
    SignInOutcome,
    StaffService,
)
from kiosk.services.staff_audit import StaffAudit

NOW = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)


def _hash(pin: str, n: int = 2**10) -> str:
    return hash_pin(pin, (n, 8, 1))


ROSTER = StaffRoster(staff=[StaffAccount(staff_id="900001", pin_hash=_hash("246810"), role="hall_staff")])


class Clock:
    def __init__(self) -> None:
        self.t = 1_000_000.0

    def __call__(self) -> float:
        return self.t


class FakeCentral:
    """Only the roster call: the HTTP side is tested end to end in tests/e2e/test_maintenance_session.py."""

    def __init__(self) -> None:
        self.roster: StaffRoster | None = ROSTER
        self.calls: list[str | None] = []
        self.down = False

    def staff_roster(self, etag: str | None) -> tuple[str | None, StaffRoster | None]:
        from kiosk.central import CentralUnavailable

        self.calls.append(etag)
        if self.down:
            raise CentralUnavailable("GET /v1/terminal/staff: ConnectionError")
        if etag == '"r1"':
            return etag, None
        return '"r1"', self.roster


@pytest.fixture
def outbox(tmp_path: Path) -> Iterator[Outbox]:
    box = Outbox.open(tmp_path / "outbox", bounds=BoundsPolicy(max_rows=100))
    yield box
    box.close()


def _service(
    tmp_path: Path, central: FakeCentral, clock: Clock, outbox: Outbox | None = None
) -> StaffService:
    lane = Background(workers=1, name="test-audit")
    audit = StaffAudit(lambda: outbox, lambda: NOW, lane)
    lockout = Lockout(
        tmp_path / LOCKOUT_FILE, failures_before_wait=3, first_wait_s=30, max_wait_s=900, wall_clock=clock
    )
    return StaffService(
        RosterCache(central, tmp_path),  # type: ignore[arg-type]
        lockout,
        audit,
        idle_s=120,
        now=lambda: NOW,
        clock=clock,
    )


def test_lockout_waits_after_three_failures_doubling_up_to_its_most_and_survives_a_restart(
    tmp_path: Path,
) -> None:
    clock = Clock()
    staff = _service(tmp_path, FakeCentral(), clock)
    assert staff.roster.refresh()
    outcomes = [staff.sign_in("900001", "000000").outcome for _ in range(2)]
    assert outcomes == [SignInOutcome.WRONG, SignInOutcome.WRONG]
    third = staff.sign_in("123456", "000000")  # another id counts all the same: ids cannot be tried out
    assert (third.outcome, third.wait_s) == (SignInOutcome.LOCKED, 30)
    assert staff.sign_in("900001", "246810").outcome is SignInOutcome.LOCKED  # even the right PIN waits
    clock.t += 30
    assert staff.sign_in("900001", "111111").wait_s == 60
    waits = []
    for _ in range(6):
        clock.t += 10_000
        waits.append(staff.sign_in("900001", "111111").wait_s)
    assert waits == [120, 240, 480, 900, 900, 900]
    # A restart keeps the lockout: a new service reads it from the data dir (mode 0600).
    restarted = _service(tmp_path, FakeCentral(), clock)
    assert restarted.sign_in("900001", "246810").outcome is SignInOutcome.LOCKED
    assert stat.S_IMODE(os.stat(tmp_path / LOCKOUT_FILE).st_mode) == 0o600
    clock.t += 900
    assert restarted.sign_in("900001", "246810").outcome is SignInOutcome.OK
    assert restarted.lockout.failures == 0


def test_the_roster_kept_on_disk_signs_staff_in_while_the_centre_is_down(tmp_path: Path) -> None:
    central = FakeCentral()
    first = _service(tmp_path, central, Clock())
    assert first.sign_in("900001", "246810").outcome is SignInOutcome.NO_ROSTER
    assert first.roster.refresh()
    assert first.roster.refresh() and central.calls[-1] == '"r1"'  # the ETag is sent: a 304 changes nothing
    assert stat.S_IMODE(os.stat(tmp_path / "staff_roster.json").st_mode) == 0o600
    central.down = True
    offline = _service(tmp_path, central, Clock())
    assert not offline.roster.refresh()
    result = offline.sign_in("900001", "246810")
    assert result.outcome is SignInOutcome.OK and result.session is not None
    assert result.session.staff_id == "900001"


def test_a_session_expires_when_idle_and_touch_keeps_it(tmp_path: Path) -> None:
    clock = Clock()
    staff = _service(tmp_path, FakeCentral(), clock)
    staff.roster.refresh()
    session = staff.sign_in("900001", "246810").session
    assert session is not None
    clock.t += 100
    session.touch()
    clock.t += 100
    assert not staff.end_if_idle() and staff.session is session
    clock.t += 21
    assert staff.end_if_idle() and staff.session is None


def test_pin_check_uses_the_cost_in_the_hash_and_refuses_unusable_hashes() -> None:
    good = _hash("246810", n=2**15)  # the contract's cost: over Python's default memory limit
    assert pin_matches("246810", good)
    assert not pin_matches("246811", good)
    assert not pin_matches("246810", "scrypt$4194304$8$1$00$00")  # too costly: never computed
    assert not pin_matches("246810", "bcrypt$x")


def test_paper_estimate_counts_jobs_until_the_roll_is_replaced(tmp_path: Path) -> None:
    counter = PaperCounter(tmp_path, columns=32, roll_length_m=10, warn_remaining_m=2)
    counter.add_mm(7_500)
    estimate = counter.estimate(Paper.OK)
    assert (estimate.used_m, estimate.remaining_m, estimate.low) == (7.5, 2.5, False)
    counter.add_mm(600)
    assert counter.estimate(Paper.OK).low
    # Kept across a restart; the printer's own sensor also makes it low.
    again = PaperCounter(tmp_path, columns=32, roll_length_m=10, warn_remaining_m=2)
    assert again.estimate(Paper.OK).remaining_m == pytest.approx(1.9)
    again.paper_replaced(NOW)
    fresh = again.estimate(Paper.OK)
    assert (fresh.used_m, fresh.low, fresh.replaced_at) == (0.0, False, NOW)
    assert again.estimate(Paper.NEAR_END).low


def test_out_of_service_survives_a_restart_and_tells_listeners(tmp_path: Path) -> None:
    state = ServiceState(tmp_path)
    heard: list[bool] = []
    state.listen(lambda status: heard.append(status.in_service))
    state.take_out("paper", "900001", NOW)
    restarted = ServiceState(tmp_path)
    assert not restarted.in_service
    assert restarted.heartbeat_fields() == {
        "in_service": False,
        "out_of_service_reason": "paper",
        "out_of_service_since": NOW.isoformat(),
    }
    restarted.put_back()
    assert ServiceState(tmp_path).in_service and heard == [False]
    with pytest.raises(ValueError, match="unknown out-of-service reason"):
        state.take_out("lunch", "900001", NOW)


def test_audit_events_reach_the_outbox_and_a_closed_outbox_drops_them_counted(
    tmp_path: Path, outbox: Outbox
) -> None:
    lane = Background(workers=1, name="test-audit")
    audit = StaffAudit(lambda: outbox, lambda: NOW, lane)
    audit.record("900001", "paper_replaced", outcome="ok", target="printer")
    assert audit.flush(5)
    (row,) = outbox.waiting(("staff_audit_event",))
    assert row.idempotency_key.startswith("staff-")
    assert row.payload == {
        "staff_id": "900001",
        "action": "paper_replaced",
        "outcome": "ok",
        "target": "printer",
        "at": NOW.isoformat(),
    }
    closed = StaffAudit(lambda: None, lambda: NOW, lane)
    closed.record("900001", "sign_out")
    assert closed.flush(5) and closed.dropped == 1
