"""Worker threads for everything that may block: HTTP to the centre and disk I/O.

Screens hand work here and get a Future back; the UI layer turns completion into a main-thread callback.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, TimeoutError
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")


class Background:
    def __init__(self, workers: int = 4, name: str = "kiosk-worker") -> None:
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix=name)

    def submit(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> Future[T]:
        return self._pool.submit(fn, *args, **kwargs)

    def drain(self, timeout_s: float) -> bool:
        """Wait up to `timeout_s` for the work queued before this call; True when it has all run. Only a
        one-worker lane runs its queue in order, so only there does this mean all of it. The lane stays
        open: whatever is queued after still runs."""
        try:
            self._pool.submit(lambda: None).result(timeout_s)
        except TimeoutError:
            return False
        return True

    def shutdown(self) -> None:
        """Drop what is queued; what runs finishes by itself (every blocking call has a timeout)."""
        self._pool.shutdown(wait=False, cancel_futures=True)
