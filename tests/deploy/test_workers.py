"""`kiosk-central serve --workers 2` on a real PostgreSQL: two worker processes behind one port answer as
one centre. Every request here goes on a connection of its own, so the kernel hands it to either worker;
the workers' access log (each line names the worker's pid and the client's port) tells which worker
answered which request, and each test checks that its requests reached both."""

from __future__ import annotations

import http.client
import itertools
import json
import re
import signal
import subprocess
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from central_server.console import DEMO_OPERATOR
from central_server.console.web import SESSION_COOKIE
from central_server.seed import DEMO_PASSWORD
from tests.postgres_support import PostgresServer

REPO = Path(__file__).resolve().parents[2]
KIOSKS = {f"KIOSK-W{n}": f"workers-test-secret-{n:02d}-synthetic" for n in range(1, 7)}
ACCESS = re.compile(r"\[(\d+)\] INFO uvicorn\.access: ([0-9.]+):(\d+) - ")


@dataclass(frozen=True)
class Answer:
    status: int
    body: dict[str, Any]
    port: int  # the client's port, as the access log names it

    @property
    def code(self) -> str:
        return str(self.body.get("code"))


class Centre:
    """The centre in a subprocess, and a client that opens a new connection for every request."""

    def __init__(self, process: subprocess.Popen[str], base_url: str, log: Path) -> None:
        self.process = process
        self.host, port = urlsplit(base_url).netloc.split(":")
        self.port = int(port)
        self.log = log
        self._seq = itertools.count(1)
        self._seq_lock = threading.Lock()

    def request(
        self,
        method: str,
        path: str,
        *,
        headers: dict[str, str] | None = None,
        body: bytes | None = None,
        source: str = "",
    ) -> tuple[int, bytes, list[str], int]:
        """Status, body, the cookies set (name=value) and the client's port."""
        connection = http.client.HTTPConnection(
            self.host, self.port, timeout=20, source_address=(source, 0) if source else None
        )
        try:
            connection.connect()
            assert connection.sock is not None
            port = connection.sock.getsockname()[1]
            connection.request(method, path, body=body, headers={**(headers or {}), "Connection": "close"})
            response = connection.getresponse()
            cookies = [value.split(";")[0] for value in response.msg.get_all("Set-Cookie") or []]
            return response.status, response.read(), cookies, port
        finally:
            connection.close()

    def api(
        self,
        method: str,
        path: str,
        terminal_id: str,
        *,
        json_body: dict[str, Any] | None = None,
        token: str = "",
        forwarded_for: str = "",
    ) -> Answer:
        with self._seq_lock:
            seq = next(self._seq)
        headers = {
            "X-Channel": "50",
            "X-Terminal-Id": terminal_id,
            "X-Centre-Id": "00012000",
            "X-Seq-No": str(seq),
            "Content-Type": "application/json",
        }
        if token:
            headers["Authorization"] = f"Bearer {token}"
        if forwarded_for:
            headers["X-Forwarded-For"] = forwarded_for
        body = json.dumps(json_body).encode() if json_body is not None else None
        status, data, _, port = self.request(method, path, headers=headers, body=body)
        return Answer(status, json.loads(data), port)

    def token(self, terminal_id: str) -> str:
        answer = self.api(
            "POST",
            "/v1/terminal/auth",
            terminal_id,
            json_body={"terminal_id": terminal_id, "secret": KIOSKS[terminal_id]},
        )
        assert answer.status == 200, answer.body
        return str(answer.body["data"]["token"])

    def workers_of(self, answers: list[Answer]) -> set[int]:
        """The pids of the workers that answered these requests (by the client port in the access log;
        a port the log shows twice, reused by the kernel, says nothing and is left out)."""
        seen: dict[int, list[int]] = {}
        for pid, _address, port in ACCESS.findall(self.log.read_text(encoding="utf-8")):
            seen.setdefault(int(port), []).append(int(pid))
        return {seen[a.port][0] for a in answers if len(seen.get(a.port, [])) == 1}

    def workers_for_client(self, address: str) -> set[int]:
        """The pids of the workers that answered requests a proxy forwarded for this client (the log
        then names the client, without a port)."""
        lines = ACCESS.findall(self.log.read_text(encoding="utf-8"))
        return {int(pid) for pid, logged, _port in lines if logged == address}


