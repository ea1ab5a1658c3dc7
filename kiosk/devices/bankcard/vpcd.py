"""A virtual card in vsmartcard's virtual reader (vpcd), over TCP: the real PC/SC stack sees a card.

vpcd, loaded by pcscd, listens on TCP (35963 by default) and treats the one client connected to it as the
card in its slot. Each message is a 2-byte big-endian length and a payload: a 1-byte payload is a
control code (00 power off, 01 on, 02 reset, 04 "send your ATR"), anything else a command APDU that the
card answers with a response APDU. Connecting is inserting the card; closing the socket is removing it.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import struct
import threading
import time

from kiosk.devices.bankcard.virtual_card import VirtualCard

log = logging.getLogger(__name__)

VPCD_PORT = 35963
_POWER_OFF, _POWER_ON, _RESET, _ATR = 0x00, 0x01, 0x02, 0x04
# vpcd writes a message's length and its payload separately; with Nagle on its side and delayed ACKs on
# ours every command waits ~40 ms for the payload. Linux resets quick-ACK mode after each read.
_QUICKACK: int | None = getattr(socket, "TCP_QUICKACK", None)


class VpcdCard:
    """Holds one ``VirtualCard`` in vpcd's slot; ``insert``/``remove`` as often as a test wants."""

    def __init__(self, card: VirtualCard, host: str = "127.0.0.1", port: int = VPCD_PORT) -> None:
        self.card = card
        self.host = host
        self.port = port
        self._lock = threading.Lock()
        self._sock: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._mute = threading.Event()
        self._pull_at: int | None = None
        self.commands = 0  # C-APDUs answered, for tests

    def __enter__(self) -> VpcdCard:
        return self

    def __exit__(self, *exc: object) -> None:
        self.remove()

    @property
    def inserted(self) -> bool:
        with self._lock:
            return self._sock is not None

    def set_mute(self, mute: bool) -> None:
        """A mute card takes each command and never answers (vpcd then waits; the reader must not)."""
        if mute:
            self._mute.set()
        else:
            self._mute.clear()

    def pull_after(self, commands: int | None) -> None:
        """Leave the reader when the next read has had ``commands`` answers: a card pulled mid-read."""
        self._pull_at = None if commands is None else self.commands + commands

    def insert(self, timeout: float = 5.0) -> None:
        """Connect to vpcd, retrying while it is not listening yet (pcscd still starting)."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                sock = socket.create_connection((self.host, self.port), timeout=1.0)
                break
            except OSError:
                if time.monotonic() >= deadline:
                    raise
                time.sleep(0.05)
        sock.settimeout(None)
        # Each answer is one small write: without this, Nagle and delayed ACKs add ~40 ms per command.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with self._lock:
            if self._sock is not None:
                sock.close()
                raise RuntimeError("a card is already inserted")
            self._sock = sock
            self._thread = threading.Thread(target=self._serve, args=(sock,), name="vpcd card", daemon=True)
            self._thread.start()

    def remove(self) -> None:
        with self._lock:
            sock, self._sock = self._sock, None
            thread, self._thread = self._thread, None
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=5)

    def serve_forever(self, stop: threading.Event) -> None:
        """Keep the card inserted until ``stop``; put it back whenever vpcd drops it (pcscd restarts)."""
        while not stop.is_set():
            if not self.inserted:
                try:
                    self.insert(timeout=1.0)
                except OSError:
                    continue
            stop.wait(0.2)
        self.remove()

    def _serve(self, sock: socket.socket) -> None:
        try:
            while True:
                message = _receive(sock)
                if message is None or (len(message) > 1 and self.commands == self._pull_at):
                    self._pull_at = None
                    break
                answer = self._handle(message)
                if answer is not None:
                    sock.sendall(struct.pack(">H", len(answer)) + answer)
        except OSError:
            pass  # removed, or vpcd went away with pcscd
        with self._lock:
            if self._sock is sock:
                self._sock = None
                sock.close()

    def _handle(self, message: bytes) -> bytes | None:
        if len(message) == 1:
            if message[0] == _ATR:
                return self.card.atr
            if message[0] in (_POWER_ON, _RESET, _POWER_OFF):
                self.card.reset()
            return None
        if self._mute.is_set():
            return None
        self.commands += 1
        return self.card.respond(message)


def _receive(sock: socket.socket) -> bytes | None:
    header = _receive_exactly(sock, 2)
    if header is None:
        return None
    return _receive_exactly(sock, struct.unpack(">H", header)[0])


def _receive_exactly(sock: socket.socket, size: int) -> bytes | None:
    data = bytearray()
    while len(data) < size:
        if _QUICKACK is not None:
            sock.setsockopt(socket.IPPROTO_TCP, _QUICKACK, 1)
        chunk = sock.recv(size - len(data))
        if not chunk:
            return None
        data += chunk
    return bytes(data)
