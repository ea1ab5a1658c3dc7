"""Receiving, applying and (when the kiosk is unwell afterwards) rolling back remote configuration.

The rules, in the order they bite:
- a bundle is verified (signature by a pinned operator key, not expired, version newer than any ever
  accepted but not absurdly so, target, schema) before anything is written; a refusal is reported with
  its reason;
- during a citizen's session nothing changes: the bundle waits and is applied when the session ends;
- the bundle is written atomically and applied; the kiosk is then "on probation" until a health check
  passes (the apply itself worked, the central still answers, the devices are no worse than before);
- a failed check, or three starts in a row without passing one (a crash loop), restores the last known
  good bundle and says so;
- every outcome is reported to the central.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from kiosk.remote_config.bundle import (
    MAX_VERSION,
    BundleRefused,
    VerifiedBundle,
    parse_bundle,
    verify_bundle,
)
from kiosk.remote_config.schema import RemoteConfig
from kiosk.remote_config.store import ConfigState, ConfigStore
from kiosk.services.health import HealthVerdict

log = logging.getLogger(__name__)

CRASH_LOOP_BOOTS = 3


@dataclass(frozen=True)
class Outcome:
    version: int
    outcome: str  # applied | deferred | refused | rolled_back | healthy
    reason: str = ""


class RemoteConfigService:
    def __init__(
        self,
        store: ConfigStore,
        *,
        trusted_keys: dict[str, Ed25519PublicKey],
        kiosk_id: str,
        group: str | None,
        apply_live: Callable[[RemoteConfig | None], None],
        health_check: Callable[[], HealthVerdict],
        report: Callable[[Outcome], None],
        session_active: Callable[[], bool],
    ) -> None:
        self._store = store
        self._keys = trusted_keys
        self._kiosk_id = kiosk_id
        self._group = group
        self._apply_live = apply_live
        self._health_check = health_check
        self._report = report
        self._session_active = session_active
        self._lock = threading.RLock()
        self._deferred: VerifiedBundle | None = None
        self.state = store.load_state()
        self.config: RemoteConfig | None = None

    # -- start ------------------------------------------------------------------------------------------

    def start(self) -> RemoteConfig | None:
        """Decide what configuration this start runs with; roll back a crash loop first."""
        with self._lock:
            if self.state.on_probation:
                self.state.boots_on_probation += 1
                if self.state.boots_on_probation >= CRASH_LOOP_BOOTS:
                    self._roll_back(
                        f"crash loop: {self.state.boots_on_probation} starts without passing the health check"
                    )
                else:
                    self._store.save_state(self.state)
            self.state.restart_pending = False
            self._store.save_state(self.state)
            self.config = self._config_of(self._store.current())
            return self.config

    def _config_of(self, raw: dict[str, Any] | None) -> RemoteConfig | None:
        if raw is None:
            return None
        try:
            return RemoteConfig.model_validate(raw["config"])
        except (KeyError, TypeError, ValueError):
            log.warning("the stored remote configuration is unreadable; running without it")
            return None

    # -- receiving ---------------------------------------------------------------------------------------

    def offer(self, data: bytes | str | dict[str, Any]) -> Outcome:
        """A bundle from the central: refuse, defer or apply it."""
        with self._lock:
            try:
                bundle = verify_bundle(
                    data,
                    trusted_keys=self._keys,
                    kiosk_id=self._kiosk_id,
                    group=self._group,
                    newer_than=self.state.applied_version,
                )
            except BundleRefused as exc:
                return self._tell(Outcome(_claimed_version(data), "refused", f"{exc.reason}: {exc.detail}"))
            if self._session_active():
                self._deferred = bundle
                return self._tell(Outcome(bundle.version, "deferred", "a citizen is being served"))
            return self._apply(bundle)

    def session_ended(self) -> Outcome | None:
        """Call when a citizen's visit ends: a deferred bundle is applied now."""
        with self._lock:
            if self._session_active():  # the next citizen is already at the screen: wait for them too
                return None
            bundle, self._deferred = self._deferred, None
            return self._apply(bundle) if bundle is not None else None

    @property
    def deferred_version(self) -> int | None:
        return self._deferred.version if self._deferred else None

    # -- applying, checking, rolling back ----------------------------------------------------------------

    def _apply(self, bundle: VerifiedBundle) -> Outcome:
        previous = self.config
        self._store.write_current(bundle.canonical_bytes())
        self.state = ConfigState(
            applied_version=bundle.version,
            good_version=self.state.good_version,
            on_probation=True,
            boots_on_probation=0,
            restart_pending=bundle.config.restart_needed(previous),
        )
        self._store.save_state(self.state)
        try:
            self._apply_live(bundle.config)
        except Exception as exc:  # whatever the apply broke, the kiosk must come back to a good state
            log.error("applying configuration %d failed: %s", bundle.version, type(exc).__name__)
            return self._roll_back(f"apply failed: {type(exc).__name__}")
        self.config = bundle.config
        self._tell(
            Outcome(
                bundle.version,
                "applied",
                "restart needed for outbox bounds" if self.state.restart_pending else "",
            )
        )
        return self.check_health()

    def check_health(self) -> Outcome:
        """Run the health check for a configuration on probation; promote it or roll it back."""
        with self._lock:
            if not self.state.on_probation:
                return Outcome(self.state.applied_version, "healthy")
            verdict = self._health_check()
            if not verdict.ok:
                return self._roll_back(verdict.reason)
            self._store.promote_current()
            self.state.on_probation = False
            self.state.boots_on_probation = 0
            self.state.good_version = self.state.applied_version
            self._store.save_state(self.state)
            return self._tell(Outcome(self.state.applied_version, "healthy"))

    def _roll_back(self, reason: str) -> Outcome:
        bad_version = self.state.applied_version
        good = self._store.restore_last_good()
        # applied_version stays: the bad bundle must not come back as "new" on the next poll.
        self.state.on_probation = False
        self.state.boots_on_probation = 0
        self._store.save_state(self.state)
        self.config = self._config_of(good)
        try:
            self._apply_live(self.config)
        except Exception as exc:
            log.error("re-applying the last known good configuration failed: %s", type(exc).__name__)
        log.warning("configuration %d rolled back to %d: %s", bad_version, self.state.good_version, reason)
        return self._tell(Outcome(bad_version, "rolled_back", reason))

    def _tell(self, outcome: Outcome) -> Outcome:
        try:
            self._report(outcome)
        except Exception as exc:  # reporting is best effort; the outcome stands either way
            log.warning("could not report config outcome %s: %s", outcome.outcome, type(exc).__name__)
        return outcome


def _claimed_version(data: bytes | str | dict[str, Any]) -> int:
    """The version a refused bundle claims, for the report (0 when it cannot even be read)."""
    try:
        version = parse_bundle(data).get("version", 0)
    except BundleRefused:
        return 0
    valid = isinstance(version, int) and not isinstance(version, bool) and 0 <= version <= MAX_VERSION
    return version if valid else 0