def _start(database_url: str, terminals: Path, log: Path, *, demo: bool = True) -> Centre:
    """The centre with two workers; `demo` adds the synthetic citizens (and takes longer to start)."""
    process = subprocess.Popen(
        [
            str(REPO / ".venv" / "bin" / "kiosk-central"), "serve", *(["--demo"] if demo else []),
            "--workers", "2", "--port", "0", "--db", database_url, "--terminals", str(terminals),
            "--forwarded-allow-ips", "127.0.0.1",
        ],
        stdout=subprocess.PIPE,
        stderr=log.open("w", encoding="utf-8"),
        text=True,
    )  # fmt: skip
    assert process.stdout is not None
    line = process.stdout.readline()
    if not line.startswith("listening on "):
        process.kill()
        pytest.fail(f"the centre did not start: {line!r}\n{log.read_text(encoding='utf-8')[-3000:]}")
    return Centre(process, line.split()[-1], log)


def _stop(centre: Centre) -> int:
    centre.process.send_signal(signal.SIGTERM)
    return centre.process.wait(timeout=30)


@pytest.fixture(scope="module")
def postgres() -> Iterator[PostgresServer]:
    server = PostgresServer()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def terminals(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("workers") / "terminals.toml"
    path.write_text(
        "".join(
            f'[[terminal]]\nid = "{k}"\nsecret = "{s}"\ngroup = "hall-{k[-1]}"\n\n' for k, s in KIOSKS.items()
        )
    )
    path.chmod(0o600)
    return path


@pytest.fixture(scope="module")
def centre(
    postgres: PostgresServer, terminals: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Centre]:
    log = tmp_path_factory.mktemp("workers-log") / "centre.log"
    running = _start(postgres.url(postgres.create_database()), terminals, log)
    yield running
    assert _stop(running) == 0


def _in_parallel(count: int, call: Any) -> list[Answer]:
    with ThreadPoolExecutor(max_workers=12) as pool:
        return list(pool.map(lambda _: call(), range(count)))


def test_both_workers_answer_and_no_two_answers_share_a_sequence_number(centre: Centre) -> None:
    answers = _in_parallel(240, lambda: centre.api("GET", "/v1/health", "KIOSK-W1"))
    assert {a.status for a in answers} == {200}
    numbers = [a.body["centre_seq"] for a in answers]
    assert len(set(numbers)) == len(numbers)
    assert len(centre.workers_of(answers)) == 2


def test_a_citizen_is_locked_after_three_wrong_passwords_whichever_worker_answers(centre: Centre) -> None:
    token = centre.token("KIOSK-W2")
    cards = centre.api("GET", "/v1/demo/cards", "KIOSK-W2", token=token).body["data"]
    wrong = "000000" if DEMO_PASSWORD != "000000" else "111111"

    tokens = {"KIOSK-W2": token, "KIOSK-W1": centre.token("KIOSK-W1")}

    # Each kiosk may fail 20 sign-ins in its window: the two parts below use a kiosk each.
    def attempt(card: dict[str, Any], password: str, kiosk: str = "KIOSK-W2") -> Answer:
        body = {"id_number": card["id_number"], "name": card["name"], "password": password}
        return centre.api("POST", "/v1/citizen/session", kiosk, json_body=body, token=tokens[kiosk])

    # One after another: each attempt may land on either worker, and the count goes on across them.
    sequential: list[Answer] = []
    for card in cards[:6]:
        answers = [attempt(card, wrong) for _ in range(3)] + [attempt(card, DEMO_PASSWORD)]
        assert [a.code for a in answers] == [
            "sign_in_failed",
            "sign_in_failed",
            "password_locked",
            "password_locked",
        ]
        assert [a.body["data"].get("attempts_left") for a in answers[:2]] == [2, 1]
        sequential += answers
    # All at once: the database counts each failure once, so exactly two answers leave attempts.
    together = _in_parallel(12, lambda: attempt(cards[6], wrong, "KIOSK-W1"))
    codes = sorted(a.code for a in together)
    assert codes == ["password_locked"] * 10 + ["sign_in_failed"] * 2
    assert sorted(a.body["data"]["attempts_left"] for a in together if a.code == "sign_in_failed") == [1, 2]
    assert len(centre.workers_of(sequential)) == 2 and len(centre.workers_of(together)) == 2


def test_terminal_authentication_failures_from_one_address_count_on_both_workers(centre: Centre) -> None:
    # Client addresses as a reverse proxy on 127.0.0.1 (--forwarded-allow-ips) reports them; each guesses
    # one kiosk's secret, one attempt after another (exact counts need that: two attempts at the same
    # instant may both pass the check). Three of them, so that surely one's attempts reach both workers.
    spanning = 0
    for kiosk, client in (
        ("KIOSK-W3", "203.0.113.3"),
        ("KIOSK-W5", "203.0.113.5"),
        ("KIOSK-W6", "203.0.113.6"),
    ):
        assert centre.token(kiosk)  # from its usual address, where it stays welcome

        def authenticate(secret: str, kiosk: str = kiosk, client: str = client) -> Answer:
            body = {"terminal_id": kiosk, "secret": secret}
            return centre.api("POST", "/v1/terminal/auth", kiosk, json_body=body, forwarded_for=client)

        failures = [authenticate("not-the-secret-of-this-kiosk") for _ in range(10)]
        assert {a.code for a in failures} == {"terminal_unauthorised"}
        refused = authenticate(KIOSKS[kiosk])
        assert refused.code == "rate_limited" and refused.body["data"]["retry_after"] > 0
        assert centre.token(kiosk), "the kiosk at its usual address is not held back"
        spanning += len(centre.workers_for_client(client)) == 2
    assert spanning


def test_a_kiosk_revoked_in_the_console_is_refused_by_every_worker_at_once(centre: Centre) -> None:
    token = centre.token("KIOSK-W4")
    assert centre.api("GET", "/v1/business-types", "KIOSK-W4", token=token).status == 200

    # The console's session cookie, signed by one worker, is good on both (they share the secret).
    status, page, cookies, _ = centre.request("GET", "/console/login")
    csrf = re.search(rb'name="csrf_token" value="([^"]+)"', page)
    assert status == 200 and csrf is not None
    cookie = "; ".join(cookies)
    form = f"username={DEMO_OPERATOR[0]}&password={DEMO_OPERATOR[1]}&csrf_token={csrf.group(1).decode()}"
    form_headers = {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie}
    status, _, cookies, _ = centre.request("POST", "/console/login", headers=form_headers, body=form.encode())
    assert status == 303, status
    (cookie,) = [c for c in cookies if c.startswith(f"{SESSION_COOKIE}=")]
    with ThreadPoolExecutor(max_workers=6) as pool:
        pages = list(
            pool.map(
                lambda _: centre.request("GET", "/console/terminals", headers={"Cookie": cookie}), range(12)
            )
        )
    assert {status for status, *_ in pages} == {200}
    assert len(centre.workers_of([Answer(200, {}, port) for *_, port in pages])) == 2

    csrf = re.search(rb'name="csrf_token" value="([^"]+)"', pages[0][1])
    assert csrf is not None
    revoke = f"reason=lost+in+a+test&csrf_token={csrf.group(1).decode()}".encode()
    revoke_headers = {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie}
    status, *_ = centre.request(
        "POST", "/console/terminals/KIOSK-W4/revoke", headers=revoke_headers, body=revoke
    )
    assert status == 303
    after = _in_parallel(24, lambda: centre.api("GET", "/v1/business-types", "KIOSK-W4", token=token))
    assert {a.code for a in after} == {"terminal_unauthorised"}
    assert len(centre.workers_of(after)) == 2


def test_sequence_numbers_keep_rising_across_a_restart(
    postgres: PostgresServer, terminals: Path, tmp_path: Path
) -> None:
    url = postgres.url(postgres.create_database())
    first = _start(url, terminals, tmp_path / "first.log", demo=False)
    before = max(int(first.api("GET", "/v1/health", "KIOSK-W5").body["centre_seq"][1:]) for _ in range(20))
    assert _stop(first) == 0
    again = _start(url, terminals, tmp_path / "again.log", demo=False)
    after = int(again.api("GET", "/v1/health", "KIOSK-W5").body["centre_seq"][1:])
    assert _stop(again) == 0
    assert after > before
