"""bench/ui_latency.py's kiosk: the real app (the demo's parts: reference centre as a child process, SAM
emulator on a pty, virtual printer) in a window under Xvfb, without the demo panel, driven by simulated
touches through every flow while bench/ui_probe.py times each tap. Writes OUT/result.json with the
measurements (driver_main's report). Kivy allows one app per process, hence a process of its own.

    python bench/ui_latency_kiosk.py --out DIR --data-dir DIR

One round through every flow per process (bench/ui_latency.py starts one per round).
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "tests" / "ui")]

from drive_citizen_flow import Driver, _scroll_into_view  # noqa: E402
from driver_main import drive  # noqa: E402

# Every tile of the home screen (kiosk/remote_config/schema.py's order) and the screen it opens.
SERVICES = [
    ("缴存明细", "deposits"),
    ("贷款查询", "loan"),
    ("公积金提取", "withdrawal"),
    ("预约办理", "appointment"),
    ("业务预登记", "pre_registration"),
    ("打印证明", "certificate"),
    ("修改密码", "password_change"),
    ("业务进度", "applications"),
    ("投诉建议", "complaint"),
]
# The idle countdown, short so that the bench sees it: 12 s without a touch (no wait of the flow's is as
# long).
SESSION = {"idle_timeout_s": 20, "countdown_s": 8}
# The demo's 30-year loan (the reference centre's seed), whose repayment plan has 360 rows.
LONG_LOAN_HOLDER = "陆样例"
PLAN_ROWS = 360
# A finger's swipe on the plan: this far (window pixels), over this many frames (a brisk flick at 60 Hz).
SWIPE_PX = 420
SWIPE_FRAMES = 12


class LatencyDriver(Driver):
    def __init__(self, app: Any, out: Path, parts: Any) -> None:
        super().__init__(app, out, parts)
        from ui_probe import FrameProbe

        profile = os.environ.get("UI_LATENCY_PROFILE")
        # Made on the Kivy thread, as driver_main makes the driver.
        self.probe = FrameProbe(Path(profile) if profile else None)
        self.measured: list[dict[str, Any]] = []
        self.scrolls: list[dict[str, Any]] = []

    # -- measuring ------------------------------------------------------------------------------------

    def timed_tap(
        self,
        name: str,
        locate: Callable[[], Any],
        shown: Callable[[], bool],
        settled: Callable[[], bool] | None = None,
        *,
        waits: str = "",
    ) -> None:
        """Tap what `locate` finds, as Driver.tap does, timing it to the frame that shows `shown`."""
        from kivy.tests.common import UnitTestTouch

        # Kivy's ScreenManager lets no touch through while a screen fades in: a finger waits for it.
        self.wait_for(
            f"a button for {name}",
            lambda: not self.app.sm.transition.is_active and locate() is not None and not locate().disabled,
        )
        if self.ui(lambda: _scroll_into_view(locate())):
            time.sleep(0.1)
        time.sleep(0.05)  # a finger's pause: the frame before the tap is an idle one

        def press() -> None:
            widget = locate()
            touch = UnitTestTouch(*widget.to_window(*widget.center))
            touch.touch_down()
            touch.touch_up()

        self.record(self.probe.measure(name, press, shown, settled, waits_on_centre=bool(waits)), waits)

    def record(self, measured: Any, waits: str = "") -> None:
        entry = measured.as_json()
        entry["waits"] = waits
        self.measured.append(entry)

    def button(self, text: str, where: str = "screen") -> Callable[[], Any]:
        def locate() -> Any:
            root = self.app.sm.current_screen if where == "screen" else self.app.root
            return self._find(root, text) or (
                self._find(self.app._overlay, text) if self.app._overlay is not None else None
            )

        return locate

    def on_screen(self, name: str) -> Callable[[], bool]:
        return lambda: self.app.sm.current == name

    def screen_settled(self, name: str, loaded: bool = False) -> Callable[[], bool]:
        def settled() -> bool:
            sm = self.app.sm
            done = sm.current == name and not sm.transition.is_active
            return done and not (loaded and getattr(sm.current_screen, "loading", False))

        return settled

    def to_screen(self, name: str, text: str, screen: str, *, loads: bool = False) -> None:
        """A tap that changes screens: timed to the new screen's first frame, settled when its fade is over
        (and, for a screen that asks the centre, its data shown: that part waits on the centre)."""
        self.timed_tap(name, self.button(text), self.on_screen(screen), self.screen_settled(screen))
        if loads:
            self.wait_for(
                f"{screen} loaded", lambda: not getattr(self.app.sm.current_screen, "loading", False)
            )

    def footer_back(self) -> Callable[[], Any]:
        """The way back to the home screen: the footer's first button (Home, or Back on a flow's first
        screen)."""

        def locate() -> Any:
            screen = self.app.sm.current_screen
            for widget in screen.walk(restrict=True):
                if widget.__class__.__name__ == "FlowFooter":
                    return next(w for w in widget.children if w.__class__.__name__ == "SecondaryButton")
            return self._find(screen, "首页") or self._find(screen, "取消")

        return locate

    # -- the flows ------------------------------------------------------------------------------------

    def run(self) -> None:
        self.wait_for_parts()
        self.one_round()
        self.loan_plan_visit()

    def sign_in(self, citizen: Any) -> None:
        """Place `citizen`'s card (timed: the reader's read, then the password screen) and type the
        password, each key timed; the last key's answer is the working state while the centre checks."""
        app = self.app
        self.record(
            self.probe.measure(
                "ID card read → password",
                lambda: app.background(app.runtime.demo.place, citizen),
                self.on_screen("password"),
                self.screen_settled("password"),
                waits_on_centre=True,
            ),
            "reader",
        )
        password = app.screen("password")
        for index, digit in enumerate("123456"):

            def key(d: str = digit) -> Any:
                return next(k for k in password._keypad.children if getattr(k, "digit", None) == d)

            if index < 5:
                self.timed_tap("keypad digit", key, lambda n=index + 1: password.typed == n)
            else:
                self.timed_tap("password → checking", key, lambda: password.busy, waits="centre")

    def one_round(self) -> None:
        app = self.app
        self.wait_screen("attract")
        self.to_screen("attract → home", "点击屏幕开始", "home")
        self.timed_tap("language → English", self.button("English", "root"), lambda: app.locale == "en")
        self.timed_tap("language → 中文", self.button("中文", "root"), lambda: app.locale == "zh_CN")
        self.timed_tap("elderly mode on", self.button("大字", "root"), lambda: app.text_scale > 1)
        self.timed_tap("elderly mode off", self.button("标准字", "root"), lambda: app.text_scale == 1)
        self.to_screen("home → place your card", "账户查询", "card")

        citizen = next(c for c in app.runtime.demo.citizens() if not c.tags)
        self.sign_in(citizen)
        self.wait_for("the account", lambda: app.screen("overview").view is not None)

        self.timed_tap(
            "overview → home", self.footer_back(), self.on_screen("home"), self.screen_settled("home")
        )
        for title, screen in SERVICES:
            self.to_screen(f"home → {screen}", title, screen, loads=True)
            if screen == "deposits":
                self.page_deposits()
            self.timed_tap(
                f"{screen} → home", self.footer_back(), self.on_screen("home"), self.screen_settled("home")
            )
        self.countdown()
        self.leave()

    def loan_plan_visit(self) -> None:
        """A second visit: the holder of a 30-year loan opens its whole repayment plan and scrolls it."""
        app = self.app
        self.wait_screen("attract")
        self.tap_text("点击屏幕开始")
        self.wait_screen("home")
        self.tap_text("贷款查询")
        self.wait_screen("card")
        holder = next(c for c in app.runtime.demo.citizens() if c.name == LONG_LOAN_HOLDER)
        self.sign_in(holder)
        self.wait_screen("loan")
        self.wait_for("the loan", lambda: app.screen("loan").view is not None)
        self.to_screen("loan → repayment plan", "查看全部还款计划", "loan_plan")
        rows = self.ui(lambda: len(app.screen("loan_plan").ids.rows.data))
        if rows != PLAN_ROWS:
            raise AssertionError(f"{LONG_LOAN_HOLDER}'s plan has {rows} rows, not {PLAN_ROWS}")
        self.ui(lambda: app.export_screen(self.out / "loan_plan.png"))
        plan = lambda: app.screen("loan_plan").ids.rows  # noqa: E731

        def scroll() -> None:
            for direction in (1, 1, 1, -1, 1, -1):
                self.swipe(plan, direction * SWIPE_PX)
            time.sleep(1.5)  # the list glides on after the last flick, and stops

        self.scrolls.append(
            {
                "name": f"scrolling the {PLAN_ROWS}-row plan",
                "frames": [f.as_json() for f in self.probe.frames_during(scroll)],
            }
        )
        self.ui(lambda: app.export_screen(self.out / "loan_plan_scrolled.png"))
        self.timed_tap(
            "repayment plan → loan", self.footer_back(), self.on_screen("loan"), self.screen_settled("loan")
        )
        self.tap_text("首页")
        self.wait_screen("home")
        self.leave()

    def swipe(self, locate: Callable[[], Any], distance: float) -> None:
        """A finger drawn up (positive: to see later rows) or down across what `locate` finds, one move
        per frame, then lifted: a flick, the list gliding on after it."""
        from kivy.clock import Clock
        from kivy.tests.common import UnitTestTouch

        done = threading.Event()
        finger: dict[str, Any] = {}

        def move(_dt: float) -> bool:
            finger["moves"] += 1
            x, y = finger["start"]
            finger["touch"].touch_move(x, y + distance * finger["moves"] / SWIPE_FRAMES)
            if finger["moves"] < SWIPE_FRAMES:
                return True
            finger["touch"].touch_up()
            done.set()
            return False

        def press(_dt: float) -> None:
            widget = locate()
            x, y = widget.to_window(*widget.center)
            finger.update(start=(x, y - distance / 2), moves=0)
            finger["touch"] = UnitTestTouch(x, y - distance / 2)
            finger["touch"].touch_down()
            Clock.schedule_interval(move, 0)

        Clock.schedule_once(press, 0)
        if not done.wait(10):
            raise AssertionError("the swipe did not finish")
        time.sleep(0.3)

    def page_deposits(self) -> None:
        deposits = self.app.screen("deposits")
        self.timed_tap(
            "deposits: next page",
            self.button("下一页"),
            lambda: deposits.loading,
            lambda: not deposits.loading and deposits.page == 2,
            waits="centre",
        )
        self.timed_tap(
            "deposits: previous page",
            self.button("上一页"),
            lambda: deposits.loading,
            lambda: not deposits.loading and deposits.page == 1,
            waits="centre",
        )

    def countdown(self) -> None:
        """Left alone on the home screen, the kiosk counts down; a touch anywhere keeps the visit."""
        app = self.app
        self.wait_for(
            "the countdown", lambda: app._overlay is not None, timeout=SESSION["idle_timeout_s"] + 5
        )
        self.scrolls.append(
            {
                "name": "countdown ticking",
                "frames": [f.as_json() for f in self.probe.frames_during(lambda: time.sleep(2))],
            }
        )
        self.timed_tap("countdown → dismissed", lambda: app._overlay, lambda: app._overlay is None)

    def leave(self) -> None:
        app = self.app
        self.timed_tap(
            "exit → rating", self.button("退出"), self.on_screen("rating"), self.screen_settled("rating")
        )
        while self.ui(lambda: app.sm.current) == "rating":
            self.tap_text("跳过")
            self.wait_for("the next rating or the goodbye", lambda: app.sm.current in ("rating", "goodbye"))
            time.sleep(0.3)
        self.wait_screen("goodbye")
        app.runtime.demo.remove()
        self.wait_screen("attract", timeout=15)


def main() -> int:

    def report(driver: Any, _app: Any, result: dict[str, Any]) -> None:
        result["measured"] = driver.measured
        result["scrolls"] = driver.scrolls

    return drive(
        lambda app, out, parts, _front: LatencyDriver(app, out, parts),
        session=SESSION,
        report=report,
        demo_panel=False,
    )


if __name__ == "__main__":
    sys.exit(main())
