"""Builds the running kiosk from its settings: the one place that knows every concrete class.

Two steps: `build_runtime()` makes what the first frame needs (settings, fonts, translations, the ID card
reader, the central client); `start_background_services()`, on a worker once the attract screen is up,
makes and starts the rest (outbox and forwarder, printer, remote configuration, fleet agent). SQLAlchemy,
python-escpos and cryptography are imported there, not while the kiosk starts. A part that fails to start
is reported in the heartbeat (`problems`) and the kiosk offers what still works. `stop()` stops them all
in reverse order, off the UI thread, under one deadline.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kiosk import __version__
from kiosk.central import CentralClient
from kiosk.central.fleet import FleetApi
from kiosk.central.sequence import SequenceCounter
from kiosk.devices.base import Device
from kiosk.devices.idcard.reader import IdCardReader
from kiosk.devices.registry import open_device_as
from kiosk.fonts import UiFonts, find_ui_fonts
from kiosk.i18n import Translator
from kiosk.services.background import Background
from kiosk.services.citizen import CitizenService
from kiosk.services.faults import one_line_reason, redacted_traceback
from kiosk.services.fleet import FleetAgent
from kiosk.services.health import KioskHealth
from kiosk.services.help import HelpService
from kiosk.services.idcard import IdCardService
from kiosk.services.policy import CENTRE_TIME, KioskPolicy
from kiosk.services.visit import VisitFlow
from kiosk.settings import Settings
from kiosk.voice import AlsaHeadsetProbe, AplayPlayer, EspeakEngine, VoiceGuide
from kiosk.voice.engine import cache_dir as voice_cache_dir
from kiosk.voice.volume import VolumeStore

if TYPE_CHECKING:
    from kiosk.devices.printer.driver import PrintOutcome
    from kiosk.offline_queue.bounds import BoundsPolicy
    from kiosk.offline_queue.events import OutboxEvent
    from kiosk.offline_queue.forwarder import Forwarder
    from kiosk.offline_queue.outbox import Outbox
    from kiosk.receipts.data import ReceiptBranding
    from kiosk.remote_config.schema import RemoteConfig
    from kiosk.services.demo import BankCardSlot, CardPlacer, CentreSwitch, DemoService
    from kiosk.services.maintenance import MaintenanceService
    from kiosk.services.payee_card import PayeeCardService
    from kiosk.services.printing import PrintService
    from kiosk.services.remote_config import RemoteConfigService
    from kiosk.services.shutdown import StopReport, StopStep

log = logging.getLogger(__name__)

# Every part stopped within this; a service manager's own stop timeout (systemd: 90 s) is far above it.
STOP_DEADLINE_S = 15.0


@dataclass(frozen=True)
class Problem:
    """A part that did not start: named in the heartbeat until the kiosk is restarted."""

    part: str  # idcard | printer | bankcard | remote_config | outbox | forwarder | fleet | catalogue
    reason: str  # one line, for operators; no personal data (no citizen is involved at start)


@dataclass
class Runtime:
    settings: Settings
    translator: Translator
    fonts: UiFonts
    central: CentralClient
    idcard: IdCardService
    background: Background
    policy: KioskPolicy
    health: KioskHealth
    fleet: FleetAgent
    demo: DemoService | None = None
    # The citizen's visit and every service it uses (made by build_runtime, which gives it this runtime).
    visit: VisitFlow = field(init=False)
    # Hall staff's maintenance mode: sign-in, status, device tests, paper, out of service (made by
    # build_runtime).
    maintenance: MaintenanceService = field(init=False)
    # Spoken prompts (made by build_runtime); silent until a citizen or the hall's configuration turns
    # voice on for a visit.
    voice: VoiceGuide = field(init=False)
    voice_volume: VolumeStore = field(init=False)  # the speaker's volume as staff last set it
    # "Call staff" (made by build_runtime): the citizen's call to the hall, through the centre.
    staff_calls: HelpService = field(init=False)
    # Made by start_background_services():
    remote: RemoteConfigService | None = None
    printing: PrintService | None = None
    payee_cards: PayeeCardService | None = None  # the bank card reader, when devices.bankcard is set
    outbox: Outbox | None = None
    forwarder: Forwarder | None = None
    connectivity: str = "online"  # from the outbox forwarder: online | degraded | offline
    problems: list[Problem] = field(default_factory=list)
    # The centre's clean-up after a visit (closing the session) runs here, on a lane of its own, so a slow
    # centre never makes the next citizen's requests queue behind the last one's good-byes.
    cleanup: Background = field(default_factory=lambda: Background(workers=1, name="kiosk-cleanup"))
    started_at: float = field(default_factory=time.monotonic)
    # Called (on a worker) after a configuration takes effect; the UI registers one to redraw.
    config_listeners: list[Callable[[RemoteConfig | None], None]] = field(default_factory=list)
    # Called (on the forwarder's thread) with "online", "degraded" or "offline" when that changes.
    connectivity_listeners: list[Callable[[str], None]] = field(default_factory=list)
    _closed: threading.Event = field(default_factory=threading.Event)
    _lifecycle: threading.Lock = field(default_factory=threading.Lock)
    _start_done: threading.Event | None = None  # made when the start begins, set when it has ended
    _stopping: Future[StopReport] | None = None

    @property
    def citizen(self) -> CitizenService:
        return self.visit.citizen

    @property
    def visit_active(self) -> threading.Event:
        """Set while a citizen is being served: configuration changes wait until it clears."""
        return self.visit.active

    @property
    def printer_configured(self) -> bool:
        return self.settings.devices.printer is not None

    @property
    def devices(self) -> dict[str, Device]:
        devices: dict[str, Device] = {"idcard": self.idcard.reader}
        if self.printing is not None:
            devices["printer"] = self.printing.printer
        if self.payee_cards is not None:
            devices["bankcard"] = self.payee_cards.reader
        return devices

    def receipt_branding(self) -> ReceiptBranding:
        from kiosk.receipts.data import ReceiptBranding

        config = self.policy.config
        return ReceiptBranding(
            centre_name=self.settings.kiosk.centre_name,
            header_lines=tuple(config.receipt.header_lines) if config else (),
            footer_lines=tuple(config.receipt.footer_lines) if config else (),
            terminal_id=self.settings.kiosk.id,
        )

    def apply_config(self, config: RemoteConfig | None) -> None:
        self.health.remember_baseline()
        self.policy.update(config)
        for listener in list(self.config_listeners):
            listener(config)

    @property
    def transactions_available(self) -> bool:
        """Whether the kiosk may take a transaction now: only when it can keep it (the outbox is open).
        Queries and printing do not need the outbox and stay available either way."""
        return self.transactions_unavailable_reason is None

    @property
    def transactions_unavailable_reason(self) -> str | None:
        """Why transactions are not taken now (for operators and logs), or None when they are."""
        if self._closed.is_set():
            return "the kiosk is stopping"
        if self.outbox is not None:
            return None
        problem = next((p for p in self.problems if p.part == "outbox"), None)
        return f"the outbox did not open: {problem.reason}" if problem else "the outbox is not open yet"

    def status(self) -> dict[str, Any]:
        """The heartbeat's content: latest state only."""
        return {
            "app_version": __version__,
            "config_version": self.remote.state.applied_version if self.remote else 0,
            "uptime_s": int(time.monotonic() - self.started_at),
            "devices": {name: {"state": d.state.value, "detail": ""} for name, d in self.devices.items()},
            "paper": self.printing.printer.last_status.paper.value if self.printing else None,
            "outbox": self._outbox_status(),
            "connectivity": self.connectivity,
            "problems": [{"part": p.part, "reason": p.reason} for p in self.problems],
            "heartbeat_interval_s": self.policy.heartbeat_interval_s,
            **self.maintenance.service_state.heartbeat_fields(),
        }

    def _outbox_bounds(self) -> BoundsPolicy:
        from kiosk.offline_queue.bounds import BoundsPolicy

        config = self.policy.config
        if config is None:
            return BoundsPolicy()
        bounds = config.outbox
        return BoundsPolicy(
            max_rows=bounds.max_rows, max_bytes=bounds.max_bytes, max_age_s=bounds.max_age_hours * 3600
        )

    def _outbox_status(self) -> dict[str, Any] | None:
        if self.outbox is None:
            return None
        usage = self.outbox.usage()
        return {"depth": usage.rows, "oldest_pending_age_s": int(usage.oldest_age_s) if usage.rows else None}

    def _on_outbox_event(self, event: OutboxEvent) -> None:
        from kiosk.offline_queue.events import ConnectivityChanged

        if isinstance(event, ConnectivityChanged):
            self.connectivity = event.state.value
            for listener in list(self.connectivity_listeners):
                listener(self.connectivity)

    def start_background_services(self) -> None:
        """On a worker, after the first frame: make and start everything the first frame did not need.

        Each part starts on its own: one that fails is logged with its traceback and listed in `problems`
        (and so in the heartbeat), and the kiosk carries on with the others."""
        with self._lifecycle:
            if self._closed.is_set():  # the app stopped before this began: start nothing
                return
            self._start_done = threading.Event()
        settings = self.settings
        parts: list[tuple[str, Callable[[], None]]] = [("idcard", self.idcard.start)]
        printer_url = settings.devices.printer
        if printer_url:
            parts.append(("printer", lambda: self._start_printer(printer_url)))
        bankcard_url = settings.devices.bankcard
        if bankcard_url:
            parts.append(("bankcard", lambda: self._start_bankcard(bankcard_url)))
        if settings.remote.operator_keys:
            parts.append(("remote_config", self._start_remote_config))
        # After the configuration: the outbox takes its bounds from it, and only when it opens.
        parts += [
            ("outbox", self._open_outbox),
            ("forwarder", self._start_forwarder),
            ("fleet", self.fleet.start),
            # Pre-registration works offline from the business types kept on disk: have them from the start.
            ("catalogue", self._keep_catalogue),
        ]

        try:
            for part, start in parts:
                if self._closed.is_set():  # the app stopped while this was starting: start nothing more
                    return
                self._start_part(part, start)
        finally:
            self._start_done.set()

    def _start_part(self, part: str, start: Callable[[], None]) -> None:
        try:
            start()
        except Exception as exc:
            reason = one_line_reason(exc)
            log.error(
                "%s did not start (%s); the kiosk carries on without it\n%s",
                part,
                reason,
                redacted_traceback(exc),
            )
            self.problems.append(Problem(part, reason))

    def _start_printer(self, url: str) -> None:
        from kiosk.devices.printer.driver import EscposPrinter
        from kiosk.services.printing import PrintService

        printer = open_device_as(
            EscposPrinter, "printer", url, stats_dir=self.settings.kiosk.data_dir / "devices"
        )
        self.printing = PrintService(printer, self.citizen, self.receipt_branding)
        paper = self.settings.maintenance
        self.maintenance.attach_printer(
            self.printing,
            roll_length_m=paper.paper_roll_length_m,
            warn_remaining_m=paper.paper_warn_remaining_m,
        )

    def _start_bankcard(self, url: str) -> None:
        from kiosk.devices.bankcard.reader import BankCardReader
        from kiosk.services.payee_card import PayeeCardService

        stats_dir = self.settings.kiosk.data_dir / "devices"
        reader = open_device_as(BankCardReader, "bankcard", url, do_not_open=True, stats_dir=stats_dir)
        payee_cards = PayeeCardService(reader)
        payee_cards.start()
        self.payee_cards = payee_cards

    def _start_remote_config(self) -> None:
        remote = _remote_config_service(self)
        self.remote = remote
        self.fleet.attach(remote)
        self.apply_config(remote.start())

    def _open_outbox(self) -> None:
        from kiosk.offline_queue.outbox import Outbox

        outbox = Outbox.open(
            self.settings.kiosk.data_dir, key_file=self.settings.outbox.key_file, bounds=self._outbox_bounds()
        )
        outbox.events.subscribe(self._on_outbox_event)
        self.outbox = outbox

    def _keep_catalogue(self) -> None:
        self.visit.catalogue.current()

    def _start_forwarder(self) -> None:
        if self.outbox is None:  # its failure is already listed as the outbox's
            return
        from kiosk.offline_queue.backoff import RetryPolicy
        from kiosk.offline_queue.forwarder import Forwarder

        forwarder = Forwarder(
            self.outbox, self.central, retry=RetryPolicy(cap_s=self.settings.outbox.retry_cap_s)
        )
        forwarder.start()
        self.forwarder = forwarder

    def set_voice_volume(self, volume: int) -> None:
        """Maintenance mode's volume: heard at once, kept for the next start. On a worker (disk)."""
        self.voice.set_volume(volume)
        self.voice_volume.save(self.voice.volume)

    def end_visit(self) -> None:
        """On the UI thread, when a citizen's visit ends. Everything of the citizen is forgotten before this
        returns, so the next citizen's visit, which may begin right after, is never touched by this one's
        end; only the centre's clean-up (closing the session, with its token taken now) and a configuration
        deferred during the visit go to a worker."""
        self.voice.end_visit()
        token = self.visit.end()
        if token is not None:
            self.cleanup.submit(self.citizen.close_session, token)
        remote = self.remote
        if remote is not None:
            self.cleanup.submit(remote.session_ended)

    def stop(self, deadline_s: float = STOP_DEADLINE_S) -> Future[StopReport]:
        """Stop every part on a thread of its own, in reverse start order, within `deadline_s` in all;
        returns at once. Called again, it returns the same stop. The thread is not a daemon: the process
        exits once the stop has finished, never half-way through it."""
        from kiosk.services.shutdown import stop_in_order

        with self._lifecycle:
            if self._stopping is not None:
                return self._stopping
            self._closed.set()
            starting = self._start_done
            stopping: Future[StopReport] = Future()
            self._stopping = stopping

        def run() -> None:
            report = stop_in_order(self._stop_steps(starting), deadline_s)
            log.info(
                "stopped in %.1f s%s",
                report.seconds,
                ""
                if report.clean
                else f"; not cleanly: {report.failed + report.overran + report.left_alone}",
            )
            stopping.set_result(report)

        threading.Thread(target=run, name="kiosk-stop").start()
        return stopping

    def _stop_steps(self, starting: threading.Event | None) -> list[StopStep]:
        from kiosk.services.shutdown import StopStep

        # Read the parts only once the start has finished: it may still be making them.
        def wait_for_start(left: float) -> None:
            if starting is not None and not starting.wait(left):
                raise TimeoutError("the parts were still starting")

        def stop_fleet(_left: float) -> None:
            self.fleet.stop()

        def stop_forwarder(left: float) -> None:
            if self.forwarder is not None:
                self.forwarder.stop(timeout_s=left)

        def flush_feedback(left: float) -> None:
            if not self.visit.flush_feedback(left):
                raise TimeoutError("touchpoints were still being written")
            if not self.maintenance.audit.flush(max(0.0, left - 0.1)):
                raise TimeoutError("staff audit events were still being written")

        def close_outbox(_left: float) -> None:
            if self.outbox is not None:
                self.outbox.close()

        def close_printer(left: float) -> None:
            if self.printing is not None:
                self.printing.printer.close().result(left)

        def close_bankcard(left: float) -> None:
            if self.payee_cards is not None:
                self.payee_cards.reader.close().result(left)

        def close_idcard(left: float) -> None:
            self.idcard.reader.close().result(left)

        def stop_voice(_left: float) -> None:
            self.voice.close()

        def stop_workers(_left: float) -> None:
            self.background.shutdown()
            self.cleanup.shutdown()

        def close_central(_left: float) -> None:
            self.central.close()

        # Each part's share keeps one that hangs from taking the time of the parts after it. The fleet
        # agent's is the largest: it may be finishing a configuration apply and its health check.
        return [
            StopStep("start", wait_for_start, most_s=3),
            StopStep("fleet", stop_fleet, needs=("start",), most_s=4),
            StopStep("forwarder", stop_forwarder, needs=("start",), most_s=3),
            StopStep("feedback", flush_feedback, needs=("start",), most_s=1),
            StopStep("outbox", close_outbox, needs=("forwarder", "feedback"), most_s=1),
            StopStep("bankcard", close_bankcard, needs=("start",), most_s=1),
            StopStep("printer", close_printer, needs=("start",), most_s=2),
            StopStep("idcard", close_idcard, needs=("start",), most_s=1),
            StopStep("voice", stop_voice, most_s=0.5),
            StopStep("workers", stop_workers, most_s=0.5),
            StopStep("central", close_central, needs=("fleet", "forwarder"), most_s=0.5),
        ]


