"""Applying bundles on a kiosk: deferred during a citizen's session, rolled back when the kiosk is unwell
afterwards (a failed health check, a failing apply, a crash loop), kept across restarts."""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from kiosk.remote_config.bundle import sign_bundle
from kiosk.remote_config.schema import RemoteConfig
from kiosk.remote_config.store import ConfigStore
from kiosk.services.health import HealthVerdict
from kiosk.services.remote_config import Outcome, RemoteConfigService
from tests.remote_config.conftest import example_config


class Kiosk:
    """The parts of a kiosk the service talks to, recording what happened."""

    def __init__(self) -> None:
        self.session = False
        self.healthy = True
        self.applied: list[RemoteConfig | None] = []
        self.reports: list[Outcome] = []
        self.break_apply_for: int | None = None  # idle timeout that makes the apply raise

    def apply(self, config: RemoteConfig | None) -> None:
        if config is not None and config.session.idle_timeout_s == self.break_apply_for:
            raise RuntimeError("a setting the UI cannot take")
        self.applied.append(config)

    def service(self, directory: Path, trusted: dict[str, Ed25519PublicKey]) -> RemoteConfigService:
        return RemoteConfigService(
            ConfigStore(directory),
            trusted_keys=trusted,
            kiosk_id="KIOSK-T1",
            group="hall-1",
            apply_live=self.apply,
            health_check=lambda: HealthVerdict(self.healthy, "" if self.healthy else "central unreachable"),
            report=self.reports.append,
            session_active=lambda: self.session,
        )


def _outcomes(kiosk: Kiosk) -> list[tuple[int, str]]:
    return [(o.version, o.outcome) for o in kiosk.reports]


def test_apply_then_healthy_and_kept_across_restart(
    tmp_path: Path, trusted, make_bundle: Callable[..., Any]
) -> None:
    kiosk = Kiosk()
    service = kiosk.service(tmp_path, trusted)
    assert service.start() is None
    assert (
        service.offer(make_bundle(1, session={"idle_timeout_s": 90, "countdown_s": 15})).outcome == "healthy"
    )
    assert _outcomes(kiosk) == [(1, "applied"), (1, "healthy")]
    assert kiosk.applied[-1].session.idle_timeout_s == 90
    restarted = kiosk.service(tmp_path, trusted)
    assert restarted.start().session.idle_timeout_s == 90
    assert restarted.state.good_version == 1 and not restarted.state.on_probation


def test_deferred_during_a_session_and_applied_right_after(tmp_path: Path, trusted, make_bundle) -> None:
    kiosk = Kiosk()
    service = kiosk.service(tmp_path, trusted)
    service.start()
    kiosk.session = True
    assert service.offer(make_bundle(2, large_text_default=True)).outcome == "deferred"
    assert kiosk.applied == [] and service.deferred_version == 2
    kiosk.session = False
    assert service.session_ended().outcome == "healthy"
    assert kiosk.applied[-1].large_text_default is True
    assert _outcomes(kiosk) == [(2, "deferred"), (2, "applied"), (2, "healthy")]
    assert service.session_ended() is None  # nothing left waiting


def test_unhealthy_after_apply_rolls_back_to_last_known_good(tmp_path: Path, trusted, make_bundle) -> None:
    kiosk = Kiosk()
    service = kiosk.service(tmp_path, trusted)
    service.start()
    service.offer(make_bundle(1, session={"idle_timeout_s": 90, "countdown_s": 15}))
    kiosk.healthy = False
    outcome = service.offer(make_bundle(2, session={"idle_timeout_s": 30, "countdown_s": 5}))
    assert (outcome.outcome, outcome.reason) == ("rolled_back", "central unreachable")
    assert kiosk.applied[-1].session.idle_timeout_s == 90  # the last known good is live again
    assert ConfigStore(tmp_path).current()["version"] == 1
    kiosk.healthy = True
    # The bad version is never taken again as new; a newer one is.
    assert service.offer(make_bundle(2)).outcome == "refused"
    assert service.offer(make_bundle(3)).outcome == "healthy"


def test_an_apply_that_raises_rolls_back(tmp_path: Path, trusted, make_bundle) -> None:
    kiosk = Kiosk()
    kiosk.break_apply_for = 45
    service = kiosk.service(tmp_path, trusted)
    service.start()
    outcome = service.offer(make_bundle(1, session={"idle_timeout_s": 45, "countdown_s": 5}))
    assert outcome.outcome == "rolled_back" and "apply failed" in outcome.reason
    assert kiosk.applied[-1] is None  # no last known good yet: back to local defaults
    assert ConfigStore(tmp_path).current() is None


