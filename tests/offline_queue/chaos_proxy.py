"""A fault-injecting HTTP proxy on loopback, between the kiosk and the central.

Each request suffers one fate, drawn at random by weight: passed on; delayed; dropped or reset before the
central sees it; answered 500 by the proxy; or passed to the central, which commits, and then the answer is
lost (the connection is reset). One request per connection keeps the bookkeeping exact.
"""

from __future__ import annotations

import http.client
import random
import socket
import struct
import threading
import time
from collections import Counter
from types import TracebackType

FATES = ("pass", "delay", "drop", "reset", "error500", "lost")
_ERROR_BODY = (
    b'{"code":"server_error","message":"injected by the chaos proxy","centre_seq":"C0000000000","data":null}'
)


class ChaosProxy:
    def __init__(self, upstream: str, weights: dict[str, float], *, seed: int, max_delay_s: float = 0.2):
        host, port = upstream.removeprefix("http://").split(":")
        self._upstream = (host, int(port))
        self._fates = list(weights)
        self._weights = [weights[fate] for fate in self._fates]
        self._rng = random.Random(seed)
        self._rng_lock = threading.Lock()
        self._max_delay_s = max_delay_s
        self.counts: Counter[str] = Counter()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.base_url = f"http://127.0.0.1:{self._listener.getsockname()[1]}"
        self._thread = threading.Thread(target=self._accept, name="chaos-proxy", daemon=True)
        self._thread.start()

    def __enter__(self) -> ChaosProxy:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._listener.close()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _draw(self) -> tuple[str, float]:
        with self._rng_lock:
            fate = self._rng.choices(self._fates, self._weights)[0]
            self.counts[fate] += 1
            return fate, self._rng.uniform(0, self._max_delay_s)

    def _serve(self, client: socket.socket) -> None:
        with client:
            request = _read_request(client)
            if request is None:
                return
            method, path, headers, body = request
            fate, delay = self._draw()
            if fate == "drop":
                return
            if fate == "reset":
                _reset(client)
                return
            if fate == "error500":
                client.sendall(_response(500, [("Content-Type", "application/json")], _ERROR_BODY))
                return
            if fate == "delay":
                time.sleep(delay)
            upstream = http.client.HTTPConnection(*self._upstream, timeout=30)
            try:
                upstream.request(method, path, body=body, headers=headers)
                answer = upstream.getresponse()
                status, answer_headers, answer_body = answer.status, answer.getheaders(), answer.read()
            finally:
                upstream.close()
            if fate == "lost":
                _reset(client)
                return
            kept = [(k, v) for k, v in answer_headers if k.lower() not in ("content-length", "connection")]
            client.sendall(_response(status, kept, answer_body))


def _read_request(client: socket.socket) -> tuple[str, str, dict[str, str], bytes] | None:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = client.recv(65536)
        if not chunk:
            return None
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    method, path, _ = lines[0].split(" ", 2)
    headers = {}
    for line in lines[1:]:
        key, _, value = line.partition(":")
        headers[key.strip()] = value.strip()
    length = int(headers.get("Content-Length", "0"))
    while len(body) < length:
        chunk = client.recv(65536)
        if not chunk:
            return None
        body += chunk
    headers.pop("Connection", None)
    return method, path, headers, body


def _response(status: int, headers: list[tuple[str, str]], body: bytes) -> bytes:
    lines = [f"HTTP/1.1 {status} {http.client.responses.get(status, '')}"]
    lines += [f"{k}: {v}" for k, v in headers]
    lines += [f"Content-Length: {len(body)}", "Connection: close", "", ""]
    return "\r\n".join(lines).encode("latin-1") + body


def _reset(client: socket.socket) -> None:
    # SO_LINGER with a zero timeout turns close() into a TCP reset.
    client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
