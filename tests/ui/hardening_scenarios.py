"""UI scenarios of the hardening work, run by drive_citizen_flow.py in the real kiosk: a fault in a screen
callback, an expired and an unreadable ID card, visits that end while a slow centre closes their sessions,
and a stop while a configuration waits for the UI."""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import signal
import threading
import time
from typing import TYPE_CHECKING, Any

from kiosk.services.citizen import CardHolder, SignIn

if TYPE_CHECKING:
    from drive_citizen_flow import Driver

    from kiosk.runtime import Runtime

# Synthetic personal data in the fault's message: it must not reach the log.
FAULT_NAME = "钱样例"
FAULT_ID_NUMBER = "120199198502020027"
_SLOW_CLOSE_S = 5  # as set up by drive_citizen_flow.py for the "faults" scenario
_stop_asked_at: list[float] = []


def carry_on_after_faults(driver: Driver) -> None:
    _fault_in_a_screen_callback(driver)
    _expired_card(driver)
    _unreadable_card(driver)
    _next_visit_survives_a_slow_end(driver)


def _sign_in_at_the_reader(driver: Driver, which: Any) -> None:
    driver.place_card(which)
    driver.wait_screen("password")
    driver.type_password("123456")
    driver.wait_screen("overview")
    driver.wait_for("the account", lambda: driver.app.screen("overview").view is not None)


def _fault_in_a_screen_callback(driver: Driver) -> None:
    app = driver.app
    driver.wait_screen("attract")
    # The reader starts after the first frame, on a worker: on a busy machine the first card could
    # otherwise be placed before anything reads it.
    reader = app.runtime.devices["idcard"]
    driver.wait_for("the ID card reader", lambda: reader.state.value in ("idle", "busy"), 30)
    _sign_in_at_the_reader(driver, lambda c: not c.tags)
    overview = app.screen("overview")

    def broken_print() -> None:
        raise RuntimeError(f"cannot print for {FAULT_NAME} {FAULT_ID_NUMBER}")

    driver.ui(lambda: setattr(overview, "print_statement", broken_print))
    driver.tap_text("打印账户信息", unguarded=True)
    driver.wait_screen("notice")
    driver.check("the notice says it went wrong", app.screen("notice").title == "Sorry, something went wrong")
    driver.check("the visit is wiped", driver.ui(lambda: app.runtime.citizen.holder is None))
    driver.check("the overview is wiped", driver.ui(lambda: overview.view is None))
    driver.shot("14_fault_notice")
    driver.ui(lambda: delattr(overview, "print_statement"))
    driver.tap_text("确定")
    driver.wait_screen("attract")
    driver.check("no visit at the attract screen", not app.runtime.visit_active.is_set())
    # The kiosk carries on: the next citizen (here the same card, placed again) is served.
    driver.remove_card()
    _sign_in_at_the_reader(driver, lambda c: not c.tags)
    driver.leave("退出")
    driver.remove_card()
    driver.wait_screen("attract", timeout=10)


def _expired_card(driver: Driver) -> None:
    app = driver.app
    citizen = next(c for c in app.runtime.demo.citizens() if not c.tags)
    expired = dataclasses.replace(citizen.card, valid_from=dt.date(2000, 1, 1), valid_to=dt.date(2020, 1, 1))
    driver.parts.emulator.place_card(expired)
    driver.wait_screen("notice")
    driver.check("the notice says the card expired", app.screen("notice").title == "This ID card has expired")
    driver.check("no visit begins", driver.ui(lambda: app.runtime.citizen.holder is None))
    driver.shot("15_expired_card")
    driver.tap_text("确定")
    driver.wait_screen("goodbye")
    driver.remove_card()
    driver.wait_screen("attract", timeout=10)


def _unreadable_card(driver: Driver) -> None:
    app = driver.app
    emulator = driver.parts.emulator
    driver.tap_text("点击屏幕开始")
    driver.wait_screen("home")
    driver.tap_text("账户查询")
    driver.wait_screen("card")
    citizen = next(c for c in app.runtime.demo.citizens() if not c.tags)
    emulator.set_fault("removed_between_select_and_read")
    emulator.place_card(citizen.card)
    driver.wait_for("the read problem", lambda: app.screen("card").problem != "")
    shown = driver.t(app.screen("card").problem)
    driver.check(f"the card screen asks to place it again, got {shown!r}", "未能读取身份证" in shown)
    driver.check("no visit begins", driver.ui(lambda: app.runtime.citizen.holder is None))
    driver.shot("16_card_unreadable")
    emulator.set_fault(None)  # placed again, the card reads: the visit goes on from the same screen
    emulator.place_card(citizen.card)
    driver.wait_screen("password")
    driver.tap_text("取消")
    driver.wait_screen("goodbye")
    driver.remove_card()
    driver.wait_screen("attract", timeout=10)


