"""Builds the running kiosk from its settings: the one place that knows every concrete class.

Two steps: `build_runtime()` makes what the first frame needs (settings, fonts, translations, the ID card
reader, the central client); `start_background_services()`, on a worker once the attract screen is up,
makes and starts the rest (outbox and forwarder, printer, remote configuration, fleet agent). SQLAlchemy,
python-escpos and cryptography are imported there, not while the kiosk starts.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kiosk import __version__
from kiosk.central import CentralClient
from kiosk.central.fleet import FleetApi
from kiosk.central.sequence import SequenceCounter
from kiosk.devices.base import Device
from kiosk.devices.registry import open_device
from kiosk.fonts import UiFonts, find_ui_fonts
from kiosk.i18n import Translator
from kiosk.services.background import Background
from kiosk.services.citizen import CitizenService
from kiosk.services.demo import DemoService
from kiosk.services.fleet import FleetAgent
from kiosk.services.health import KioskHealth
from kiosk.services.idcard import IdCardService
from kiosk.services.policy import KioskPolicy
from kiosk.settings import Settings

if TYPE_CHECKING:
    from kiosk.offline_queue.bounds import BoundsPolicy
    from kiosk.offline_queue.events import OutboxEvent
    from kiosk.offline_queue.forwarder import Forwarder
    from kiosk.offline_queue.outbox import Outbox
    from kiosk.receipts.data import ReceiptBranding
    from kiosk.remote_config.schema import RemoteConfig
    from kiosk.services.printing import PrintService
    from kiosk.services.remote_config import RemoteConfigService


@dataclass
class Runtime:
    settings: Settings
    translator: Translator
    fonts: UiFonts
    central: CentralClient
    citizen: CitizenService
    idcard: IdCardService
    background: Background
    policy: KioskPolicy
    health: KioskHealth
    fleet: FleetAgent
    demo: DemoService | None = None
    # Made by start_background_services():
    remote: RemoteConfigService | None = None
    printing: PrintService | None = None
    outbox: Outbox | None = None
    forwarder: Forwarder | None = None
    connectivity: str = "online"  # from the outbox forwarder: online | degraded | offline
    # Set while a citizen is being served: configuration changes wait until it clears.
    visit_active: threading.Event = field(default_factory=threading.Event)
    started_at: float = field(default_factory=time.monotonic)
    # Called (on a worker) after a configuration takes effect; the UI registers one to redraw.
    config_listeners: list[Callable[[RemoteConfig | None], None]] = field(default_factory=list)
    # Called (on the forwarder's thread) with "online", "degraded" or "offline" when that changes.
    connectivity_listeners: list[Callable[[str], None]] = field(default_factory=list)
    _closed: threading.Event = field(default_factory=threading.Event)

    @property
    def printer_configured(self) -> bool:
        return self.settings.devices.printer is not None

    @property
    def devices(self) -> dict[str, Device]:
        devices: dict[str, Device] = {"idcard": self.idcard.reader}
        if self.printing is not None:
            devices["printer"] = self.printing.printer
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
        """On a worker, after the first frame: make and start everything the first frame did not need."""
        from kiosk.offline_queue.forwarder import Forwarder
        from kiosk.offline_queue.outbox import Outbox

        settings = self.settings
        self.idcard.start()
        if settings.devices.printer:
            from kiosk.services.printing import PrintService

            printer = open_device(
                "printer", settings.devices.printer, stats_dir=settings.kiosk.data_dir / "devices"
            )
            self.printing = PrintService(printer, self.citizen, self.receipt_branding)  # type: ignore[arg-type]
        if settings.remote.operator_keys:
            self.remote = _remote_config_service(self)
            self.fleet.attach(self.remote)
            self.apply_config(self.remote.start())
        # After the configuration: the outbox takes its bounds from it, and only when it opens.
        self.outbox = Outbox.open(settings.kiosk.data_dir, bounds=self._outbox_bounds())
        self.outbox.events.subscribe(self._on_outbox_event)
        self.forwarder = Forwarder(self.outbox, self.central)
        if self._closed.is_set():  # the app stopped while this was starting: start nothing more
            return
        self.forwarder.start()
        self.fleet.start()

    def visit_ended(self) -> None:
        """On a worker, after a citizen's visit: a deferred configuration is applied now."""
        self.visit_active.clear()
        if self.remote is not None:
            self.remote.session_ended()

    def close(self) -> None:
        self._closed.set()
        self.fleet.stop()
        if self.forwarder is not None:
            self.forwarder.stop()
        if self.outbox is not None:
            self.outbox.close()
        self.idcard.close()
        if self.printing is not None:
            self.printing.printer.close()
        self.background.shutdown()
        self.central.close()


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
    card_placer: object | None = None,
    last_receipt: Callable[[], Path | None] | None = None,
) -> Runtime:
    """`card_placer` (the demo's emulated reader) turns on the demo's staff controls; `last_receipt` shows
    them what the demo's virtual printer printed."""
    settings.kiosk.data_dir.mkdir(parents=True, exist_ok=True)
    central = build_central_client(settings)
    stats_dir = settings.kiosk.data_dir / "devices"
    idcard = IdCardService(
        open_device("idcard", settings.devices.idcard, do_not_open=True, stats_dir=stats_dir)
    )
    demo = None
    if card_placer is not None:
        demo = DemoService(central, card_placer, last_receipt or (lambda: None))  # type: ignore[arg-type]
    policy = KioskPolicy(settings)
    runtime = Runtime(
        settings=settings,
        translator=Translator(settings.kiosk.locale),
        fonts=find_ui_fonts(settings.display.font, settings.kiosk.data_dir / "fonts"),
        central=central,
        citizen=CitizenService(central),
        idcard=idcard,
        background=Background(),
        policy=policy,
        health=KioskHealth(central, lambda: runtime.devices),
        fleet=FleetAgent(
            FleetApi(central),
            None,
            group=settings.remote.group,
            poll_interval_s=settings.remote.poll_interval_s,
            heartbeat_interval_s=lambda: policy.heartbeat_interval_s,
            status=lambda: runtime.status(),
        ),
        demo=demo,
    )
    return runtime
