"""The one device model every driver shares (after UnifiedPOS and XFS4IoT, reference/devices.md §E).

A device owns exactly one worker thread. Opening, polling and commands all run there, so a driver never
needs locks around its transport, and no caller thread ever waits on hardware unless it chooses to call
``.result()`` on a future.
"""

from __future__ import annotations

import abc
import dataclasses
import enum
import logging
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Generic, Self, TypeVar

from kiosk.devices.errors import CommandCancelled, CommandTimeout, DeviceClosedError, DeviceError
from kiosk.devices.errors import DeviceConfigError as DeviceConfigError  # re-exported: drivers raise it
from kiosk.devices.statistics import SAVE_INTERVAL, Statistics, StatisticsFile

if TYPE_CHECKING:
    from kiosk.devices.registry import DeviceUrl

log = logging.getLogger(__name__)

T = TypeVar("T")
E = TypeVar("E")


class DeviceState(enum.StrEnum):
    """UnifiedPOS ControlState plus the XFS states a kiosk must tell apart."""

    CLOSED = "closed"
    IDLE = "idle"
    BUSY = "busy"
    ERROR = "error"  # the device answers, but wrongly: it needs recovery before it is useful again
    OFFLINE = "offline"  # the port is there but the device does not answer
    NO_DEVICE = "no_device"  # the port itself is gone (unplugged)


class HealthLevel(enum.Enum):
    INTERNAL = "internal"  # from what the driver already knows: no I/O, no side effects
    EXTERNAL = "external"  # asks the hardware (on the worker thread)


@dataclasses.dataclass(frozen=True)
class HealthReport:
    ok: bool
    text: str


@dataclasses.dataclass(frozen=True)
class StatusChange:
    old: DeviceState
    new: DeviceState
    reason: str


class Listeners(Generic[E]):
    """Callbacks for one kind of event. A failing callback is logged and never stops the device."""

    def __init__(self, owner: str) -> None:
        self._owner = owner
        self._lock = threading.Lock()
        self._callbacks: dict[object, Callable[[E], None]] = {}

    def add(self, callback: Callable[[E], None]) -> Callable[[], None]:
        token = object()  # a token, not the callback, so the same callable may subscribe twice
        with self._lock:
            self._callbacks[token] = callback

        def unsubscribe() -> None:
            with self._lock:
                self._callbacks.pop(token, None)

        return unsubscribe

    def emit(self, event: E) -> None:
        with self._lock:
            callbacks = list(self._callbacks.values())
        for callback in callbacks:
            try:
                callback(event)
            except Exception:
                log.exception("%s: an event listener raised", self._owner)


class CommandContext:
    """What a running command checks to honour its cancel and its deadline (cancelling is cooperative)."""

    def __init__(self, cancel: threading.Event, deadline: float | None) -> None:
        self._cancel = cancel
        self._deadline = deadline

    @property
    def cancel_requested(self) -> bool:
        return self._cancel.is_set()

    def remaining(self) -> float | None:
        if self._deadline is None:
            return None
        return max(0.0, self._deadline - time.monotonic())

    def check(self) -> None:
        if self._cancel.is_set():
            raise CommandCancelled("command cancelled")
        if self._deadline is not None and time.monotonic() >= self._deadline:
            raise CommandTimeout("command timed out")

    def sleep(self, seconds: float) -> None:
        """Wait, but wake at once on a cancel, and never past the deadline (then raise)."""
        remaining = self.remaining()
        self._cancel.wait(seconds if remaining is None else min(seconds, remaining))
        self.check()


class CommandFuture(Future[T]):
    """A Future whose ``cancel()`` also reaches a command that is already running.

    A queued command is cancelled outright (``cancel()`` returns True). A running one is asked to stop at
    its next check; ``cancel()`` then returns False, as for any running Future, and the future fails with
    ``CommandCancelled``.
    """

    def __init__(self) -> None:
        super().__init__()
        self.cancel_event = threading.Event()

    def cancel(self) -> bool:
        self.cancel_event.set()
        return super().cancel()


@dataclasses.dataclass
class _Request(Generic[T]):
    fn: Callable[[CommandContext], T]
    future: CommandFuture[T]
    deadline: float | None
    kind: str = "command"  # "open" and "close" steer the worker loop


def _done(value: T) -> Future[T]:
    future: Future[T] = Future()
    future.set_result(value)
    return future


def _failed_future(exc: BaseException) -> CommandFuture[T]:
    future: CommandFuture[T] = CommandFuture()
    future.set_exception(exc)
    return future


