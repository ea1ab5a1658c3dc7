"""The Kivy application: fonts, navigation, the idle wipe, card events, the bridge that brings worker
results back to the UI thread, and what happens when a callback raises. Import only after
`kiosk.display.prepare_kivy()`."""

from __future__ import annotations

import functools
import gc
import logging
import signal
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kivy.app import App
from kivy.base import ExceptionHandler, ExceptionManager
from kivy.clock import Clock
from kivy.config import Config
from kivy.core.text import DEFAULT_FONT, LabelBase
from kivy.core.window import Window
from kivy.properties import BooleanProperty, ListProperty, NumericProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.floatlayout import FloatLayout
from kivy.uix.screenmanager import FadeTransition, ScreenManager

from kiosk.accessibility import elderly_timeouts
from kiosk.display import WindowPlan
from kiosk.i18n import N_
from kiosk.screens import SCREENS, STAFF_SCREENS, make_screen
from kiosk.services.citizen import CardHolder
from kiosk.services.corner_taps import CornerTaps, in_corner
from kiosk.services.faults import RecoveryBudget, redacted_traceback
from kiosk.services.help import HelpAnswer
from kiosk.services.idcard import CardEvent, CardPlaced, CardTaken, CardUnreadable
from kiosk.services.idle import IdlePhase, IdleTimer
from kiosk.services.sd_notify import Notifier, watchdog_interval_s
from kiosk.services.steps import step_of
from kiosk.widgets import theme

if TYPE_CHECKING:
    from kiosk.devices.base import StatusChange
    from kiosk.runtime import Runtime
    from kiosk.screens.base import KioskScreen

log = logging.getLogger(__name__)

KIVY_INI = Path(__file__).resolve().parent / "data" / "kivy.ini"

_PREBUILD_AFTER_S = 0.5
# The garbage collector's full pass: never on its own once every screen is built, but on the attract screen
# this long after a visit ends (the goodbye's fade is over; nobody is there yet).
_FULL_PASS_NEVER = 1_000_000_000
_COLLECT_AFTER_S = 0.5
# Screens where nobody is being served: the idle countdown does not run there.
_RESTING_SCREENS = frozenset({"attract", "goodbye", "out_of_service"})
# Where the hidden staff gesture is heard: the screens nobody is being served on, never during a visit.
_STAFF_ENTRY_SCREENS = frozenset({"attract", "out_of_service"})
# The staff sign-in screen goes back to the attract screen after this long without a touch.
_SIGN_IN_IDLE_S = 60
# Screens on which a card placed on the reader starts a visit.
_WELCOMING_SCREENS = frozenset({"attract", "home", "card"})
# Device states that a visit meets as a device failure.
_OUT_OF_ORDER = frozenset({"error", "offline", "no_device"})


def _pin_input_providers() -> None:
    # Kivy adds an automatic sysfs probe on Linux by default; next to the mouse provider it doubles taps.
    Config.remove_option("input", "%(name)s")
    Config.read(str(KIVY_INI))


LARGE_TEXT_SCALE = 1.25
_CONFIG_APPLY_TIMEOUT_S = 10
# The exit status after the kiosk stopped itself because it could not recover from faults (EX_SOFTWARE):
# a service manager restarts it.
EXIT_FAULT = 70


class _CarryOn(ExceptionHandler):
    """Kivy's last resort for an exception in any callback on the UI thread (a tap, a Clock event, a
    binding). Without it the kiosk ends, with a citizen's visit on the screen. With it: the fault is
    logged without personal data, the visit is wiped, the citizen is told calmly to try again, and the
    kiosk carries on. A fault that comes back at once, or one while recovering, stops the kiosk instead
    (cleanly, with EXIT_FAULT), so that it starts afresh rather than loop."""

    def __init__(self, app: KioskApp) -> None:
        self._app = app
        self._budget = RecoveryBudget()
        self._gave_up = False

    def handle_exception(self, exception: BaseException) -> int:
        if not isinstance(exception, Exception):  # SystemExit, KeyboardInterrupt: meant to end the app
            return ExceptionManager.RAISE
        if self._gave_up:  # stopping already; the same fault may come back every frame until then
            return ExceptionManager.PASS
        log.error("unexpected error on the UI thread; wiping the visit\n%s", redacted_traceback(exception))
        if not self._budget.spend():
            log.critical("too many unexpected errors within a minute; stopping the kiosk to start afresh")
        else:
            try:
                self._app.recover_from_fault()
                return ExceptionManager.PASS
            except Exception as again:
                log.critical("recovering failed too; stopping the kiosk\n%s", redacted_traceback(again))
        self._gave_up = True
        self._app.request_stop(exit_status=EXIT_FAULT)
        return ExceptionManager.PASS


