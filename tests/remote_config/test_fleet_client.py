"""The kiosk's fleet client against a centre that answers with something hostile: the agent's thread must
see a plain "central unavailable", never an exception that would end it."""

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from kiosk.central import CentralClient, CentralUnavailable
from kiosk.central.fleet import FleetApi
from kiosk.central.sequence import SequenceCounter

DEPTH = 100_000


class _HostileCentre(BaseHTTPRequestHandler):
    def _answer(self, body: bytes) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:  # the terminal login succeeds
        self.rfile.read(int(self.headers["Content-Length"]))
        token = {"token": "synthetic-token", "expires_in": 3600}
        self._answer(
            json.dumps({"code": "ok", "message": "", "centre_seq": "C0000000001", "data": token}).encode()
        )

    def do_GET(self) -> None:  # the bundle is nested past any parser's stack
        self._answer(b'{"code": "ok", "data": {"bundle": ' + b"[" * DEPTH + b"]" * DEPTH + b"}}")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def hostile_centre() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _HostileCentre)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_a_bundle_nested_too_deep_is_an_unavailable_centre(hostile_centre: str, tmp_path: Path) -> None:
    client = CentralClient(
        hostile_centre,
        terminal_id="KIOSK-T1",
        centre_id="00012000",
        secret="secret-kiosk-1",
        sequence=SequenceCounter(tmp_path / "seq"),
        timeout_s=5,
    )
    with pytest.raises(CentralUnavailable, match="not JSON"):
        FleetApi(client).fetch_config(None)
