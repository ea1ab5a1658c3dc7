"""The network between a kiosk and its centre, as a TCP relay on loopback that a test cuts, restores and
points elsewhere (straight at the centre, or through the chaos proxy).

Cut, it resets every connection it carries and every new one at once: the kiosk sees a centre it cannot
reach, as when the hall's line is down. It knows nothing of HTTP; what it carries is the kiosk's own bytes.
"""

from __future__ import annotations

import contextlib
import select
import socket
import struct
import threading
from types import TracebackType
from urllib.parse import urlsplit

_CONNECT_TIMEOUT_S = 5.0
# How soon a cut or a new route reaches the connections already open.
_TICK_S = 0.05


def _address(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    if parts.hostname is None or parts.port is None:
        raise ValueError(f"{url!r} is not an http://host:port URL")
    return parts.hostname, parts.port


def _reset(sock: socket.socket) -> None:
    # SO_LINGER with a zero timeout makes close() send a TCP reset instead of a FIN.
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


class Link:
    def __init__(self, upstream_url: str) -> None:
        self._lock = threading.Lock()
        self._upstream = _address(upstream_url)
        self._up = True
        # Bumped by a cut or a new route: a connection of an older generation is reset.
        self._generation = 0
        self._carriers: set[threading.Thread] = set()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}"
        threading.Thread(target=self._accept, name="e2e-link", daemon=True).start()

    def __enter__(self) -> Link:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def cut(self) -> None:
        """Reset every connection now and refuse new ones until `restore()`."""
        with self._lock:
            self._up = False
        self._end_open_connections()

    def restore(self) -> None:
        with self._lock:
            self._up = True

    def route_to(self, url: str) -> None:
        """Carry new connections to `url`; the open ones (kept alive to the old far end) are reset."""
        with self._lock:
            self._upstream = _address(url)
        self._end_open_connections()

    def close(self) -> None:
        self.cut()
        self._listener.close()

    def _end_open_connections(self) -> None:
        with self._lock:
            self._generation += 1
            carriers = list(self._carriers)
        # Returns once they are gone, so the kiosk's next request cannot take one of them.
        for carrier in carriers:
            carrier.join(timeout=2)

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return  # closed
            with self._lock:
                if not self._up:
                    _reset(client)
                    continue
                carrier = threading.Thread(
                    target=self._carry, args=(client, self._upstream, self._generation), daemon=True
                )
                self._carriers.add(carrier)
                carrier.start()  # under the lock: a cut never joins a thread not yet started

    def _carry(self, client: socket.socket, upstream: tuple[str, int], generation: int) -> None:
        try:
            try:
                server = socket.create_connection(upstream, timeout=_CONNECT_TIMEOUT_S)
            except OSError:
                _reset(client)
                return
            self._relay(client, server, generation)
        finally:
            with self._lock:
                self._carriers.discard(threading.current_thread())

    def _relay(self, client: socket.socket, server: socket.socket, generation: int) -> None:
        other = {client: server, server: client}
        while self._generation == generation:
            readable, _, _ = select.select(list(other), [], [], _TICK_S)
            for sock in readable:
                try:
                    data = sock.recv(65536)
                    if data:
                        other[sock].sendall(data)
                        continue
                except OSError:
                    # One end reset (the chaos proxy does): the other end sees a reset too.
                    _reset(client)
                    _reset(server)
                    return
                # One end closed: so does the other, once what came before is passed on.
                client.close()
                server.close()
                return
        _reset(client)
        _reset(server)
