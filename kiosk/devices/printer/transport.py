"""The byte pipes to a printer, built on python-escpos's printer classes (Network, Serial, Usb, File).

python-escpos owns opening, writing and closing. Reading is done here because its ``_read()`` blocks
for the class's whole I/O timeout (60 s on a socket), reads up to 16 bytes where answers are one byte
each (two answers in flight would be merged), and raises NotImplementedError on File. Every read here
has its own deadline and returns ``b""`` when nothing came: *unknown*, never "OK".
"""

from __future__ import annotations

import abc
import contextlib
import errno
import select
import socket
from typing import Any, NoReturn

from escpos.exceptions import DeviceNotFoundError

from kiosk.devices.errors import DeviceError


class TransportGone(DeviceError):
    """The printer cannot be reached at all (refused, unplugged, no such device)."""


class Transport(abc.ABC):
    can_read = True  # False: the pipe is write-only and no status can ever be known

    @abc.abstractmethod
    def open(self) -> None:
        """Connect; raises TransportGone."""

    @abc.abstractmethod
    def write(self, data: bytes) -> None:
        """Send bytes; raises TransportGone when the pipe breaks."""

    @abc.abstractmethod
    def read(self, timeout: float) -> bytes:
        """One byte from the printer, or ``b""`` when none came within ``timeout``."""

    @abc.abstractmethod
    def drain_input(self) -> None:
        """Drop whatever the printer sent that nobody read (late or unsolicited answers)."""

    @abc.abstractmethod
    def close(self) -> None:
        """Release the pipe; never raises."""

    @property
    @abc.abstractmethod
    def label(self) -> str:
        """Where it goes, for messages."""


class EscposTransport(Transport):
    """Common open/write/close over a python-escpos printer object."""

    def __init__(self, printer: Any) -> None:
        self._printer = printer
        self._open = False

    def open(self) -> None:
        try:
            self._printer.open()
        except (DeviceNotFoundError, OSError) as exc:
            raise TransportGone(f"{self.label}: {_why(exc)}") from None
        self._open = True

    def write(self, data: bytes) -> None:
        if not self._open:
            raise TransportGone(f"{self.label}: not connected")
        try:
            self._printer._raw(data)
        except OSError as exc:
            self._broken(exc)

    def _broken(self, exc: BaseException) -> NoReturn:
        self.close()
        raise TransportGone(f"{self.label}: {_why(exc)}") from None

    def close(self) -> None:
        if self._open:
            self._open = False
            with contextlib.suppress(Exception):  # closing a broken pipe may fail; it is closed either way
                self._printer.close()


class TcpTransport(EscposTransport):
    def __init__(self, host: str, port: int, connect_timeout: float) -> None:
        from escpos.printer import Network

        super().__init__(Network(host, port, timeout=connect_timeout))
        self._where = f"{host}:{port}"

    @property
    def label(self) -> str:
        return self._where

    def open(self) -> None:
        super().open()
        # Without this, Nagle holds the 3-byte status query after a job until the job's last segment is
        # acknowledged, which a delayed ACK makes 40 ms: every print would wait for nothing.
        self._printer.device.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def read(self, timeout: float) -> bytes:
        sock: socket.socket = self._printer.device
        try:
            if not select.select([sock], [], [], timeout)[0]:
                return b""
            data = sock.recv(1)
        except OSError as exc:
            self._broken(exc)
        if not data:
            self._broken(ConnectionResetError(errno.ECONNRESET, "the printer closed the connection"))
        return data

    def drain_input(self) -> None:
        while self.read(0):
            pass


class SerialTransport(EscposTransport):
    def __init__(self, path: str, baud: int) -> None:
        from escpos.printer import Serial

        super().__init__(Serial(devfile=path, baudrate=baud, timeout=1))
        self._path = path

    @property
    def label(self) -> str:
        return self._path

    def read(self, timeout: float) -> bytes:
        port = self._printer.device
        try:
            port.timeout = timeout
            return bytes(port.read(1))
        except OSError as exc:
            self._broken(exc)

    def drain_input(self) -> None:
        try:
            self._printer.device.reset_input_buffer()
        except OSError as exc:
            self._broken(exc)


class UsbTransport(EscposTransport):
    def __init__(self, vendor: int, product: int) -> None:
        from escpos.printer import Usb

        super().__init__(Usb(vendor, product, timeout=5000))
        self._ids = f"USB {vendor:04x}:{product:04x}"
        self._pending = bytearray()  # a bulk read may bring several answers at once

    @property
    def label(self) -> str:
        return self._ids

    def read(self, timeout: float) -> bytes:
        import usb.core

        if not self._pending:
            printer = self._printer
            try:
                self._pending += bytes(printer.device.read(printer.in_ep, 64, max(1, int(timeout * 1000))))
            except usb.core.USBTimeoutError:
                return b""
            except usb.core.USBError as exc:
                self._broken(exc)
        answer = bytes(self._pending[:1])
        del self._pending[:1]
        return answer

    def drain_input(self) -> None:
        self._pending.clear()
        while self.read(0.001):
            self._pending.clear()


class FileTransport(EscposTransport):
    """A character device such as /dev/usb/lp0, written only: python-escpos's File cannot read."""

    can_read = False

    def __init__(self, path: str) -> None:
        from escpos.printer import File

        super().__init__(File(devfile=path))
        self._path = path

    @property
    def label(self) -> str:
        return self._path

    def read(self, timeout: float) -> bytes:
        return b""

    def drain_input(self) -> None:
        """Nothing can arrive."""


def _why(exc: BaseException) -> str:
    if not isinstance(exc, OSError) and isinstance(exc.__context__, OSError):
        exc = exc.__context__  # python-escpos wraps the OSError that says what happened
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