def _remote_config_service(runtime: Runtime) -> RemoteConfigService:
    from kiosk.remote_config.bundle import load_trusted_keys
    from kiosk.remote_config.store import ConfigStore
    from kiosk.services.remote_config import RemoteConfigService

    settings = runtime.settings
    return RemoteConfigService(
        ConfigStore(settings.kiosk.data_dir / "remote"),
        trusted_keys=load_trusted_keys(settings.remote.operator_keys),
        kiosk_id=settings.kiosk.id,
        group=settings.remote.group,
        apply_live=runtime.apply_config,
        health_check=runtime.health.check,
        report=runtime.fleet.report,
        session_active=runtime.visit_active.is_set,
    )


def build_central_client(settings: Settings) -> CentralClient:
    central = settings.central
    cert = (str(central.client_cert), str(central.client_key)) if central.client_cert else None
    return CentralClient(
        central.base_url,
        terminal_id=settings.kiosk.id,
        centre_id=settings.kiosk.centre_id,
        secret=central.secret(),
        sequence=SequenceCounter(settings.kiosk.data_dir / "sequence"),
        timeout_s=central.timeout_s,
        verify=str(central.ca_file) if central.ca_file else True,
        cert=cert,
    )


def build_runtime(
    settings: Settings,
    *,
    card_placer: CardPlacer | None = None,
    last_receipt: Callable[[], Path | None] | None = None,
    bank_card_slot: BankCardSlot | None = None,
    demo_centre: CentreSwitch | None = None,
) -> Runtime:
    """`card_placer` (the demo's emulated reader) turns on the demo's staff controls; `last_receipt` shows
    them what the demo's virtual printer printed; `bank_card_slot` is where they put bank cards (by default
    the in-process reader's, for `devices.bankcard = "sim://"`); `demo_centre` lets them stop and start
    the demo's centre."""
    settings.kiosk.data_dir.mkdir(parents=True, exist_ok=True)
    central = build_central_client(settings)
    stats_dir = settings.kiosk.data_dir / "devices"
    idcard = IdCardService(
        open_device_as(IdCardReader, "idcard", settings.devices.idcard, do_not_open=True, stats_dir=stats_dir)
    )
    demo = None
    if card_placer is not None:
        from kiosk.services.demo import DemoService, InProcessSlot

        demo = DemoService(
            central,
            card_placer,
            last_receipt or (lambda: None),
            bank_card_slot or InProcessSlot(lambda: runtime.payee_cards),
            centre=demo_centre,
            outbox=lambda: runtime.outbox,
        )
    policy = KioskPolicy(settings)
    fleet = FleetAgent(
        FleetApi(central),
        None,
        poll_interval_s=settings.remote.poll_interval_s,
        heartbeat_interval_s=lambda: policy.heartbeat_interval_s,
        status=lambda: runtime.status(),
    )
    runtime = Runtime(
        settings=settings,
        translator=Translator(settings.kiosk.locale),
        fonts=find_ui_fonts(settings.display.font, settings.kiosk.data_dir / "fonts"),
        central=central,
        idcard=idcard,
        background=Background(),
        policy=policy,
        # The heartbeat is the health check's probe: authenticated with the token in use, and it tells the
        # centre the new configuration version at once.
        health=KioskHealth(fleet.send_heartbeat, lambda: runtime.devices),
        fleet=fleet,
        demo=demo,
    )
    runtime.visit = VisitFlow(
        central, runtime, settings.kiosk.id, settings.kiosk.data_dir, lambda: datetime.now(CENTRE_TIME)
    )
    runtime.maintenance = _maintenance_service(runtime)
    runtime.staff_calls = HelpService(central, lambda: datetime.now(CENTRE_TIME))
    runtime.voice_volume = VolumeStore(
        voice_cache_dir(settings.kiosk.data_dir) / "volume", settings.voice.volume
    )
    runtime.voice = VoiceGuide(
        EspeakEngine(voice_cache_dir(settings.kiosk.data_dir)),
        AplayPlayer(device=settings.voice.device),
        volume=runtime.voice_volume.load(),
        enabled=False,
        headset_probe=AlsaHeadsetProbe(),
    )
    service_state = runtime.maintenance.service_state
    runtime.visit.in_service = lambda: service_state.in_service
    return runtime