class Device(abc.ABC):
    """Base of every driver: state, events, statistics, health and one worker thread with a queue.

    Subclasses implement the ``_on_*`` hooks; they all run on the worker thread.
    """

    kind: ClassVar[str]

    def __init__(self, url: str) -> None:
        self.url = url
        self._lock = threading.Lock()
        self._state = DeviceState.CLOSED
        self._reason = "not opened"
        self._stats = Statistics()
        self._stats_file: StatisticsFile | None = None
        self._stats_loaded = False
        self._stats_dirty = False
        self._open_since: float | None = None  # monotonic time from which hours_open has not been counted
        self._status_listeners: Listeners[StatusChange] = Listeners(self.name)
        # Each request has its own result type; the worker only passes each result to its own future.
        self._queue: queue.SimpleQueue[_Request[Any]] = queue.SimpleQueue()
        self._worker: threading.Thread | None = None
        self._open_future: CommandFuture[DeviceState] | None = None
        self._close_future: CommandFuture[None] | None = None
        self._closing = threading.Event()
        self._running: CommandFuture[object] | None = None

    @classmethod
    @abc.abstractmethod
    def from_url(cls, url: DeviceUrl) -> Self:
        """Build the driver from its settings URL; read every parameter it understands."""

    @property
    def name(self) -> str:
        return f"{self.kind} {self.url}"

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.url} {self.state}>"

    # -- state and events ------------------------------------------------------------------------------

    @property
    def state(self) -> DeviceState:
        with self._lock:
            return self._state

    def subscribe(self, callback: Callable[[StatusChange], None]) -> Callable[[], None]:
        """Call ``callback`` on the worker thread whenever the state changes; returns the unsubscribe.

        The callback must not wait on this device's futures: it runs on the thread that would resolve them.
        """
        return self._status_listeners.add(callback)

    def _set_state(self, new: DeviceState, reason: str) -> None:
        with self._lock:
            old = self._state
            self._reason = reason
            if old is new:
                return
            self._state = new
        log.info("%s: %s -> %s (%s)", self.name, old, new, reason)
        self._status_listeners.emit(StatusChange(old, new, reason))

    # -- statistics and health -------------------------------------------------------------------------

    def keep_statistics(self, path: Path, *, interval: float = SAVE_INTERVAL) -> None:
        """Keep the counters in ``path`` across restarts: loaded at the first open, written at most every
        ``interval`` seconds while they change, and at close. Call it before ``open``.
        """
        with self._lock:
            if self._worker is not None:
                raise DeviceError(f"{self.name}: keep_statistics must be called before open")
            self._stats_file = StatisticsFile(path, interval=interval)
            self._stats_loaded = False

    @property
    def statistics(self) -> Statistics:
        """A snapshot, ``hours_open`` up to now; the counters keep moving on the worker thread."""
        with self._lock:
            snapshot = dataclasses.replace(self._stats)
            if self._open_since is not None:
                snapshot.hours_open += (time.monotonic() - self._open_since) / 3600
            return snapshot

    def reset_statistics(self) -> None:
        with self._lock:
            self._stats = Statistics()
            self._stats_dirty = True
            if self._open_since is not None:
                self._open_since = time.monotonic()

    def _count(self, **increments: int) -> None:
        with self._lock:
            for field, amount in increments.items():
                setattr(self._stats, field, getattr(self._stats, field) + amount)
            self._stats_dirty = True

    def _statistics_due(self) -> float | None:
        """When the worker must next write the statistics file (None: no file)."""
        if self._stats_file is None or self._open_since is None:
            return None
        with self._lock:
            dirty = self._stats_dirty
        return self._stats_file.due(dirty)

    def _save_statistics(self, *, force: bool = False) -> None:
        """Write the counters if a write is due (or ``force``); worker thread only."""
        due = self._statistics_due()
        if due is None or (not force and time.monotonic() < due):
            return
        assert self._stats_file is not None
        with self._lock:
            if self._open_since is not None:
                now = time.monotonic()
                self._stats.hours_open += (now - self._open_since) / 3600
                self._open_since = now
            snapshot = dataclasses.replace(self._stats)
            self._stats_dirty = False
        self._stats_file.save(snapshot, self.name)

    def health(self, level: HealthLevel = HealthLevel.INTERNAL, timeout: float = 5.0) -> Future[HealthReport]:
        """INTERNAL resolves at once from memory; EXTERNAL asks the hardware on the worker thread.

        Both return a future so that a caller never blocks on a device without saying so.
        """
        if level is HealthLevel.INTERNAL:
            return _done(self._internal_health())
        return self.submit(self._check_external, timeout)

    def _internal_health(self) -> HealthReport:
        with self._lock:
            state, reason = self._state, self._reason
        stats = self.statistics.as_dict()
        counters = ", ".join(
            f"{name} {value:.2f}" if isinstance(value, float) else f"{name} {value}"
            for name, value in stats.items()
        )
        return HealthReport(
            ok=state in (DeviceState.IDLE, DeviceState.BUSY),
            text=f"{self.name}: {state} ({reason}); {counters}",
        )

    # -- lifecycle -------------------------------------------------------------------------------------

    def open(self) -> Future[DeviceState]:
        """Start the worker and open the hardware there; the future gives the state after the first try."""
        with self._lock:
            if self._close_future is not None:
                return _failed_future(DeviceError(f"{self.name} is still closing"))
            if self._open_future is not None:
                return self._open_future
            self._closing = threading.Event()
            self._worker = threading.Thread(target=self._work, name=f"device {self.name}", daemon=True)
            future: CommandFuture[DeviceState] = self._enqueue(self._open_on_worker, None, "open")
            self._open_future = future
            self._worker.start()
            return future

    def close(self) -> Future[None]:
        """Stop polling, cancel the running command, fail the queued ones, close the hardware."""
        with self._lock:
            if self._close_future is not None:
                return self._close_future
            if self._worker is None:
                return _done(None)
            self._closing.set()
            if self._running is not None:
                self._running.cancel()
            future: CommandFuture[None] = self._enqueue(self._close_on_worker, None, "close")
            self._close_future = future
            return future

    def submit(self, fn: Callable[[CommandContext], T], timeout: float | None = None) -> CommandFuture[T]:
        """Queue ``fn(ctx)`` for the worker thread; ``timeout`` counts from now, including time queued."""
        with self._lock:
            if self._worker is None or self._closing.is_set():
                return _failed_future(DeviceClosedError(f"{self.name} is not open"))
            return self._enqueue(fn, timeout, "command")

    def _enqueue(
        self, fn: Callable[[CommandContext], T], timeout: float | None, kind: str
    ) -> CommandFuture[T]:
        future: CommandFuture[T] = CommandFuture()
        deadline = None if timeout is None else time.monotonic() + timeout
        self._queue.put(_Request(fn, future, deadline, kind))
        return future

    def _open_on_worker(self, ctx: CommandContext) -> DeviceState:
        if self._stats_file is not None and not self._stats_loaded:
            loaded = self._stats_file.load()  # disk I/O: here, never on the caller's thread
            with self._lock:
                self._stats = loaded
            self._stats_loaded = True
        with self._lock:
            self._open_since = time.monotonic()
        try:
            self._on_open(ctx)
        except Exception:
            self._set_state(DeviceState.ERROR, "open failed")
            raise
        return self.state

    def _close_on_worker(self, ctx: CommandContext) -> None:
        try:
            self._on_close()
        finally:
            self._save_statistics(force=True)
            with self._lock:
                self._open_since = None
            self._set_state(DeviceState.CLOSED, "closed")

    # -- the worker ------------------------------------------------------------------------------------

    def _work(self) -> None:
        next_poll: float | None = None
        while True:
            wake = min((t for t in (next_poll, self._statistics_due()) if t is not None), default=None)
            wait = None if wake is None else max(0.0, wake - time.monotonic())
            try:
                request = self._queue.get(timeout=wait)
            except queue.Empty:
                if next_poll is not None and time.monotonic() >= next_poll:
                    next_poll = self._poll()
                self._save_statistics()
                continue
            if request.kind == "close":
                self._run(request)
                break
            if self._closing.is_set():
                if request.future.set_running_or_notify_cancel():
                    request.future.set_exception(DeviceClosedError(f"{self.name} closed"))
                continue
            self._run(request)
            if request.kind == "open":
                if request.future.exception() is None:
                    next_poll = self._next_poll_time()
            elif next_poll is not None and time.monotonic() >= next_poll:
                next_poll = self._poll()  # a busy queue must not starve status polling
            self._save_statistics()
        with self._lock:
            self._worker = None
            self._open_future = None
            self._close_future = None

    def _run(self, request: _Request) -> None:
        future = request.future
        if not future.set_running_or_notify_cancel():
            return
        with self._lock:
            self._running = future
        try:
            ctx = CommandContext(future.cancel_event, request.deadline)
            ctx.check()  # it may have expired while queued
            result = request.fn(ctx)
        except Exception as exc:
            future.set_exception(exc)
        else:
            future.set_result(result)
        finally:
            with self._lock:
                self._running = None

    def _poll(self) -> float | None:
        try:
            self._on_poll(CommandContext(self._closing, None))
        except CommandCancelled:
            pass  # closing
        except Exception:
            # A driver bug must not kill the only thread that can ever recover the device.
            log.exception("%s: poll raised", self.name)
            self._set_state(DeviceState.ERROR, "driver fault while polling")
        return self._next_poll_time()

    def _next_poll_time(self) -> float | None:
        interval = self._poll_interval()
        return None if interval is None or self._closing.is_set() else time.monotonic() + interval

    # -- hooks (worker thread) -------------------------------------------------------------------------

    @abc.abstractmethod
    def _on_open(self, ctx: CommandContext) -> None:
        """Open the hardware and set the state. A missing device is a state (no_device), not an error."""

    @abc.abstractmethod
    def _on_close(self) -> None:
        """Release the hardware; the base then sets the state to closed."""

    @abc.abstractmethod
    def _check_external(self, ctx: CommandContext) -> HealthReport:
        """Ask the hardware how it is, without printing, ejecting or otherwise acting."""

    @abc.abstractmethod
    def _poll_interval(self) -> float | None:
        """Seconds until the next ``_on_poll``, asked after each one; None means the device does not poll."""

    @abc.abstractmethod
    def _on_poll(self, ctx: CommandContext) -> None:
        """One round of status polling; ``ctx`` is cancelled when the device closes."""
