"""``sim://[name]?width=58&paper=...``: a printer in process, backed by a ``VirtualPrinter`` without TCP.

The bytes, the DLE EOT answers and the paper states are the same as over TCP; the demo shows
``device.virtual.jobs[-1]`` (its text and PNG) as "what was printed".
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Self

from kiosk.devices.base import DeviceConfigError
from kiosk.devices.printer.driver import EscposPrinter, PrinterProfile, profile_from_url
from kiosk.devices.printer.status import Paper
from kiosk.devices.printer.transport import Transport
from kiosk.devices.printer.virtual import VirtualPrinter

if TYPE_CHECKING:
    from kiosk.devices.registry import DeviceUrl


class LoopbackTransport(Transport):
    def __init__(self, printer: VirtualPrinter) -> None:
        self.printer = printer
        self._answers = bytearray()

    @property
    def label(self) -> str:
        return "virtual printer"

    def open(self) -> None:
        """Always there."""

    def write(self, data: bytes) -> None:
        self._answers += self.printer.feed(data)

    def read(self, timeout: float) -> bytes:
        answer = bytes(self._answers[:1])  # the printer answers at once, so waiting would bring nothing
        del self._answers[:1]
        return answer

    def drain_input(self) -> None:
        self._answers.clear()

    def close(self) -> None:
        """Nothing to release."""


class SimPrinter(EscposPrinter):
    def __init__(self, url: str, printer: VirtualPrinter, profile: PrinterProfile) -> None:
        super().__init__(url, LoopbackTransport(printer), profile)
        self.virtual = printer

    @classmethod
    def from_url(cls, url: DeviceUrl) -> Self:
        if url.path not in ("", "/"):
            raise DeviceConfigError(f"{url}: a sim URL has a name at most, e.g. sim://printer")
        profile = profile_from_url(url)
        near_end = url.bool_param("near_end", False)
        out = url.bool_param("paper_out", False)
        paper = Paper.OUT if out else Paper.NEAR_END if near_end else Paper.OK
        paper_mm = 80 if profile.columns == 48 else 58
        return cls(str(url), VirtualPrinter(paper_mm=paper_mm, paper=paper), profile)
