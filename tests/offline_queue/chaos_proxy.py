"""A fault-injecting HTTP proxy on loopback, between the kiosk and the central.

Each request suffers one fate, drawn at random by weight: passed on; delayed; delayed beyond the client's
time-out and then passed on all the same (the central may commit after the kiosk gave up: a resend of what
was applied); dropped or reset before the central sees it; answered 500 by the proxy; or passed to the
central, which commits, and then the answer is lost (the connection is reset). One request per connection
keeps the bookkeeping exact.

While the network is cut (`cut()` until `restore()`) every request is black-holed instead: no answer until
the client gives up, as over a WAN link whose packets are dropped. A central that is down (restarting) is
passed on as a reset. The proxy also notes when the central first answered each item accepted or duplicate,
to the millisecond: the moment the kiosk's transaction was known applied (`applied_at`).
"""

from __future__ import annotations

import contextlib
import http.client
import json
import random
import socket
import struct
import threading
import time
from collections import Counter
from types import TracebackType

FATES = ("pass", "delay", "timeout", "drop", "reset", "error500", "lost")
# Not drawn: what befell requests while the network was cut, or while the central was down; and how many
# "timeout" requests the central answered with items applied after the kiosk had given up on them.
OUTAGE, CENTRE_DOWN, LATE_APPLIED = "outage", "centre_down", "applied_after_give_up"
_ERROR_BODY = (
    b'{"code":"server_error","message":"injected by the chaos proxy","centre_seq":"C0000000000","data":null}'
)
# How long the proxy holds a black-holed or late request's client at most; far above any kiosk time-out.
_HOLD_S = 120.0
_APPLIED = frozenset({"accepted", "duplicate"})


class ChaosProxy:
    def __init__(
        self,
        upstream: str,
        weights: dict[str, float],
        *,
        seed: int,
        max_delay_s: float = 0.2,
        client_timeout_s: float | None = None,
    ):
        """`client_timeout_s` is the kiosk's CentralClient time-out; the "timeout" fate (which needs it)
        holds a request 0.05-0.5 s longer than that before passing it on."""
        unknown = set(weights) - set(FATES)
        if unknown:
            raise ValueError(f"unknown fates {sorted(unknown)}")
        if weights.get("timeout") and client_timeout_s is None:
            raise ValueError("the timeout fate needs the client's time-out")
        self._upstream = _address(upstream)
        self._fates = list(weights)
        self._weights = [weights[fate] for fate in self._fates]
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        self._max_delay_s = max_delay_s
        self._client_timeout_s = client_timeout_s or 0.0
        self._cut = threading.Event()
        self.counts: Counter[str] = Counter()
        self.applied_at: dict[str, float] = {}
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

    def cut(self) -> None:
        """Black-hole every request from now until `restore()`."""
        self._cut.set()

    def restore(self) -> None:
        self._cut.clear()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _draw(self) -> tuple[str, float]:
        with self._lock:
            fate = self._rng.choices(self._fates, self._weights)[0]
            self.counts[fate] += 1
            if fate == "timeout":
                # Just past the time-out, so the stale request often reaches the central before the resend.
                return fate, self._client_timeout_s + self._rng.uniform(0.05, 0.5)
            return fate, self._rng.uniform(0, self._max_delay_s)

    def _count(self, fate: str) -> None:
        with self._lock:
            self.counts[fate] += 1

    def _serve(self, client: socket.socket) -> None:
        with client:
            request = _read_request(client)
            if request is None:
                return
            if self._cut.is_set():
                self._count(OUTAGE)
                _hold(client)
                return
            method, path, headers, body = request
            fate, delay = self._draw()
            if fate == "drop":
                return
            if fate == "reset":
                _reset(client)
                return
            if fate == "error500":
                _send(client, _response(500, [("Content-Type", "application/json")], _ERROR_BODY))
                return
            if fate in ("delay", "timeout"):
                time.sleep(delay)
            upstream = http.client.HTTPConnection(*self._upstream, timeout=30)
            try:
                upstream.request(method, path, body=body, headers=headers)
                answer = upstream.getresponse()
                status, answer_headers, answer_body = answer.status, answer.getheaders(), answer.read()
            except (OSError, http.client.HTTPException):
                # The central is down or died mid-request: the kiosk sees the connection reset.
                self._count(CENTRE_DOWN)
                _reset(client)
                return
            finally:
                upstream.close()
            if (
                status == 200
                and path == "/v1/intake/batch"
                and self._note_applied(answer_body)
                and fate == "timeout"
            ):
                self._count(LATE_APPLIED)
            if fate == "lost":
                _reset(client)
                return
            kept = [(k, v) for k, v in answer_headers if k.lower() not in ("content-length", "connection")]
            _send(client, _response(status, kept, answer_body))

    def _note_applied(self, answer_body: bytes) -> bool:
        """Notes the items the answer says are applied; whether it applied any for the first time."""
        now = time.time()
        results = json.loads(answer_body)["data"]["results"]
        with self._lock:
            for result in results:
                if result["status"] in _APPLIED:
                    self.applied_at.setdefault(result["idempotency_key"], now)
        return any(result["status"] == "accepted" for result in results)


def _address(url: str) -> tuple[str, int]:
    host, port = url.removeprefix("http://").split(":")
    return host, int(port)


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


def _send(client: socket.socket, data: bytes) -> None:
    # After a "timeout" fate the client has gone; its answer has nowhere to go.
    with contextlib.suppress(OSError):
        client.sendall(data)


def _hold(client: socket.socket) -> None:
    """Answer nothing until the client closes its end (it timed out) or `_HOLD_S` passes."""
    client.settimeout(_HOLD_S)
    try:
        while client.recv(65536):
            pass
    except OSError:
        pass


def _reset(client: socket.socket) -> None:
    # SO_LINGER with a zero timeout turns close() into a TCP reset.
    client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