class KioskApp(App):
    locale = StringProperty("zh_CN")
    text_scale = NumericProperty(1.0)
    voice_on = BooleanProperty(False)  # voice guidance for this visit (elderly mode turns it on)
    step = ListProperty([0, 0])  # (step, of how many) in a multi-screen service; (0, 0) elsewhere
    english_offered = BooleanProperty(True)
    notices = ListProperty([])  # NoticeText of the notices showing now
    receipt_printed = BooleanProperty(False)  # in this visit: the goodbye reminds them to take it
    connectivity = StringProperty("online")  # the centre as the outbox forwarder sees it
    staff_id = StringProperty("")  # the maintenance session's staff number, for its bar
    staff_left_s = NumericProperty(0)  # seconds before the maintenance session ends by itself

    def __init__(
        self, runtime: Runtime, plan: WindowPlan, on_started: Callable[[KioskApp], None] | None = None
    ) -> None:
        super().__init__()
        self.runtime = runtime
        self.plan = plan
        self._on_started = on_started
        self.locale = runtime.settings.kiosk.locale
        self.idle = IdleTimer(runtime.policy.idle_timeout_s, runtime.policy.countdown_s)
        # Bumped at every wipe: results that arrive for an earlier visit are dropped, never shown.
        self._visit_generation = 0
        self._overlay: Any = None
        self._fault_handler = _CarryOn(self)
        self._stop_requested = False
        self._loop_ended = threading.Event()  # nothing scheduled on the Clock runs any more
        self.exit_status = 0
        self.title = "HPF Kiosk"
        gesture = runtime.settings.maintenance
        self._corner_taps = CornerTaps(gesture.corner, gesture.gesture_taps, gesture.gesture_window_s)
        self._last_touch = time.monotonic()
        self._service_manager = Notifier()  # systemd, when it runs the kiosk; else nothing is sent

    # -- translation ----------------------------------------------------------------------------------

    def t(self, message: str, locale: str | None = None) -> str:
        """Translated text; kv rules pass `app.locale` so they re-evaluate when the language changes."""
        return self.runtime.translator.gettext(message, locale or self.locale)

    def toggle_locale(self) -> None:
        self.locale = "en" if self.locale == "zh_CN" else "zh_CN"
        self.runtime.translator.set_locale(self.locale)
        # After a visit has ended the recorder has no visit: the reset to the default language is not counted.
        self.runtime.visit.touchpoints.record("language_changed", detail=self.locale)

    # -- building -------------------------------------------------------------------------------------

    def build(self) -> Any:
        fonts = self.runtime.fonts
        LabelBase.register(DEFAULT_FONT, fn_regular=str(fonts.regular), fn_bold=str(fonts.bold))
        _pin_input_providers()
        Window.clearcolor = theme.BACKGROUND
        Window.bind(on_request_close=self._on_request_close, on_keyboard=self._on_keyboard)
        Window.bind(on_touch_down=self._on_any_touch)

        self.sm = ScreenManager(transition=FadeTransition(duration=0.12))
        self.sm.add_widget(make_screen("attract"))
        self.kiosk_root = FloatLayout()
        self.kiosk_root.add_widget(self.sm)
        root: Any = self.kiosk_root
        if self.plan.demo_panel and self.runtime.demo is not None:
            from kiosk.widgets.demo_panel import DemoPanel

            root = BoxLayout(orientation="horizontal")
            self.kiosk_root.size_hint_x = None
            self.kiosk_root.width = self.plan.kiosk_width
            root.add_widget(self.kiosk_root)
            root.add_widget(DemoPanel(self.runtime.demo))
        Clock.schedule_interval(self._idle_tick, 0.25)
        Clock.schedule_interval(self._refresh_notices, 30)
        self.runtime.idcard.listen(self._card_event_from_device)
        self.runtime.config_listeners.append(self._config_from_worker)
        self.runtime.connectivity_listeners.append(
            lambda state: Clock.schedule_once(lambda _dt: setattr(self, "connectivity", state), 0)
        )
        self.runtime.connectivity_listeners.append(
            lambda state: self.runtime.visit.network_failed() if state == "offline" else None
        )
        maintenance = self.runtime.maintenance
        maintenance.service_state.listen(lambda _status: Clock.schedule_once(self._service_changed, 0))
        maintenance.exit_listeners.append(
            lambda status: Clock.schedule_once(lambda _dt: self.request_stop(exit_status=status), 0)
        )
        self._apply_policy()
        return root

    def _stop_on_signal(self, signum: int, _frame: Any) -> None:
        log.info("signal %d: stopping", signum)
        Clock.schedule_once(lambda _dt: self.request_stop(), 0)

    def request_stop(self, exit_status: int = 0) -> None:
        """Stop the kiosk: its parts stop on a worker while this thread goes on drawing (a configuration
        apply may be waiting for it), and the window closes once they have stopped."""
        if self._stop_requested:
            return
        self._stop_requested = True
        self.exit_status = exit_status
        self._service_manager.stopping()
        stopping = self.runtime.stop()
        stopping.add_done_callback(lambda _f: Clock.schedule_once(lambda _dt: self.stop(), 0))

    def on_start(self) -> None:
        ExceptionManager.add_handler(self._fault_handler)
        # SDL turns SIGTERM into a window-close request, which kiosk mode refuses: the service manager's
        # stop would hang until it kills the kiosk. Our own handlers stop the app cleanly instead.
        signal.signal(signal.SIGTERM, self._stop_on_signal)
        signal.signal(signal.SIGINT, self._stop_on_signal)
        log.info("kiosk %s started", self.runtime.settings.kiosk.id)
        Window.bind(on_flip=self._on_first_frame)
        interval = watchdog_interval_s()
        if interval is not None and self._service_manager.enabled:
            # From the Clock, on this thread: if the UI thread hangs the pings stop, and systemd restarts
            # the kiosk after WatchdogSec=. From now, not from the first frame: systemd's watchdog runs
            # from the service's start, and a slow first frame is no hang.
            Clock.schedule_interval(lambda _dt: self._service_manager.watchdog(), interval)
        # Once the attract screen is up: devices, outbox, remote configuration and the fleet agent start on
        # a worker, and the other screens are built one per frame, so that neither the first frame nor any
        # later tap waits for them.
        Clock.schedule_once(lambda _dt: self.background(self._start_services), _PREBUILD_AFTER_S)
        self._unbuilt = [name for name in SCREENS if not self.sm.has_screen(name)]
        Clock.schedule_once(self._build_next_screen, _PREBUILD_AFTER_S)
        Clock.schedule_once(self._service_changed, 0)  # out of service since before a restart

    def _on_first_frame(self, *_args: Any) -> None:
        Window.unbind(on_flip=self._on_first_frame)
        # bench/startup.py times the start to this line.
        log.info("kiosk %s: first frame drawn", self.runtime.settings.kiosk.id)
        self._service_manager.ready()  # a unit with Type=notify counts as started from here
        if not gc.isenabled():  # paused for the start by `kiosk run` (kiosk/cli.py)
            gc.freeze()
            gc.enable()

    def _start_services(self) -> None:
        self.runtime.start_background_services()
        for name, device in self.runtime.devices.items():
            device.subscribe(functools.partial(self._device_changed, name))
        if self._on_started is not None:
            Clock.schedule_once(lambda _dt: self._on_started(self), 0)

    def _device_changed(self, name: str, change: StatusChange) -> None:
        # On the device's worker thread; the visit flow only enqueues, so nothing here waits on the UI.
        if change.new in _OUT_OF_ORDER:
            self.runtime.visit.device_failed(name)

    def _build_next_screen(self, _dt: float) -> None:
        if self._unbuilt:
            self.screen(self._unbuilt.pop(0))
            Clock.schedule_once(self._build_next_screen, 0)
        else:
            # Every screen is built and lives as long as the kiosk: some 500 000 objects, which the
            # collector's full passes would otherwise walk again and again, each a pause of 200-700 ms on
            # this thread landing in whatever frame it falls (bench/ui_latency.py saw them in taps). Once,
            # before any citizen: what is garbage now is collected, what lives is taken out of later walks.
            gc.collect()
            gc.freeze()
            # What a visit leaves behind is collected when the next one could not notice (the attract
            # screen, below): the collector's full pass is kept out of the visits. The young generations
            # still collect as they go, so garbage waits at most one visit.
            young, middle, _full = gc.get_threshold()
            gc.set_threshold(young, middle, _FULL_PASS_NEVER)

    def on_stop(self) -> None:
        # Also reached without request_stop (App.stop() called directly, a demo window closed): the stop
        # starts here then, and the process exits once it has finished. Nothing waits for this thread now.
        self._loop_ended.set()
        ExceptionManager.remove_handler(self._fault_handler)
        self.runtime.stop()

    # -- window lockdown ------------------------------------------------------------------------------

    def _on_request_close(self, *_args: Any, **_kwargs: Any) -> bool:
        # True vetoes the close: a kiosk in a hall is only closed by staff through the maintenance mode.
        return self.plan.kiosk_mode

    def _on_keyboard(self, _window: Any, key: int, *_args: Any) -> bool:
        return key == 27  # swallow Esc (and Android back) so it never leaves the citizen's screen

    # -- navigation -----------------------------------------------------------------------------------

    def screen(self, name: str) -> KioskScreen:
        if not self.sm.has_screen(name):
            self.sm.add_widget(make_screen(name))
        return self.sm.get_screen(name)

    def go(self, name: str, **params: Any) -> None:
        if name in STAFF_SCREENS:  # no visit, no touchpoint: staff are not citizens
            self.screen(name).prepare(**params)
            self.sm.current = name
            self.runtime.voice.on_screen(name, self.locale)  # staff screens have no prompt: speech stops
            return
        if name == "attract" and self.runtime.visit.active.is_set():
            self.end_visit()  # back to the start (not through the goodbye) ends the visit all the same
        if name == "attract" and not self.runtime.visit.in_service():
            name = "out_of_service"
        if name not in _RESTING_SCREENS:
            self.runtime.visit.begin()
        if name == "home":
            self._leaving()
        self.runtime.visit.shown(name, params)
        self.screen(name).prepare(**params)
        self.step = list(step_of(name))
        self.sm.current = name
        if name in _STAFF_ENTRY_SCREENS:
            Clock.schedule_once(lambda _dt: gc.collect(), _COLLECT_AFTER_S)
            # Between visits voice is what the hall's default makes it (the goodbye was still spoken in
            # the voice of the visit it ends).
            self.set_voice(self.text_scale > 1.0, speak=False)
        self.runtime.voice.on_screen(name, self.locale)
        self.idle.touch()

    def choose_service(self, service: str) -> None:
        """From the home menu: go to the service, asking for the ID card and password first if needed."""
        self.go(self.runtime.visit.choose(service))

    def after_sign_in(self) -> None:
        self.go(self.runtime.visit.after_sign_in())

    def note_receipt(self) -> None:
        """A receipt came out: the goodbye reminds the citizen to take it."""
        visit = self.runtime.visit
        visit.printed()
        self.receipt_printed = True
        # A certificate completes when it is printed, not when its screen shows.
        current = self.sm.current
        if current == "certificate_result":
            visit.completed("certificate", self.screen(current).result.code)

    def _leaving(self) -> None:
        """The citizen leaves the current screen for home or the goodbye."""
        visit = self.runtime.visit
        current = self.sm.current
        if current == "password_change" and self.screen(current).step == "changed":
            visit.completed("password_change")
        visit.leaving(current)

    def go_home(self) -> None:
        self.go("home")

    def finish(self, ask_rating: bool = True) -> None:
        """The citizen is done: first the rating of each service they completed (unless they walked away),
        then wipe everything and remind them of their card (and receipt)."""
        self._leaving()
        case = self.runtime.visit.rating.next_case() if ask_rating else None
        if case is not None:
            self.go("rating", case=case)
            return
        receipt = self.receipt_printed
        bank_card = self.runtime.visit.bank_card_left()
        # A complaint needs no ID card: after one, the goodbye does not ask for a card never placed.
        id_card = self.runtime.visit.citizen.holder is not None
        self.end_visit()
        self.go("goodbye", receipt=receipt, bank_card=bank_card, id_card=id_card)

    def end_visit(self) -> None:
        # The citizen is forgotten here, on this thread, before anything else can begin the next visit.
        self.runtime.end_visit()
        self._visit_generation += 1
        self.receipt_printed = False
        for screen in self.sm.screens:
            screen.wipe()
        self._hide_overlay()
        if self.locale != self.runtime.settings.kiosk.locale:
            self.toggle_locale()
        self.text_scale = LARGE_TEXT_SCALE if self.runtime.policy.large_text_default else 1.0

    def recover_from_fault(self) -> None:
        """After an unexpected exception on this thread: wipe the visit and say calmly that it did not work;
        the notice goes back to the attract screen."""
        self.end_visit()
        self.go(
            "notice",
            title=N_("Sorry, something went wrong"),
            body=N_(
                "Everything you entered has been cleared. Please place your ID card again to start over."
            ),
            then="attract",
        )

    def call_staff(self) -> None:
        """The header's "Call staff": the centre is asked on a worker, the answer shows over the screen."""
        from kiosk.widgets.header import HelpNotice

        notice = HelpNotice.show_on(self.kiosk_root)

        def answered(answer: HelpAnswer) -> None:
            notice.answer(answer)
            self.say("help_called" if answer.outcome != "unreachable" else "unavailable")

        self.background(
            self.runtime.staff_calls.call, self.sm.current, self._visit_generation, on_result=answered
        )

    # -- voice guidance -------------------------------------------------------------------------------

    def say(self, event: str, **facts: object) -> None:
        """Speak an event's prompt (kiosk.voice.prompts) in the citizen's language, if voice is on."""
        self.runtime.voice.say(event, self.locale, **facts)

    def set_voice(self, on: bool, *, speak: bool = True) -> None:
        """Voice guidance on or off for this visit; on, the current screen is spoken at once (unless the
        caller is about to speak it)."""
        on = on and self.runtime.settings.voice.enabled
        self.voice_on = on
        self.runtime.voice.set_enabled(on)
        self.runtime.voice.set_slow(self.text_scale > 1.0)
        if on and speak:
            self.runtime.voice.on_screen(self.sm.current, self.locale)

    def repeat_prompt(self) -> None:
        self.runtime.voice.repeat()

    def read_my_details(self) -> None:
        """The citizen asks for their own facts aloud (no headset): for this visit only. The screen says
        what it holds (`KioskScreen.personal_speech`); a screen without personal facts repeats its prompt."""
        self.runtime.voice.allow_personal_for_visit()
        spoken = self.screen(self.sm.current).personal_speech()
        if spoken is None:
            self.runtime.voice.repeat()
        else:
            event, facts = spoken
            self.say(event, **facts)

    def on_text_scale(self, _app: Any, scale: float) -> None:
        """Elderly mode (large text) also gives the citizen longer: before the idle countdown, and in it."""
        policy = self.runtime.policy
        idle_s, countdown_s = float(policy.idle_timeout_s), float(policy.countdown_s)
        if scale > 1:
            idle_s, countdown_s = elderly_timeouts(idle_s, countdown_s)
        self.idle.idle_timeout_s, self.idle.countdown_s = idle_s, countdown_s

    def toggle_large_text(self) -> None:
        self.text_scale = 1.0 if self.text_scale > 1.0 else LARGE_TEXT_SCALE
        if self.text_scale > 1.0:
            self.runtime.visit.touchpoints.record("large_text_on")
        # Elderly mode comes with voice guidance, spoken more slowly.
        self.set_voice(self.text_scale > 1.0)

    # -- maintenance mode ------------------------------------------------------------------------------

    def in_staff_corner(self, screen: Any, touch: Any) -> bool:
        return in_corner(
            self._corner_taps.corner, touch.x - screen.x, touch.y - screen.y, screen.width, screen.height
        )

    def staff_corner_tap(self, screen: Any, touch: Any) -> bool:
        """A touch on a screen that hears the hidden gesture; True when it fell in the staff corner (it
        does nothing else then). The tap that completes the gesture opens the staff sign-in."""
        if self._corner_taps.tap(touch.x - screen.x, touch.y - screen.y, screen.width, screen.height):
            self.open_maintenance()
        return self.in_staff_corner(screen, touch)

    def open_maintenance(self) -> None:
        if self.sm.current in _STAFF_ENTRY_SCREENS and not self.runtime.visit.active.is_set():
            log.info("maintenance sign-in opened")
            self.go("staff_sign_in")

    def enter_maintenance(self) -> None:
        """Signed in: the status screen first."""
        self._show_staff_session()
        self.go("maintenance_status")

    def leave_maintenance(self) -> None:
        """Exit maintenance mode (or its session ended): sign out, back to the attract screen (or to the
        out-of-service screen, if staff left the kiosk out of service)."""
        self.runtime.maintenance.staff.sign_out()
        self.staff_id = ""
        for name in STAFF_SCREENS:  # the test cards' masked values, the last PIN typed
            if self.sm.has_screen(name):
                self.screen(name).wipe()
        self.go("attract")

    def _show_staff_session(self) -> None:
        session = self.runtime.maintenance.session
        self.staff_id = session.staff_id if session else ""
        self.staff_left_s = session.idle_left_s() if session else 0

    def _staff_tick(self) -> None:
        current = self.sm.current
        if self._stop_requested or (current == "maintenance_restart" and self.screen(current).busy):
            return  # a restart ends the session: "Restarting…" stays up until the app exits
        if current == "staff_sign_in":
            waited = time.monotonic() - self._last_touch
            if waited > _SIGN_IN_IDLE_S and not self.screen("staff_sign_in").busy:
                self.leave_maintenance()
            return
        staff = self.runtime.maintenance.staff
        if staff.end_if_idle() or staff.session is None:
            log.info("maintenance session ended without a touch: back to the attract screen")
            self.leave_maintenance()
            return
        self._show_staff_session()

    def _service_changed(self, *_args: Any) -> None:
        current = self.sm.current
        if current == "attract" and not self.runtime.visit.in_service():
            self.go("out_of_service")
        elif current == "out_of_service" and self.runtime.visit.in_service():
            self.go("attract")

    # -- remote configuration -------------------------------------------------------------------------

    def _config_from_worker(self, _config: Any) -> None:
        """Runs on a worker: apply on the UI thread and wait, so a failure rolls the configuration back."""
        done = threading.Event()
        failure: list[BaseException] = []

        def apply(_dt: float) -> None:
            try:
                self._apply_policy()
            except Exception as exc:
                failure.append(exc)
            done.set()

        Clock.schedule_once(apply, 0)
        deadline = time.monotonic() + _CONFIG_APPLY_TIMEOUT_S
        while not done.wait(0.1):
            if self._loop_ended.is_set():
                # The window is closing: there is no screen left to update, and that is no reason to roll
                # the configuration back. The next start reads it from its store.
                return
            if time.monotonic() > deadline:
                raise TimeoutError("the UI did not take the new configuration in time")
        if failure:
            raise failure[0]

    def _apply_policy(self) -> None:
        policy = self.runtime.policy
        self.idle = IdleTimer(policy.idle_timeout_s, policy.countdown_s)
        self.english_offered = "en" in policy.languages
        if not self.english_offered and self.locale == "en":
            self.toggle_locale()
        if not self.runtime.visit.active.is_set():
            self.text_scale = LARGE_TEXT_SCALE if policy.large_text_default else 1.0
        self.on_text_scale(self, self.text_scale)  # the new timer, with elderly mode's longer time-outs
        config = policy.config
        if config is not None:
            logging.getLogger().setLevel(config.log_level)
        self._refresh_notices()
        if self.sm.current == "out_of_service":
            self.screen("out_of_service").prepare()  # the alternatives may have changed

    def _refresh_notices(self, *_args: Any) -> None:
        self.notices = self.runtime.policy.notices()

    # -- work off the UI thread -----------------------------------------------------------------------

    def background(
        self,
        fn: Callable[..., Any],
        *args: Any,
        on_result: Callable[[Any], None] | None = None,
        on_error: Callable[[BaseException], None] | None = None,
    ) -> None:
        """Run `fn` on a worker; deliver its result (or exception) on the UI thread, unless the visit it
        belonged to has ended by then."""
        generation = self._visit_generation
        future: Future[Any] = self.runtime.background.submit(fn, *args)

        def deliver(_dt: float) -> None:
            if generation != self._visit_generation:
                return
            error = future.exception()
            if error is not None:
                if on_error is None:
                    log.error("background task failed\n%s", redacted_traceback(error))
                else:
                    on_error(error)
            elif on_result is not None:
                on_result(future.result())

        future.add_done_callback(lambda _f: Clock.schedule_once(deliver, 0))

    # -- the ID card reader ---------------------------------------------------------------------------

    def _card_event_from_device(self, event: CardEvent) -> None:
        # Called on the reader's thread; everything else happens on the UI thread.
        Clock.schedule_once(lambda _dt: self._on_card_event(event), 0)

    def _on_card_event(self, event: CardEvent) -> None:
        if self.runtime.maintenance.active:  # staff's test cards begin no visit
            return
        current = self.sm.current
        if isinstance(event, CardPlaced):
            if current in _WELCOMING_SCREENS:
                self._welcome(event.holder)
        elif isinstance(event, CardTaken):
            if current == "goodbye":
                self.screen("goodbye").card_taken()
        elif isinstance(event, CardUnreadable) and current == "card":
            self.screen("card").show_read_problem(event.reason)

    def _welcome(self, holder: CardHolder) -> None:
        refused = self.runtime.visit.card_placed(holder)
        if refused is not None:
            self.go("notice", title=refused.title, body=refused.body, then="goodbye")
            return
        self.go("password")

    # -- idle -----------------------------------------------------------------------------------------

    def _on_any_touch(self, *_args: Any) -> bool:
        self.idle.touch()
        self._last_touch = time.monotonic()
        session = self.runtime.maintenance.session
        if session is not None:
            session.touch()
        if self._overlay is not None:
            self._hide_overlay()
            return True  # the touch that dismisses the countdown does nothing else
        return False

    def keep_alive(self) -> None:
        self.idle.touch()
        self._hide_overlay()

    def _idle_tick(self, _dt: float) -> None:
        if self.sm.current in STAFF_SCREENS:
            self.idle.touch()
            self._staff_tick()
            return
        if self.sm.current in _RESTING_SCREENS:
            self.idle.touch()
            return
        status = self.idle.status()
        if status.phase is IdlePhase.ACTIVE:
            self._hide_overlay()
        elif status.phase is IdlePhase.COUNTDOWN:
            if self._overlay is None:
                from kiosk.widgets.countdown import IdleOverlay  # parsed on first use, not at start-up

                self._overlay = IdleOverlay()
                self.kiosk_root.add_widget(self._overlay)
                self.say("timeout_warning")
            self._overlay.seconds_left = status.seconds_left
        else:
            log.info("idle timeout: wiping the session")
            self.runtime.visit.touchpoints.record("idle_timeout", screen=self.sm.current)
            self.finish(ask_rating=False)

    def _hide_overlay(self) -> None:
        if self._overlay is not None:
            self.kiosk_root.remove_widget(self._overlay)
            self._overlay = None

    # -- for tests and the demo -----------------------------------------------------------------------

    def export_screen(self, path: Path) -> None:
        """Save what the citizen sees (the kiosk part of the window, overlays included) as a PNG."""
        path.parent.mkdir(parents=True, exist_ok=True)
        self.kiosk_root.export_to_png(str(path))
