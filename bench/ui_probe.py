"""Times what a finger feels, from inside a Kivy app: a tap to the first frame that shows its answer, and
how long each frame of the main loop took meanwhile. Used by bench/ui_latency.py's child processes (the
kiosk and the bare baseline), so both are measured by the same code.

A frame is one turn of Kivy's main loop: the Clock's callbacks (a tap's handler among them), then the
drawing and the buffer swap. A callback scheduled for every frame stamps each turn's start; the time
between two stamps is a frame's length, so work done on the Kivy thread (a slow handler, a widget tree
built, a big canvas drawn) shows as a long frame whatever part of the turn it fell in. At 60 frames a
second an idle frame is 16.7 ms; the goal is that none takes longer than two of them (33 ms).

The answer to a tap is a condition on the app's state (the new screen is current, the dot for a digit
is there, the spinner turns) checked after the tap's handler and at every frame; the tap is answered at
the first buffer swap after the condition first held, which is when the citizen can see it.
"""

from __future__ import annotations

import cProfile
import itertools
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kivy.clock import Clock
from kivy.core.window import Window

WAIT_S = 30.0


@dataclass
class Measured:
    """One tap (or other cause) and what followed, in milliseconds from the tap."""

    name: str
    first_frame_ms: float  # the first swap after `shown` held: the answer visible
    settled_ms: float  # the first swap after `settled` held (a screen's fade finished; the data there)
    longest_frame_ms: float  # over the frames from the tap to settled
    longest_work_ms: float  # the same less drawing (see Frame)
    frames: int
    waits_on_centre: bool

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "first_frame_ms": round(self.first_frame_ms, 1),
            "settled_ms": round(self.settled_ms, 1),
            "longest_frame_ms": round(self.longest_frame_ms, 1),
            "longest_work_ms": round(self.longest_work_ms, 1),
            "frames": self.frames,
            "waits_on_centre": self.waits_on_centre,
        }


@dataclass(frozen=True)
class Frame:
    """One turn of the main loop, and the part of it spent drawing: the window's on_draw (walking the
    canvas, sending the drawing commands) and the buffer swap. Under Xvfb the GL driver (Mesa's llvmpipe)
    rasterises on the CPU inside those two, which a GPU does in a millisecond or two; `work_ms`, the rest
    (the Clock's callbacks, a tap's handler among them, layout, text rendered into textures), is the app's
    own part on any machine."""

    length_ms: float
    drawing_ms: float

    @property
    def work_ms(self) -> float:
        return self.length_ms - self.drawing_ms

    def as_json(self) -> list[float]:
        return [round(self.length_ms, 2), round(self.drawing_ms, 2)]


@dataclass
class _Pending:
    name: str
    shown: Callable[[], bool]
    settled: Callable[[], bool]
    waits_on_centre: bool
    started: float = 0.0
    shown_at: float | None = None  # when the condition held; the swap after it is the answer
    first_frame: float | None = None
    settled_seen: bool = False
    done: threading.Event = field(default_factory=threading.Event)
    result: Measured | None = None
    error: BaseException | None = None
    profile: cProfile.Profile | None = None


