"""Oversized request bodies, sent over a real socket to a real server: refused before they are read."""

from __future__ import annotations

import http.client
import json
import select
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests

from central_server.app import create_app
from central_server.limits import MIB, Limits
from central_server.testing import RunningServer, serve_in_thread

from .helpers import TERMINALS, Kiosk

PATH = "/v1/intake/batch"


@pytest.fixture(scope="module")
def server() -> Iterator[RunningServer]:
    with serve_in_thread(create_app(terminals=TERMINALS)) as server:
        yield server


def _rss_bytes() -> int:
    """Resident memory of this process, which is also the server's (it runs on a thread here)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS in /proc/self/status")


def _open(server: RunningServer, **headers: str) -> http.client.HTTPConnection:
    url = urlsplit(server.base_url)
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
    connection.putrequest("POST", PATH)
    for name, value in {"Content-Type": "application/json", **headers}.items():
        connection.putheader(name, value)
    connection.endheaders()
    return connection


def _answer(connection: http.client.HTTPConnection) -> tuple[int, dict[str, Any]]:
    response = connection.getresponse()
    status, body = response.status, json.loads(response.read())
    connection.close()
    return status, body


def _health_answers(server: RunningServer) -> bool:
    return requests.get(server.base_url + "/v1/health", timeout=5).json()["code"] == "ok"


def test_a_declared_length_over_the_limit_is_refused_unread(server: RunningServer) -> None:
    before = _rss_bytes()
    connection = _open(server, **{"Content-Length": str(100 * MIB)})
    connection.send(b"[" * 65536)  # a sliver of the 100 MB; the answer must not wait for the rest
    status, body = _answer(connection)
    assert (status, body["code"], body["data"]) == (413, "payload_too_large", None)
    assert body["message"] == f"request body over {MIB} bytes"
    assert _rss_bytes() - before < 16 * MIB
    assert _health_answers(server)


def test_a_chunked_body_is_refused_once_it_passes_the_limit(server: RunningServer) -> None:
    connection = _open(server, **{"Transfer-Encoding": "chunked"})
    assert connection.sock is not None
    chunk = b" " * 65536
    frame = f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n"
    before = _rss_bytes()
    sent = 0
    # Streams up to 64 MiB, stopping as soon as the server answers.
    while sent < 64 * MIB and not select.select([connection.sock], [], [], 0)[0]:
        connection.sock.sendall(frame)
        sent += len(chunk)
    status, body = _answer(connection)
    assert (status, body["code"]) == (413, "payload_too_large")
    # What the server read plus what the kernel's socket buffers held when it answered.
    assert sent < 16 * MIB
    assert _rss_bytes() - before < 16 * MIB
    assert _health_answers(server)


def test_a_chunked_body_within_the_limit_is_served(server: RunningServer) -> None:
    """Requests that come without a Content-Length still arrive whole."""
    kiosk = Kiosk(server.base_url)
    body = json.dumps({"terminal_id": kiosk.terminal_id, "secret": TERMINALS[kiosk.terminal_id]}).encode()
    headers = {"Content-Type": "application/json"}
    # requests sends an iterator chunked.
    response = kiosk.call("POST", "/v1/terminal/auth", data=iter([body[:10], body[10:]]), replace=headers)
    assert response.request.headers.get("Transfer-Encoding") == "chunked"
    assert (response.status_code, response.json()["code"]) == (200, "ok")


def test_the_limit_is_a_setting(server: RunningServer) -> None:
    with serve_in_thread(create_app(terminals=TERMINALS, limits=Limits(max_body_bytes=100))) as small:
        kiosk = Kiosk(small.base_url)
        refused = kiosk.call("POST", "/v1/terminal/auth", data=b"{" + b" " * 100 + b"}")
        assert (refused.status_code, refused.json()["code"]) == (413, "payload_too_large")
        assert kiosk.authenticate().status_code == 200


def test_a_client_that_sends_its_whole_body_first_still_reads_the_413(server: RunningServer) -> None:
    """Many clients send all of a body before they read the answer. Had the centre closed the connection
    with their data unread, the reset would reach them instead of the 413 that says to send less."""
    body = b" " * (12 * MIB)
    connection = _open(server, **{"Content-Length": str(len(body))})
    assert connection.sock is not None
    connection.sock.sendall(body)
    status, answer = _answer(connection)
    assert (status, answer["code"]) == (413, "payload_too_large")

    kiosk = Kiosk(server.base_url)  # the kiosk's own HTTP library
    kiosk.authenticate()
    response = kiosk.call("POST", PATH, data=b" " * (3 * MIB))
    assert (response.status_code, response.json()["code"]) == (413, "payload_too_large")


def test_a_client_waiting_for_100_continue_is_answered_at_once(server: RunningServer) -> None:
    connection = _open(server, **{"Content-Length": str(100 * MIB), "Expect": "100-continue"})
    assert connection.sock is not None
    connection.sock.settimeout(2)  # the answer must not wait for a body that was never invited
    status, body = _answer(connection)
    assert (status, body["code"]) == (413, "payload_too_large")
