"""The kiosk's link to fleet management: a thread that polls for configuration bundles and sends the
heartbeat. Both talk to the centre directly; neither ever blocks the UI."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from kiosk.central import CentralError, CentralUnavailable
from kiosk.central.fleet import FleetApi

if TYPE_CHECKING:
    # Typing only: the service (and cryptography under it) loads on a worker after the first frame.
    from kiosk.services.remote_config import Outcome, RemoteConfigService

log = logging.getLogger(__name__)


class FleetAgent:
    def __init__(
        self,
        api: FleetApi,
        remote: RemoteConfigService | None,
        *,
        poll_interval_s: float,
        heartbeat_interval_s: Callable[[], float],
        status: Callable[[], dict[str, Any]],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._api = api
        self._remote = remote
        self._poll_interval_s = poll_interval_s
        self._heartbeat_interval_s = heartbeat_interval_s
        self._status = status
        self._clock = clock
        self._etag: str | None = None
        self._next_poll = 0.0
        self._next_beat = 0.0
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self.last_error: str | None = None
        self.last_outcome: Outcome | None = None  # the last configuration outcome reported (for staff)
        self.last_beat_ok: float | None = None  # clock time of the last heartbeat the centre took
        # Also run at every poll (the staff roster): each catches its own failures.
        self.pollers: list[Callable[[], object]] = []

    def attach(self, remote: RemoteConfigService) -> None:
        """Start polling for bundles for `remote` (the agent and the service need each other)."""
        self._remote = remote

    def report(self, outcome: Outcome) -> None:
        """RemoteConfigService's report callback: every outcome goes to the centre."""
        self.last_outcome = outcome
        self._api.report(outcome.version, outcome.outcome, outcome.reason)

    def poll_config(self) -> Outcome | None:
        if self._remote is None:
            return None
        etag, bundle = self._api.fetch_config(self._etag)
        # Remember what was offered even if it is refused: the same bad bundle is not re-reported.
        self._etag = etag
        return None if bundle is None else self._remote.offer(bundle)

    def send_heartbeat(self) -> None:
        beat = self._status()
        beat["last_error"] = self.last_error
        self._api.heartbeat(beat)
        self.last_beat_ok = self._clock()

    def run_once(self) -> None:
        now = self._clock()
        try:
            if now >= self._next_poll:
                self._next_poll = now + self._poll_interval_s
                for poller in list(self.pollers):
                    poller()
                self.poll_config()
            if now >= self._next_beat:
                self._next_beat = now + self._heartbeat_interval_s()
                self.send_heartbeat()
            self.last_error = None
        except (CentralUnavailable, CentralError) as exc:
            self.last_error = f"central: {exc}"[:300]
            log.info("fleet link: %s", self.last_error)

    def poke(self) -> None:
        """Poll and beat now (e.g. after a citizen's session ended)."""
        self._next_poll = self._next_beat = 0.0
        self._wake.set()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="fleet-agent", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.run_once()
            wait = max(0.5, min(self._next_poll, self._next_beat) - self._clock())
            self._wake.wait(wait)
            self._wake.clear()