class FrameProbe:
    """Created on the Kivy thread, once the window is up; `measure` and `frames_during` are called from a
    driver's thread and wait for the answer. With `profile_dir`, each measurement's work on the Kivy thread,
    from the tap to settled, is profiled into a pstats file there named after it (the profiler slows the
    frames it watches: its figures say where the time goes, not how long it takes)."""

    def __init__(self, profile_dir: Path | None = None) -> None:
        self.profile_dir = profile_dir
        self.measured = 0
        self.ticks: list[float] = []
        self.drawing: list[tuple[float, float]] = []  # (began, done) of each on_draw and buffer swap
        self.last_flip = 0.0
        self._pending: _Pending | None = None
        Clock.schedule_interval(self._tick, 0)
        Window.bind(on_flip=self._flipped)
        # The window's event dispatch calls its on_draw, and its on_flip calls self.flip(): both are timed
        # through attributes of the instance that wrap them.
        self._window_draw = Window.on_draw
        Window.on_draw = self._draw
        self._window_flip = Window.flip
        Window.flip = self._swap

    # -- on the Kivy thread ---------------------------------------------------------------------------

    def _tick(self, _dt: float) -> None:
        self.ticks.append(time.perf_counter())
        pending = self._pending
        if pending is None:
            return
        if pending.settled_seen:
            # Settled a turn ago and nothing was drawn since: the screen needed no redraw, so the last
            # swap already showed it.
            self._finish(pending, self.last_flip)
            return
        self._check(pending)

    def _check(self, pending: _Pending) -> None:
        try:
            if pending.shown_at is None and pending.shown():
                pending.shown_at = time.perf_counter()
            if pending.first_frame is not None and not pending.settled_seen and pending.settled():
                pending.settled_seen = True
        except BaseException as error:  # handed to the driver, whose report names the transition
            pending.error = error
            self._finish(pending, None)

    def _flipped(self, *_args: Any) -> None:
        now = self.last_flip = time.perf_counter()
        pending = self._pending
        if pending is None or pending.shown_at is None:
            return
        if pending.first_frame is None:
            pending.first_frame = now
            self._check(pending)  # a tap answered in one frame is also settled in it
        if pending.settled_seen:
            self._finish(pending, now)

    def _finish(self, pending: _Pending, settled_at: float | None) -> None:
        self._pending = None
        if pending.profile is not None and self.profile_dir is not None:
            pending.profile.disable()
            self.measured += 1
            slug = re.sub(r"[^A-Za-z0-9_]+", "_", pending.name).strip("_")
            pending.profile.dump_stats(str(self.profile_dir / f"{self.measured:03d}-{slug}.prof"))
        if settled_at is not None and pending.first_frame is not None:
            settled_at = max(settled_at, pending.first_frame)
            frames = self._frames(pending.started, settled_at)
            pending.result = Measured(
                name=pending.name,
                first_frame_ms=(pending.first_frame - pending.started) * 1000,
                settled_ms=(settled_at - pending.started) * 1000,
                longest_frame_ms=max((f.length_ms for f in frames), default=0.0),
                longest_work_ms=max((f.work_ms for f in frames), default=0.0),
                frames=len(frames),
                waits_on_centre=pending.waits_on_centre,
            )
        pending.done.set()

    def _frames(self, start: float, end: float) -> list[Frame]:
        """The frames that overlap [start, end], the one the tap ran in included (the last may still be
        in progress: its length so far)."""
        ticks = [*self.ticks, time.perf_counter()]
        frames = []
        for before, after in itertools.pairwise(ticks):
            if after > start and before < end:
                drawing = sum(done - began for began, done in self.drawing if before <= began < after)
                frames.append(Frame((after - before) * 1000, drawing * 1000))
        return frames

    def _draw(self, *args: Any) -> None:
        began = time.perf_counter()
        self._window_draw(*args)
        self.drawing.append((began, time.perf_counter()))

    def _swap(self) -> None:
        began = time.perf_counter()
        self._window_flip()
        self.drawing.append((began, time.perf_counter()))

    # -- from the driver's thread ---------------------------------------------------------------------

    def measure(
        self,
        name: str,
        cause: Callable[[], None],
        shown: Callable[[], bool],
        settled: Callable[[], bool] | None = None,
        *,
        waits_on_centre: bool = False,
        timeout_s: float = WAIT_S,
    ) -> Measured:
        """Run `cause` (a tap) on the Kivy thread and wait until `shown` and then `settled` (default:
        `shown`) have been drawn. Both conditions run on the Kivy thread."""
        pending = _Pending(name, shown, settled or shown, waits_on_centre)

        def start(_dt: float) -> None:
            if self.profile_dir is not None:
                pending.profile = cProfile.Profile()
                pending.profile.enable()
            pending.started = time.perf_counter()
            self._pending = pending
            try:
                cause()
            except BaseException as error:
                pending.error = error
                self._finish(pending, None)
                return
            self._check(pending)

        Clock.schedule_once(start, 0)
        if not pending.done.wait(timeout_s):
            self._pending = None
            raise TimeoutError(f"{name}: no answer drawn within {timeout_s:.0f} s")
        if pending.error is not None:
            raise pending.error
        assert pending.result is not None
        return pending.result

    def frames_during(self, action: Callable[[], None]) -> list[Frame]:
        """The frames while `action` runs on this (the driver's) thread: e.g. a scroll, one finger
        movement per frame."""
        start = time.perf_counter()
        action()
        end = time.perf_counter()
        done = threading.Event()
        Clock.schedule_once(lambda _dt: done.set(), 0)  # the frame in progress ends first
        done.wait(WAIT_S)
        return self._frames(start, end)