def _maintenance_service(runtime: Runtime) -> MaintenanceService:
    from kiosk.services.device_tests import DeviceTests
    from kiosk.services.maintenance import MaintenanceService
    from kiosk.services.maintenance_status import take_snapshot
    from kiosk.services.service_state import ServiceState
    from kiosk.services.staff import LOCKOUT_FILE, Lockout, RosterCache, StaffService
    from kiosk.services.staff_audit import StaffAudit

    settings = runtime.settings
    data_dir, staff = settings.kiosk.data_dir, settings.maintenance

    def now() -> datetime:
        return datetime.now(CENTRE_TIME)

    # Audit events go on a lane of their own, like touchpoints: never behind a slow centre call.
    audit = StaffAudit(lambda: runtime.outbox, now, Background(workers=1, name="kiosk-audit"))
    roster = RosterCache(runtime.central, data_dir)
    runtime.fleet.pollers.append(roster.refresh)
    lockout = Lockout(
        data_dir / LOCKOUT_FILE,
        failures_before_wait=staff.lockout_failures,
        first_wait_s=staff.lockout_first_wait_s,
        max_wait_s=staff.lockout_max_wait_s,
    )

    def printed(outcome: PrintOutcome) -> None:
        paper = runtime.maintenance.paper
        if paper is not None:
            paper.job_printed(outcome)

    return MaintenanceService(
        StaffService(roster, lockout, audit, idle_s=staff.session_idle_s, now=now),
        audit,
        ServiceState(data_dir),
        DeviceTests(lambda: runtime.devices, runtime.receipt_branding, printed),
        data_dir=data_dir,
        outbox=lambda: runtime.outbox,
        snapshot=lambda: take_snapshot(runtime),
        stop=runtime.stop,
        now=now,
    )