class ProcessDied(BaseException):
    """Stands for the kiosk process dying: not an Exception, so nothing in the service catches it."""


def test_crash_loop_rolls_back_at_the_third_start(tmp_path: Path, trusted, make_bundle) -> None:
    kiosk = Kiosk()
    service = kiosk.service(tmp_path, trusted)
    service.start()
    service.offer(make_bundle(1, session={"idle_timeout_s": 90, "countdown_s": 15}))

    def die_after_apply(outcome: Outcome) -> None:
        if outcome.outcome == "applied":
            raise ProcessDied  # the new settings crash the kiosk before its health check

    service._report = die_after_apply
    with pytest.raises(ProcessDied):
        service.offer(make_bundle(2, session={"idle_timeout_s": 30, "countdown_s": 5}))
    for start in (1, 2):
        assert kiosk.service(tmp_path, trusted).start().session.idle_timeout_s == 30, start
    third = kiosk.service(tmp_path, trusted)
    kiosk.reports.clear()
    assert third.start().session.idle_timeout_s == 90
    assert _outcomes(kiosk) == [(2, "rolled_back")]
    assert "crash loop" in kiosk.reports[0].reason


def test_damaged_state_file_does_not_brick_the_kiosk(tmp_path: Path, trusted, make_bundle) -> None:
    kiosk = Kiosk()
    (tmp_path / "state.json").write_text("{not json")
    service = kiosk.service(tmp_path, trusted)
    assert service.start() is None
    assert service.offer(make_bundle(1)).outcome == "healthy"


def test_an_expired_bundle_is_refused_and_the_last_good_stays(
    tmp_path: Path, trusted, make_bundle, operator
) -> None:
    kiosk = Kiosk()
    service = kiosk.service(tmp_path, trusted)
    service.start()
    service.offer(make_bundle(1, session={"idle_timeout_s": 90, "countdown_s": 15}))
    signed_long_ago = sign_bundle(
        {**example_config(), "large_text_default": True},
        version=2,
        target="all",
        key=operator[2],
        issued_at=datetime.now(UTC) - timedelta(days=31),
    )
    outcome = service.offer(signed_long_ago)
    assert (outcome.version, outcome.outcome) == (2, "refused") and outcome.reason.startswith("expired: ")
    assert service.config.session.idle_timeout_s == 90 and not service.config.large_text_default
    assert ConfigStore(tmp_path).current()["version"] == 1


@pytest.mark.parametrize("lost", ["state.json", "version_floor.json"])
@pytest.mark.parametrize("how", ["deleted", "damaged"])
def test_losing_one_record_does_not_lower_the_floor(
    tmp_path: Path, trusted, make_bundle, lost: str, how: str
) -> None:
    kiosk = Kiosk()
    service = kiosk.service(tmp_path, trusted)
    service.start()
    assert service.offer(make_bundle(1)).outcome == "healthy"
    kiosk.healthy = False
    assert service.offer(make_bundle(2)).outcome == "rolled_back"  # the floor is 2; the stored bundles say 1
    if how == "deleted":
        (tmp_path / lost).unlink()
    else:
        (tmp_path / lost).write_text('{"applied_version": "zero"')
    kiosk.healthy = True
    restarted = kiosk.service(tmp_path, trusted)
    restarted.start()
    for replay in (make_bundle(1), make_bundle(2)):
        outcome = restarted.offer(replay)
        assert (outcome.outcome, outcome.reason.split(":")[0]) == ("refused", "replayed_version")
    assert restarted.offer(make_bundle(3)).outcome == "healthy"


def test_the_stored_bundles_keep_the_floor_when_both_records_are_lost(
    tmp_path: Path, trusted, make_bundle
) -> None:
    kiosk = Kiosk()
    service = kiosk.service(tmp_path, trusted)
    service.start()
    assert service.offer(make_bundle(4)).outcome == "healthy"
    for name in ("state.json", "version_floor.json"):
        (tmp_path / name).unlink()
    restarted = kiosk.service(tmp_path, trusted)
    restarted.start()
    assert restarted.offer(make_bundle(3)).outcome == "refused"


def test_a_hostile_nesting_is_refused_not_a_crash(tmp_path: Path, trusted) -> None:
    kiosk = Kiosk()
    service = kiosk.service(tmp_path, trusted)
    service.start()
    outcome = service.offer(b"[" * 100_000 + b"]" * 100_000)
    assert (outcome.version, outcome.outcome) == (0, "refused") and outcome.reason.startswith("malformed")
