"""The PC/SC bank card reader (``pcsc://``), through pyscard and pcscd.

A module of its own so that only this driver needs pyscard: the registry imports it when a ``pcsc`` URL
is configured, and a missing pyscard fails this device alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Self

from kiosk.devices.bankcard.channel import Channel
from kiosk.devices.bankcard.errors import BankCardRemoved, ReaderGone
from kiosk.devices.bankcard.pcsc import PcscChannel, PcscError, PcscService
from kiosk.devices.bankcard.reader import BankCardReader, aids_param
from kiosk.devices.bankcard.selection import UNIONPAY_AIDS
from kiosk.devices.base import CommandContext, DeviceConfigError, DeviceState, HealthReport

if TYPE_CHECKING:
    from kiosk.devices.registry import DeviceUrl


class PcscBankCardReader(BankCardReader):
    """``pcsc://?reader=<substring>&poll_ms=250&apdu_timeout_ms=3000&aids=<hex>,<hex>``

    Uses the first PC/SC reader whose name contains ``reader`` (any reader when it is not given), and
    follows readers as they come and go and pcscd as it restarts.
    """

    def __init__(
        self,
        url: str,
        reader: str = "",
        *,
        poll_interval: float = 0.25,
        apdu_timeout: float = 3.0,
        aids: Sequence[bytes] = UNIONPAY_AIDS,
    ) -> None:
        super().__init__(url, poll_interval=poll_interval, aids=aids)
        self._apdu_timeout = apdu_timeout
        self._wanted = reader
        self._service: PcscService | None = None
        self._reader: str | None = None

    @classmethod
    def from_url(cls, url: DeviceUrl) -> Self:
        if url.host or url.path not in ("", "/"):
            raise DeviceConfigError(f"{url}: a pcsc URL has parameters only, e.g. pcsc://?reader=ACS")
        return cls(
            str(url),
            url.text_param("reader", ""),
            poll_interval=url.int_param("poll_ms", 250, minimum=10, maximum=60_000) / 1000,
            apdu_timeout=url.int_param("apdu_timeout_ms", 3000, minimum=100, maximum=120_000) / 1000,
            aids=aids_param(url),
        )

    def _on_open(self, ctx: CommandContext) -> None:
        self._service = PcscService()
        self._card_present = False
        self._card_in_reader(ctx)

    def _on_close(self) -> None:
        if self._service is not None:
            self._service.disconnect()

    def _check_external(self, ctx: CommandContext) -> HealthReport:
        present = self._present_now(ctx)
        if self._reader is None:
            return HealthReport(False, self._internal_health().text)
        return HealthReport(True, f"{self.name}: reader {self._reader!r}, card {'in' if present else 'out'}")

    def _find_reader(self) -> str | None:
        assert self._service is not None
        return next((name for name in self._service.readers() if self._wanted in name), None)

    def _card_in_reader(self, ctx: CommandContext) -> bool:
        service = self._service
        assert service is not None
        try:
            if not service.connected:
                self._count(reopen_attempts=1)
            if self._reader is None or self._reader not in service.readers():
                self._reader = self._find_reader()
            if self._reader is None:
                wanted = f"matching {self._wanted!r}" if self._wanted else "at all"
                self._set_state(DeviceState.NO_DEVICE, f"no PC/SC reader {wanted}")
                return False
            present = service.card_present(self._reader)
        except PcscError as exc:
            self._reader = None
            if exc.service_gone:
                self._set_state(DeviceState.OFFLINE, "PC/SC service (pcscd) not available")
            else:
                self._reader_lost(str(exc))
            return False
        if self.state is not DeviceState.IDLE:
            self._set_state(DeviceState.IDLE, f"reader {self._reader!r}")
        return present

    def _open_channel(self, ctx: CommandContext) -> Channel:
        if not self._present_now(ctx):
            if self._reader is None:
                raise ReaderGone(f"no reader ({self._internal_health().text})")
            raise BankCardRemoved("no card in the reader")
        assert self._reader is not None
        return PcscChannel(self._reader, self._apdu_timeout, ctx)
