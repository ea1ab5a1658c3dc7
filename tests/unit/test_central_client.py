"""The client's side of the contract: envelope headers, sequence numbers, token renewal, and every kind
of broken answer turned into CentralUnavailable (never a half-parsed value)."""

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest

from central_server.app import create_app
from central_server.testing import serve_in_thread
from kiosk.central import CentralClient, CentralError, CentralUnavailable
from kiosk.central.sequence import SequenceCounter


class _Recorder(BaseHTTPRequestHandler):
    """A fake centre that records headers and answers whatever the test scripted."""

    answers: ClassVar[list[tuple[int, bytes]]] = []
    seen: ClassVar[list[dict[str, str]]] = []

    def _answer(self) -> None:
        type(self).seen.append(dict(self.headers))
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        status, body = type(self).answers.pop(0) if type(self).answers else (200, b"")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_DELETE = _answer

    def log_message(self, *_args: object) -> None:
        pass


@pytest.fixture
def fake() -> Iterator[str]:
    _Recorder.answers, _Recorder.seen = [], []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def _ok(data: object) -> tuple[int, bytes]:
    return 200, json.dumps({"code": "ok", "message": "", "centre_seq": "C1", "data": data}).encode()


def _client(url: str, tmp_path: Path) -> CentralClient:
    return CentralClient(
        url,
        terminal_id="KIOSK-T",
        centre_id="00012000",
        secret="s" * 10,
        sequence=SequenceCounter(tmp_path / "seq"),
        timeout_s=2,
    )


def test_every_request_carries_the_envelope(fake: str, tmp_path: Path) -> None:
    _Recorder.answers = [_ok({"token": "t1", "expires_in": 3600}), _ok(None)]
    _client(fake, tmp_path).close_citizen_session("citizen-token")
    auth, call = _Recorder.seen
    for headers in (auth, call):
        assert headers["X-Channel"] == "50"
        assert headers["X-Terminal-Id"] == "KIOSK-T" and headers["X-Centre-Id"] == "00012000"
    assert "Authorization" not in auth
    assert call["Authorization"] == "Bearer t1" and call["X-Citizen-Session"] == "citizen-token"
    assert int(call["X-Seq-No"]) > int(auth["X-Seq-No"])


def test_sequence_only_goes_up_across_restarts(tmp_path: Path) -> None:
    first = SequenceCounter(tmp_path / "seq")
    values = [first.next() for _ in range(5)]
    second = SequenceCounter(tmp_path / "seq")  # a restart (or crash) skips ahead, never back
    assert second.next() > values[-1]
    assert values == sorted(set(values))


def test_damaged_sequence_file_is_named(tmp_path: Path) -> None:
    (tmp_path / "seq").write_text("garbage")
    with pytest.raises(ValueError, match="sequence file is damaged"):
        SequenceCounter(tmp_path / "seq")


@pytest.mark.parametrize(
    "answer",
    [
        (200, b"<html>proxy error</html>"),
        (502, b'{"code": "server_error", "message": "x", "centre_seq": "C", "data": null}'),
        (200, json.dumps({"code": "ok", "data": {"account_no": 5}}).encode()),
        (200, b'{"unexpected": true}'),
        (200, b"[" * 100_000 + b"]" * 100_000),  # nested past the JSON parser's stack
    ],
)
def test_broken_answers_are_unavailable(fake: str, tmp_path: Path, answer: tuple[int, bytes]) -> None:
    _Recorder.answers = [_ok({"token": "t1", "expires_in": 3600}), answer]
    with pytest.raises(CentralUnavailable):
        _client(fake, tmp_path).account("citizen-token")


def test_nobody_listening_is_unavailable(tmp_path: Path) -> None:
    with pytest.raises(CentralUnavailable):
        _client("http://127.0.0.1:9", tmp_path).health()


def test_terminal_token_renewed_after_centre_restart(tmp_path: Path) -> None:
    terminals = {"KIOSK-T": "s" * 10}
    first = serve_in_thread(create_app(demo=True, terminals=terminals))
    client = _client(first.base_url, tmp_path)
    assert client.demo_cards()
    port = int(first.base_url.rsplit(":", 1)[1])
    first.stop()
    # A new centre process on the same port knows nothing of the old token: the client logs in again.
    with serve_in_thread(create_app(demo=True, terminals=terminals), port=port):
        assert client.demo_cards()


def test_wrong_secret_is_a_definite_refusal(tmp_path: Path) -> None:
    app = create_app(demo=True, terminals={"KIOSK-T": "another-secret"})
    with serve_in_thread(app) as server, pytest.raises(CentralError) as caught:
        _client(server.base_url, tmp_path).authenticate_terminal()
    assert caught.value.code == "terminal_unauthorised"
