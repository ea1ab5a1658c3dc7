"""The forwarder thread: takes batches from the outbox to the centre and settles them by its answers.

At least once on the wire (a crash or a lost answer sends a batch again) plus the centre's idempotency key
gives exactly once in effect. Batches go one at a time, oldest first, so order is kept.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Protocol

from kiosk.central.errors import CentralError, CentralUnavailable
from kiosk.offline_queue.backoff import RetryPolicy
from kiosk.offline_queue.events import Connectivity, ConnectivityChanged
from kiosk.offline_queue.outbox import Answer, Outbox, OutgoingItem

log = logging.getLogger(__name__)

# Refusals of the whole batch that say something is wrong with the terminal (its secret, its headers),
# not with the rows: they back off like silence and never count towards a row's death.
_TERMINAL_PROBLEMS = frozenset({"terminal_unauthorised", "bad_channel", "bad_envelope"})


class IntakeClient(Protocol):
    """What the forwarder needs of kiosk.central.CentralClient."""

    def submit_batch(self, items: list[dict[str, Any]]) -> list[Any]: ...

    def health(self) -> Any: ...


class Forwarder:
    def __init__(
        self,
        outbox: Outbox,
        client: IntakeClient,
        *,
        batch_size: int = 100,
        retry: RetryPolicy | None = None,
        offline_after: int = 3,
        probe_every_s: float = 30.0,
        offline_probe_every_s: float = 10.0,
        purge_every_s: float = 3600.0,
        rng: random.Random | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not 1 <= batch_size <= 500:
            raise ValueError("batch_size must be 1-500 (the centre takes at most 500 items)")
        self._outbox = outbox
        self._client = client
        self._batch_size = batch_size
        self._limit = batch_size
        self.retry = retry or RetryPolicy()
        self._offline_after = offline_after
        self._probe_every_s = probe_every_s
        self._offline_probe_every_s = offline_probe_every_s
        self._purge_every_s = purge_every_s
        self._rng = rng or random.Random()
        self._clock = clock
        self._failures = 0
        self._silent_failures = 0
        self._state = Connectivity.OFFLINE
        self._last_success: float | None = None
        self._last_contact = float("-inf")
        self._last_offline_probe = float("-inf")
        self._last_purge = float("-inf")
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    # -- life -------------------------------------------------------------------------------------------

    def start(self) -> None:
        if self._thread is not None:
            raise RuntimeError("forwarder already started")
        self._thread = threading.Thread(target=self._run, name="outbox-forwarder", daemon=True)
        self._thread.start()

    def stop(self, timeout_s: float = 10.0) -> None:
        """Stop after the batch in hand, if any; a batch cut off by exit is resent at the next start."""
        self._stopping.set()
        self._outbox.wake()
        if self._thread is not None:
            self._thread.join(timeout_s)
            self._thread = None

    @property
    def connectivity(self) -> ConnectivityChanged:
        return ConnectivityChanged(self._state, _as_datetime(self._last_success))

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                wait_s = self.step()
            except Exception:
                # A bug or a full disk must not end forwarding for good; the rows stay in the outbox.
                log.exception("outbox forwarder step failed")
                wait_s = self.retry.ceiling(self._failures + 1)
            if wait_s > 0 and not self._stopping.is_set():
                self._outbox.wait_for_work(wait_s)

    # -- one step ---------------------------------------------------------------------------------------

    def step(self) -> float:
        """Send one batch if one is due, else probe or tidy up. Returns how long to wait before the next
        step (0: go on at once). Tests drive this directly instead of the thread."""
        now = self._clock()
        if now - self._last_purge >= self._purge_every_s:
            self._last_purge = now
            self._outbox.purge_delivered()
        items, head_due_in = self._outbox.claim(self._limit)
        if items:
            self._send(items)
            return 0.0
        if head_due_in is not None:
            return self._wait_for_head(head_due_in, now)
        if self._state is not Connectivity.ONLINE or now - self._last_contact >= self._probe_every_s:
            self._probe()
        if self._state is Connectivity.ONLINE:
            return self._probe_every_s
        return self.retry.delay(max(self._failures, 1), self._rng)

    def _wait_for_head(self, head_due_in: float, now: float) -> float:
        """Rows wait for their retry. Online or degraded, that retry is the next contact. Offline, the
        backoff has grown towards cap_s and would hold the backlog for minutes after the network is back: a
        probe every offline_probe_every_s notices the centre's return, and then the rows go at once. Only
        silence leads here, so a centre that answers with errors keeps its backoff. Probes are timed from
        their start: an unanswered one lasts the client's whole time-out, which must not add to the period."""
        if self._state is not Connectivity.OFFLINE:
            return head_due_in
        probe_in = self._last_offline_probe + self._offline_probe_every_s - now
        if probe_in > 0:
            return min(head_due_in, probe_in)
        self._last_offline_probe = now
        self._probe()
        if self._state is Connectivity.ONLINE:
            self._outbox.retry_now()
            return 0.0
        return max(0.0, min(head_due_in, self._offline_probe_every_s) - (self._clock() - now))

    def _send(self, items: list[OutgoingItem]) -> None:
        try:
            results = self._client.submit_batch([item.wire() for item in items])
        except CentralUnavailable as exc:
            self._failed(items, str(exc), blamed=exc.status is not None)
            return
        except CentralError as exc:
            self._failed(items, f"batch refused: {exc.code}", blamed=exc.code not in _TERMINAL_PROBLEMS)
            return
        self._outbox.record_answers(items, [Answer(result.status, result.reason) for result in results])
        self._failures = 0
        self._limit = min(self._batch_size, self._limit * 2)
        self._succeeded()

    def _failed(self, items: list[OutgoingItem], error: str, *, blamed: bool) -> None:
        self._failures += 1
        if blamed:
            # One poisonous item fails its whole batch: halving isolates it before the innocent rows
            # around it use up their attempts.
            self._limit = max(1, len(items) // 2)
        self._outbox.record_failure(
            items,
            error,
            blamed=blamed,
            retry_in_s=self.retry.delay(self._failures, self._rng),
            max_attempts=self.retry.max_attempts,
        )
        log.warning("outbox batch of %d failed (%s); retrying with backoff", len(items), error)
        self._contact_failed(answered=blamed)

    def _probe(self) -> None:
        try:
            self._client.health()
        except CentralUnavailable:
            self._failures += 1
            self._contact_failed(answered=False)
            return
        self._failures = 0
        self._succeeded()

    # -- connectivity -----------------------------------------------------------------------------------

    def _succeeded(self) -> None:
        now = self._clock()
        self._last_success = self._last_contact = now
        self._silent_failures = 0
        self._publish(Connectivity.ONLINE)

    def _contact_failed(self, *, answered: bool) -> None:
        self._last_contact = self._clock()
        if answered:
            self._silent_failures = 0
            self._publish(Connectivity.DEGRADED)
            return
        self._silent_failures += 1
        offline = self._silent_failures >= self._offline_after
        self._publish(Connectivity.OFFLINE if offline else Connectivity.DEGRADED)

    def _publish(self, state: Connectivity) -> None:
        if state is self._state:
            return
        self._state = state
        self._outbox.events.publish(self.connectivity)


def _as_datetime(timestamp: float | None) -> datetime | None:
    return None if timestamp is None else datetime.fromtimestamp(timestamp, UTC)
