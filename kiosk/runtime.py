"""Builds the running kiosk from its settings: the one place that knows every concrete class."""

from __future__ import annotations

from dataclasses import dataclass

from kiosk.central import CentralClient
from kiosk.central.sequence import SequenceCounter
from kiosk.devices.registry import open_device
from kiosk.fonts import UiFonts, find_ui_fonts
from kiosk.i18n import Translator
from kiosk.services.background import Background
from kiosk.services.citizen import CitizenService
from kiosk.services.demo import DemoService
from kiosk.services.idcard import IdCardService
from kiosk.settings import Settings


@dataclass
class Runtime:
    settings: Settings
    translator: Translator
    fonts: UiFonts
    central: CentralClient
    citizen: CitizenService
    idcard: IdCardService
    background: Background
    demo: DemoService | None = None

    def close(self) -> None:
        self.idcard.close()
        self.background.shutdown()
        self.central.close()


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


def build_runtime(settings: Settings, *, card_placer: object | None = None) -> Runtime:
    """`card_placer` (the demo's emulated reader) turns on the demo's staff controls."""
    settings.kiosk.data_dir.mkdir(parents=True, exist_ok=True)
    central = build_central_client(settings)
    idcard = IdCardService(open_device("idcard", settings.devices.idcard, do_not_open=True))
    demo = DemoService(central, card_placer) if card_placer is not None else None
    return Runtime(
        settings=settings,
        translator=Translator(settings.kiosk.locale),
        fonts=find_ui_fonts(settings.display.font, settings.kiosk.data_dir / "fonts"),
        central=central,
        citizen=CitizenService(central),
        idcard=idcard,
        background=Background(),
        demo=demo,
    )