def _next_visit_survives_a_slow_end(driver: Driver) -> None:
    """Five visits end in a row while the centre takes 5 s over closing each session; then the next citizen
    comes. Their visit must outlive the last visits' ends, and a configuration must not slip in."""
    app = driver.app
    runtime = app.runtime
    citizens_all = runtime.demo.citizens()
    citizens = [c for c in citizens_all if not c.tags]
    for i in range(5):
        card = citizens[i % len(citizens)].card
        holder = CardHolder(card.name, card.id_number, "resident", expired=False)
        driver.ui(lambda h=holder: app._welcome(h))  # as the reader's card event does
        driver.check("a quick visit signs in", runtime.citizen.sign_in("123456").outcome is SignIn.OK)
        driver.ui(app.finish)
    ended = time.monotonic()
    driver.ui(lambda: app.go("attract"))
    # Straight onto the reader (the demo panel's button would queue behind the visits' ends on the workers).
    driver.parts.emulator.place_card(next(c for c in citizens_all if "Has a loan" in c.tags).card)
    driver.wait_screen("password")
    driver.type_password("123456")
    driver.wait_screen("overview")
    driver.wait_for("the account", lambda: app.screen("overview").view is not None)
    name = driver.ui(lambda: runtime.citizen.holder.name)
    time.sleep(max(0.0, ended + _SLOW_CLOSE_S + 1.5 - time.monotonic()))  # the first late ends have come
    driver.check("the citizen is still signed in", driver.ui(lambda: runtime.citizen.signed_in))
    driver.check("it is still their visit", driver.ui(lambda: runtime.citizen.holder.name) == name)
    driver.check("their visit is still active", runtime.visit_active.is_set())
    driver.check("still on their account", driver.ui(lambda: app.sm.current) == "overview")
    driver.leave("退出")
    driver.parts.emulator.remove_card()
    driver.steps.append("next_visit_survives_a_slow_end")


def stop_while_a_configuration_waits_for_the_ui(driver: Driver) -> None:
    """A configuration is being applied and waits for the UI thread when the service manager stops the
    kiosk: the stop must neither hang nor roll the configuration back."""
    app = driver.app
    driver.wait_screen("attract")
    arrived, go_on = threading.Event(), threading.Event()

    def hold(config: Any) -> None:  # runs on the fleet agent's thread, before the app's listener
        if config is not None and not arrived.is_set():
            arrived.set()
            go_on.wait(10)

    app.runtime.config_listeners.insert(0, hold)
    driver.publish_config(target="all")
    app.runtime.fleet.poke()
    if not arrived.wait(30):
        raise AssertionError("the configuration never arrived")
    _stop_asked_at.append(time.monotonic())
    os.kill(os.getpid(), signal.SIGTERM)
    time.sleep(0.5)  # the stop is under way when the apply goes on to the UI thread
    go_on.set()
    driver.steps.append("stop_asked")


def stop_when_recovering_fails(driver: Driver) -> None:
    """A fault, and the recovery from it raises too: the kiosk must not loop, but stop (exit status 70) so
    that the service manager starts it afresh."""
    from kivy.clock import Clock

    app = driver.app
    driver.wait_screen("attract")

    def recovery_that_fails() -> None:
        raise RuntimeError("the notice cannot be shown")

    def fault(_dt: float) -> None:
        raise RuntimeError("a fault in a Clock callback")

    app.recover_from_fault = recovery_that_fails
    _stop_asked_at.append(time.monotonic())
    Clock.schedule_once(fault, 0)
    driver.steps.append("fault_while_recovering")


def after_stop(runtime: Runtime) -> dict[str, Any]:
    """For the test to judge, once the app has stopped: how long the stop took since it was asked for, and
    the configuration's state it left behind."""
    remote = runtime.remote
    if not _stop_asked_at or remote is None:
        return {}
    state = remote.state
    return {
        "stop_s": round(time.monotonic() - _stop_asked_at[0], 2),
        "applied_version": state.applied_version,
        "good_version": state.good_version,
        "on_probation": state.on_probation,
    }


HARDENING = {
    "faults": carry_on_after_faults,
    "stop_during_apply": stop_while_a_configuration_waits_for_the_ui,
    "fault_loop": stop_when_recovering_fails,
}
STOPS_ITSELF = frozenset({"stop_during_apply", "fault_loop"})
