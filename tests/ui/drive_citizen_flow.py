"""Drives the real kiosk (the demo's parts: reference central as a child process, SAM emulator on a pty)
through the citizen flow with simulated touches, saving a PNG of every screen.

Run by tests/ui/test_citizen_flow.py in its own process under Xvfb (Kivy allows one app per process).
Writes `result.json` into the output directory: the steps passed, or the first failure.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import threading
import time
import traceback
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from hardening_scenarios import HARDENING, STOPS_ITSELF, after_stop
from slow_centre import SlowCentre

from kiosk.demo import start_demo_parts
from kiosk.display import plan_window, prepare_kivy
from kiosk.runtime import build_runtime
from kiosk.settings import load_settings

REPO = Path(__file__).resolve().parents[2]
STEP_TIMEOUT_S = 20


class FlowFailed(AssertionError):
    pass



def _scroll_into_view(widget: Any) -> bool:
    """Scrolls each ScrollView around `widget` whose view does not hold the widget's centre, innermost
    first, so that a tap there lands on it; whether any had to."""
    from kivy.uix.scrollview import ScrollView

    scrolled = False
    x, y = widget.to_window(*widget.center)
    node = widget.parent
    while node is not None and node is not node.parent:
        if isinstance(node, ScrollView):
            left, bottom = node.to_window(*node.pos)
            if not (left <= x <= left + node.width and bottom <= y <= bottom + node.height):
                node.scroll_to(widget, padding=0, animate=False)
                scrolled = True
        node = node.parent
    return scrolled

class Driver:
    """Runs on its own thread; every UI access is posted to the Kivy thread and awaited."""

    def __init__(self, app: Any, out: Path, parts: Any) -> None:
        self.app = app
        self.out = out
        self.parts = parts
        self.steps: list[str] = []

    def ui(self, fn: Callable[[], Any]) -> Any:
        from kivy.clock import Clock

        done = threading.Event()
        box: dict[str, Any] = {}

        def run(_dt: float) -> None:
            try:
                box["value"] = fn()
            except BaseException as exc:  # re-raised on the driver thread
                box["error"] = exc
            done.set()

        Clock.schedule_once(run, 0)
        if not done.wait(STEP_TIMEOUT_S):
            raise FlowFailed("the UI thread did not answer")
        if "error" in box:
            raise box["error"]
        return box.get("value")

    def wait_for(self, what: str, condition: Callable[[], bool], timeout: float = STEP_TIMEOUT_S) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.ui(condition):
                return
            time.sleep(0.05)
        raise FlowFailed(f"timed out waiting for {what} (screen: {self.ui(lambda: self.app.sm.current)})")

    def wait_screen(self, name: str, timeout: float = STEP_TIMEOUT_S) -> None:
        self.wait_for(
            f"screen {name}",
            lambda: self.app.sm.current == name and not self.app.sm.transition.is_active,
            timeout,
        )
        time.sleep(0.3)  # let the fade finish drawing

    def shot(self, name: str) -> None:
        time.sleep(0.2)
        self.ui(lambda: self.app.export_screen(self.out / f"{name}.png"))
        self.steps.append(name)

    def _find(self, root: Any, text: str) -> Any:
        for widget in root.walk(restrict=True):
            if (
                text in (getattr(widget, "text", None), getattr(widget, "title", None))
                and widget.get_root_window()
                and (hasattr(widget, "trigger_action") or widget.__class__.__name__.endswith("Button"))
            ):
                return widget
        return None

    def tap_text(self, text: str, where: str = "screen", *, unguarded: bool = False) -> None:
        def locate() -> Any:
            root = self.app.sm.current_screen if where == "screen" else self.app.root
            widget = self._find(root, text)
            if widget is None and where == "screen" and self.app._overlay is not None:
                widget = self._find(self.app._overlay, text)
            return widget

        self.wait_for(f"a button '{text}'", lambda: locate() is not None and not locate().disabled)
        self.tap(locate, unguarded=unguarded)

    def tap(self, locate: Callable[[], Any], *, unguarded: bool = False) -> None:
        """`unguarded`: whatever the tap raises goes to Kivy's main loop, as a real finger's tap's would,
        instead of back to this thread."""
        from kivy.clock import Clock
        from kivy.tests.common import UnitTestTouch

        def press() -> None:
            widget = locate()
            x, y = widget.to_window(*widget.center)
            touch = UnitTestTouch(x, y)
            touch.touch_down()
            touch.touch_up()

        # As a citizen scrolls to a tile below the fold; the scroll views move their content on the next
        # frame, so the tap waits for it.
        if self.ui(lambda: _scroll_into_view(locate())):
            time.sleep(0.1)
        if unguarded:
            Clock.schedule_once(lambda _dt: press(), 0)
        else:
            self.ui(press)
        time.sleep(0.15)

    def wait_for_parts(self) -> None:
        """Transactions are offered once the outbox is open, certificates once the printer is."""
        runtime = self.app.runtime
        self.wait_for(
            "the kiosk's parts", lambda: runtime.outbox is not None and runtime.printing is not None, 30
        )

    def t(self, message: str) -> str:
        return self.ui(lambda: self.app.t(message))

    def type_password(self, digits: str) -> None:
        for digit in digits:

            def key(d: str = digit) -> Any:
                keypad = self.app.screen("password")._keypad
                return next(k for k in keypad.children if getattr(k, "digit", None) == d)

            self.tap(key)

    def place_card(self, predicate: Callable[[Any], bool]) -> str:
        """Tap "place card" in the demo panel on the first synthetic citizen matching `predicate`."""
        from kivy.uix.widget import Widget

        def rows() -> list[Any]:
            listing = self.app.root.children[0].ids.listing
            return list(reversed(listing.children))

        citizens = self.app.runtime.demo.citizens()  # HTTP: from this thread, not the UI thread
        index = next(i for i, c in enumerate(citizens) if predicate(c))
        self.wait_for("the demo panel's row of the citizen", lambda: len(rows()) > index)

        def button() -> Widget:
            row = rows()[index]
            row.parent.parent.scroll_to(row, animate=False)
            return next(w for w in row.walk(restrict=True) if w.__class__.__name__ == "KioskButton")

        self.ui(lambda: rows()[index].parent.parent.scroll_to(rows()[index], animate=False))
        time.sleep(0.2)
        self.tap(button)
        return citizens[index].name

    def remove_card(self) -> None:
        self.tap_text(self.t("Remove card from reader"), where="root")

    def publish_config(self, target: str = "group:demo-hall") -> None:
        """As an operator would with kiosk-admin: sign the example configuration, changed, and publish it."""
        import requests

        from kiosk.demo import DEMO_OPERATOR_TOKEN
        from kiosk.remote_config.bundle import load_private_key, sign_bundle

        config = json.loads((REPO / "config" / "remote.example.json").read_text(encoding="utf-8"))
        config["services"] = [{"id": "loan"}, {"id": "overview"}, {"id": "deposits"}]
        config["session"] = {"idle_timeout_s": 10, "countdown_s": 4}
        config["hours"] = {"default": [], "per_service": {}}  # open whenever the test happens to run
        config["notices"][0].update(
            starts_at="2020-01-01T00:00:00+08:00", ends_at="2099-01-01T00:00:00+08:00"
        )
        key = load_private_key(self.app.runtime.settings.kiosk.data_dir / "operator" / "operator.key")
        bundle = sign_bundle(config, version=1, target=target, key=key)
        response = requests.post(
            self.parts.base_url + "/v1/admin/bundles",
            json={"bundle": bundle},
            headers={"Authorization": f"Bearer {DEMO_OPERATOR_TOKEN}"},
            timeout=10,
        )
        self.check(f"published: {response.text}", response.json()["code"] == "ok")

    def through_rating(self, levels: Mapping[str, str] | None = None) -> list[str]:
        """After Exit or Finish: answer each rating the kiosk asks for as a citizen would, with the level
        `levels` gives for that service (a score of 3 or more: it files at once) or else Skip in one tap,
        until the goodbye. Returns the services offered for rating, in order."""
        app = self.app
        offered: list[str] = []
        asked: set[str] = set()

        def next_step() -> bool:
            if app.sm.current == "goodbye":
                return True
            case = app.sm.current_screen.case if app.sm.current == "rating" else None
            return case is not None and case.case_ref not in asked

        while True:
            self.wait_for("a rating or the goodbye", next_step)
            case = self.ui(lambda: app.sm.current_screen.case if app.sm.current == "rating" else None)
            if case is None:
                return offered
            asked.add(case.case_ref)
            offered.append(case.service)
            self.tap_text((levels or {}).get(case.service, "跳过"))

    def leave(self, button: str, levels: Mapping[str, str] | None = None) -> list[str]:
        """Tap Exit or Finish, then through the ratings (see `through_rating`) to the goodbye."""
        self.tap_text(button)
        offered = self.through_rating(levels)
        self.wait_screen("goodbye")
        return offered

    def check(self, what: str, condition: bool) -> None:
        if not condition:
            raise FlowFailed(what)

    # -- the flow -------------------------------------------------------------------------------------

    def run(self) -> None:
        app = self.app
        self.wait_screen("attract")
        self.shot("01_attract")
        self.tap_text("点击屏幕开始")
        self.wait_screen("home")
        self.shot("02_home")
        self.tap_text("账户查询")
        self.wait_screen("card")
        self.shot("03_place_card")

        name = self.place_card(lambda c: not c.tags)  # a normal account without a loan
        self.full_id = next(c.card.id_number for c in self.app.runtime.demo.citizens() if c.name == name)
        self.wait_screen("password")
        greeting = self.ui(lambda: app.screen("password").greeting_name)
        self.check(
            f"greeting shows the masked name, got {greeting!r}", greeting == name[0] + "*" * (len(name) - 1)
        )
        self.type_password("123")
        self.shot("04_password")
        self.tap_text("清空")
        self.type_password("000000")
        self.wait_for(
            "the wrong-password message",
            lambda: app.screen("password").message != "" and not app.screen("password").busy,
        )
        self.check("two attempts left", "2" in self.ui(lambda: app.t(app.screen("password").message)))
        self.shot("05_wrong_password")
        self.type_password("123456")
        self.wait_screen("overview")
        self.wait_for("the account", lambda: app.screen("overview").view is not None)
        time.sleep(0.3)
        self.ui(lambda: app.root.export_to_png(str(self.out / "demo_window.png")))
        view = self.ui(lambda: app.screen("overview").view)
        self.check("the ID number is masked", "*" in view.masked_id and len(view.masked_id) == 18)
        self.shot("06_overview")
        self.tap_text("大字")
        self.wait_for("large text", lambda: app.text_scale > 1)
        self.shot("06a_overview_large_text")
        self.tap_text("标准字")
        self.wait_for("normal text", lambda: app.text_scale == 1)

        self.tap_text("打印账户信息")
        self.wait_for("the printout", lambda: app.screen("overview").print_message.startswith("Please take"))
        (job,) = self.parts.printer.wait_for_jobs(1)
        self.check("the slip was printed to the end", job.complete)
        self.check("the slip carries the masked ID number", view.masked_id in job.text)
        self.check("and never the full one", self.full_id not in job.text)
        self.shot("06b_statement_printed")
        shutil.copy(job.png, self.out / "06c_printed_receipt.png")

        # Operators publish a configuration while this citizen is being served: it must wait.
        self.publish_config()
        app.runtime.fleet.poke()
        self.wait_for("the bundle to be deferred", lambda: app.runtime.remote.deferred_version == 1)
        self.check("nothing applied mid-session", app.runtime.policy.config is None)

        self.tap_text("English")
        self.wait_for("English", lambda: app.locale == "en")
        self.shot("07_overview_english")
        self.tap_text("中文")
        self.wait_for("Chinese", lambda: app.locale == "zh_CN")

        self.tap_text("首页")
        self.wait_screen("home")
        self.tap_text("缴存明细")
        self.wait_screen("deposits")
        self.wait_for("deposit rows", lambda: len(app.screen("deposits").rows) > 0)
        self.shot("08_deposits")
        self.tap_text("下一页")
        self.wait_for(
            "page 2", lambda: app.screen("deposits").page == 2 and not app.screen("deposits").loading
        )
        self.tap_text("首页")
        self.wait_screen("home")
        # Each query seen is offered for rating before the goodbye: the first rated, the second skipped.
        offered = self.leave("退出", {"overview": "满意"})
        self.check(f"both queries offered for rating, got {offered}", offered == ["overview", "deposits"])
        self.shot("09_goodbye")
        self.check("the visit is wiped", self.ui(lambda: app.runtime.citizen.holder is None))
        self.check("the overview is wiped", self.ui(lambda: app.screen("overview").view is None))
        self.wait_for(
            "the deferred bundle applied after the visit", lambda: app.runtime.remote.state.good_version == 1
        )
        self.remove_card()
        self.wait_screen("attract", timeout=10)
        self.wait_for("the notice on the attract screen", lambda: len(app.notices) == 1)
        self.tap_text("点击屏幕开始")
        self.wait_screen("home")
        titles = self.ui(lambda: [tile.title for tile in reversed(app.screen("home").ids.tiles.children)])
        self.check(
            f"services in the operators' order, got {titles}", titles == ["贷款查询", "账户查询", "缴存明细"]
        )
        self.shot("10_home_after_remote_config")
        self.tap_text("返回")
        self.wait_screen("attract")

        # A citizen with a loan, straight from the attract screen by placing the card.
        self.place_card(lambda c: "Has a loan" in c.tags)
        self.wait_screen("password")
        self.type_password("123456")
        self.wait_screen("overview")
        self.tap_text("首页")
        self.wait_screen("home")
        self.tap_text("贷款查询")
        self.wait_screen("loan")
        self.wait_for("the loan", lambda: app.screen("loan").view is not None)
        self.shot("11_loan")

        # Walking away: the countdown appears, then everything is wiped.
        self.wait_for("the idle countdown", lambda: app._overlay is not None, timeout=30)
        self.shot("12_idle_countdown")
        self.wait_screen("goodbye", timeout=30)
        self.check("idle wipe forgets the citizen", self.ui(lambda: app.runtime.citizen.holder is None))
        self.check("idle wipe clears the loan screen", self.ui(lambda: app.screen("loan").view is None))
        self.remove_card()
        self.wait_screen("attract", timeout=10)

        # Advice on the overview for a citizen it applies to: a sealed account may withdraw on leaving the
        # city. Appointments are not among the services published above, so it comes without a button.
        self.place_card(lambda c: "Sealed account" in c.tags and c.name != "司马样例")
        self.wait_screen("password")
        self.type_password("123456")
        self.wait_screen("overview")
        self.wait_for("the advice", lambda: len(app.screen("overview").ids.advice.children) > 0)
        tiles = self.ui(lambda: list(reversed(app.screen("overview").ids.advice.children)))
        self.check("the sealed account is advised", any("离开本市提取" in tile.title for tile in tiles))
        self.check("no button for a service the kiosk does not offer", all(t.kind == "note" for t in tiles))
        self.shot("12a_overview_advice")
        self.tap_text("首页")
        self.wait_screen("home")
        self.leave("退出")
        self.remove_card()
        self.wait_screen("attract", timeout=10)

        # The centre goes away mid-visit: a calm message, then home.
        self.place_card(lambda c: not c.tags)
        self.wait_screen("password")
        self.parts.central.stop()
        self.type_password("123456")
        self.wait_screen("notice")
        self.shot("13_centre_unavailable")
        self.tap_text("确定")
        self.wait_screen("goodbye")


def lockdown(driver: Driver) -> None:
    """Kiosk mode: Esc and the window's close button leave the citizen's screen where it is; input
    providers are pinned (no automatic sysfs probe next to the mouse, no multitouch emulation)."""
    from kivy.config import Config
    from kivy.core.window import Window

    app = driver.app
    driver.wait_screen("attract")
    driver.tap_text("点击屏幕开始")
    driver.wait_screen("home")
    vetoed = driver.ui(lambda: Window.dispatch("on_request_close"))
    driver.check("window close is refused", vetoed is True)
    driver.ui(lambda: Window.dispatch("on_keyboard", 27, 9, None, []))
    time.sleep(0.5)
    driver.check("Esc leaves the screen as it was", driver.ui(lambda: app.sm.current) == "home")
    inputs = dict(Config.items("input"))
    driver.check(f"input providers pinned, got {inputs}", inputs == {"mouse": "mouse,disable_multitouch"})
    driver.steps.append("lockdown")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--scenario", choices=("flow", "lockdown", *HARDENING), default="flow")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    result: dict[str, Any] = {"ok": False, "steps": []}

    settings = load_settings(REPO / "config" / "demo.toml").with_overrides(
        kiosk={"data_dir": str(args.data_dir)},
        session={"idle_timeout_s": 10, "countdown_s": 4},
        outbox={"key_file": str(args.data_dir.parent / "keys" / "outbox.key")},
    )
    settings, parts = start_demo_parts(settings)
    slow_centre = None
    if args.scenario == "faults":
        # Every visit's session closes 5 s late, as at a slow centre.
        slow_centre = SlowCentre(parts.base_url, delay_s=5)
        settings = settings.with_overrides(central={"base_url": slow_centre.url})
    kiosk_mode = args.scenario == "lockdown"
    plan = plan_window(
        1080, 1920, fullscreen=False, kiosk_mode=kiosk_mode, demo_panel=not kiosk_mode, window_height=960
    )
    runtime = build_runtime(
        settings,
        card_placer=None if kiosk_mode else parts.emulator,
        last_receipt=None if kiosk_mode else parts.last_receipt,
    )
    prepare_kivy(plan)
    from kiosk.app import KioskApp

    def started(app: Any) -> None:
        driver = Driver(app, args.out, parts)

        def scenario() -> None:
            try:
                if args.scenario == "flow":
                    driver.run()
                elif args.scenario == "lockdown":
                    lockdown(driver)
                else:
                    HARDENING[args.scenario](driver)
                result["ok"] = True
            except BaseException:
                result["error"] = traceback.format_exc()
            result["steps"] = driver.steps
            if args.scenario not in STOPS_ITSELF or not result["ok"]:
                driver.ui(app.stop)

        threading.Thread(target=scenario, daemon=True).start()

    try:
        app = KioskApp(runtime, plan, on_started=started)
        app.run()
        result["after_stop"] = {**after_stop(runtime), "exit_status": app.exit_status}
    finally:
        parts.close()
        if slow_centre is not None:
            slow_centre.close()
        (args.out / "result.json").write_text(json.dumps(result, indent=2), encoding="utf-8")
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
