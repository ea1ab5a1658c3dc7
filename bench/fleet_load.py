"""Simulated kiosks against the centre on PostgreSQL: per-endpoint capacity, then the largest fleet.

    .venv/bin/python bench/fleet_load.py --kiosks 25 [--workers 1,2] [--duration 12] [--speedup 20] [--json]

One throwaway PostgreSQL (tests/postgres_support.py, Debian's package) serves the whole run. For each worker
count the centre is started afresh (`kiosk-central serve --demo --terminals FILE [--workers N]`) on a fresh
database, with a terminals file of kiosks in eight halls (groups) and a signed configuration bundle
published for all of them, beside a bare FastAPI app (bench/fleet_hello.py) on the same server stack and
worker count.

1. Closed loop: 20 concurrent clients (each its own kiosk, terminal token and citizen) send one kind of
   request back to back: account query, sign-in, heartbeat, config poll (If-None-Match, answered 304),
   intake batch (a visit's touchpoints and its rating, with the visit ticket), and the bare app's hello.
   Rounds of all six are interleaved and the median round taken: requests/s, p50, p99, errors, and the
   ratio of requests/s to hello's.
2. Open loop, the fleet: N kiosks each authenticate once (before the measured window, 20 at a time),
   then, each timer at a random phase, beat every 30 s (the kiosk's own default is 60 s), poll (the staff
   roster, then the configuration, as the kiosk's fleet agent does) at the kiosk's default interval
   (kiosk.settings.RemoteSection), and serve citizens: a visit per kiosk every 3 minutes on average
   (exponential gaps), each a sign-in, the account, the deposits, the loan for a borrower, signing out,
   then one intake batch of the visit's records, with a citizen's pauses between screens. Every interval
   is divided by --speedup K, so N simulated kiosks load the centre as N*K real ones. Requests are sent on
   schedule whether or not earlier ones were answered. N doubles from --kiosks until some endpoint's p99
   passes 300 ms or any error appears; the largest N*K under both is reported.

Latency is from sending the request to having read the whole response. An error is a transport failure,
a status other than 200 (304 where If-None-Match was sent), an envelope code other than ok, or an intake
item not accepted. The load generator is this process (asyncio, one aiohttp session, keep-alive
connections); the CPU used by it, the centre and PostgreSQL is printed so a reader can judge which one
was the limit. The data is the centre's synthetic demo population; no name or ID number is printed.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import itertools
import json
import math
import os
import platform
import random
import re
import resource
import secrets
import shutil
import signal
import statistics
import string
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp

# The repository root, so that `tests.postgres_support` (the throwaway PostgreSQL the centre's tests use) and
# the kiosk's own modules import when this file is run as a script: Python puts only bench/ on the path.
REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from central_server.seed import DEMO_PASSWORD, OTHER_PASSWORD, OTHER_PASSWORD_NAME  # noqa: E402
from kiosk import __version__ as KIOSK_VERSION  # noqa: E402
from kiosk.remote_config.bundle import generate_keypair, load_private_key, sign_bundle  # noqa: E402
from kiosk.settings import RemoteSection  # noqa: E402
from tests.postgres_support import PostgresServer  # noqa: E402

CENTRE = str(REPO / ".venv" / "bin" / "kiosk-central")
HELLO = str(REPO / "bench" / "fleet_hello.py")
CENTRE_ID = "00012000"
HALLS = 8
P99_LIMIT_MS = 300.0
START_TIMEOUT_S = 120.0
# The fleet's timing in real seconds. The kiosk's fleet agent polls at RemoteSection's default; heartbeats
# are taken every 30 s, twice as often as the kiosk's default (60 s), to leave room for kiosks set faster.
HEARTBEAT_S = 30.0
POLL_S = float(RemoteSection.model_fields["poll_interval_s"].default)
VISIT_EVERY_S = 180.0
# A citizen's pauses (real seconds) before each step: sign-in → account → deposits → loan → sign-out →
# the batch the outbox sends; each drawn from 0.5x to 1.5x.
PAUSES_S = {"account": 8.0, "deposits": 20.0, "loan": 20.0, "sign_out": 10.0, "intake": 2.0}

ENDPOINTS = {
    "hello": "hello (bare app)",
    "auth": "terminal auth",
    "sign_in": "sign-in",
    "account": "account query",
    "deposits": "deposits query",
    "loan": "loan query",
    "sign_out": "sign-out",
    "heartbeat": "heartbeat",
    "staff": "staff roster poll",
    "config": "config poll",
    "intake": "intake batch",
}
CLOSED_LOOP = ("hello", "account", "sign_in", "heartbeat", "config", "intake")
# The load generator's scheduling priority above the servers' (root only; see _boost_priority).
PRIORITY_BOOST = 10
OTHERS_WARNING_PCT = 10.0
_boosted = 0
_DIGITS = re.compile(r"\d{6,}")
_EXCEPTION_LINE = re.compile(r"^[A-Za-z_][\w.]*(Error|Exception|Violation)\b.*")


# -- the processes ----------------------------------------------------------------------------------------


def _proc_cpu_s(pid: int) -> float:
    """CPU seconds of a process and all its descendants (and the children they have waited for)."""
    parents: dict[int, int] = {}
    times: dict[int, float] = {}
    tick = os.sysconf("SC_CLK_TCK")
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as handle:
                fields = handle.read().rpartition(")")[2].split()
        except OSError:
            continue
        # After the command: state ppid ... utime(14) stime(15) cutime(16) cstime(17), numbered from 1.
        parents[int(entry)] = int(fields[1])
        times[int(entry)] = sum(int(value) for value in fields[11:15]) / tick
    total, todo = 0.0, [pid]
    while todo:
        current = todo.pop()
        total += times.get(current, 0.0)
        todo.extend(child for child, parent in parents.items() if parent == current)
    return total


def _machine_busy() -> tuple[float, float]:
    with open("/proc/stat", encoding="ascii") as handle:
        values = [int(value) for value in handle.readline().split()[1:]]
    idle = values[3] + values[4]
    return float(sum(values) - idle), float(sum(values))


class Cpu:
    """CPU used over a phase by this process (the load generator), the centre and PostgreSQL, each as a
    percentage of one core, and how busy the machine was (percent of all cores)."""

    def __init__(self, centre_pid: int, postgres_pid: int) -> None:
        self._pids = {"centre": centre_pid, "postgres": postgres_pid}

    def mark(self) -> dict[str, float]:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        busy, total = _machine_busy()
        mark = {name: _proc_cpu_s(pid) for name, pid in self._pids.items()}
        mark.update(client=usage.ru_utime + usage.ru_stime, wall=time.perf_counter(), busy=busy, total=total)
        return mark

    @staticmethod
    def used(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
        wall = after["wall"] - before["wall"]
        used = {
            f"{name}_pct_of_core": round(100 * (after[name] - before[name]) / wall, 1)
            for name in ("client", "centre", "postgres")
        }
        ticks = after["total"] - before["total"]
        used["machine_busy_pct"] = round(100 * (after["busy"] - before["busy"]) / ticks, 1) if ticks else 0.0
        # What other processes took (another test run, a build): the servers could not have it.
        ours = sum(value for name, value in used.items() if name.endswith("_of_core")) / (os.cpu_count() or 1)
        used["others_pct_of_machine"] = round(max(0.0, used["machine_busy_pct"] - ours), 1)
        return used


class Server:
    """A server process that prints `listening on URL` on stdout once it accepts connections."""

    def __init__(self, command: list[str], log: Path) -> None:
        self.log = log
        self.name = Path(command[0]).name
        self._log_handle = log.open("w")
        if _boosted:  # the servers run at the ordinary priority, not the load generator's
            command = ["nice", "-n", str(_boosted), *command]
        self.process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=self._log_handle, text=True, start_new_session=True
        )
        assert self.process.stdout is not None
        line = self._first_line(self.process.stdout)
        if not line.startswith("listening on "):
            self.stop()
            tail = log.read_text(errors="replace").strip().splitlines()[-3:]
            raise SystemExit(f"{self.name} did not start: {line.strip() or ' / '.join(tail)}")
        self.base_url = line.split()[-1]

    def _first_line(self, stream: Any) -> str:
        import selectors

        with selectors.DefaultSelector() as selector:
            selector.register(stream, selectors.EVENT_READ)
            if not selector.select(START_TIMEOUT_S):
                return ""
        return str(stream.readline())

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self._log_handle.close()

    def exceptions(self) -> Counter[str]:
        """Exception lines in the server's log (tracebacks' last lines), digit runs masked."""
        found: Counter[str] = Counter()
        for line in self.log.read_text(errors="replace").splitlines():
            if _EXCEPTION_LINE.match(line):
                found[_scrub(line)[:200]] += 1
        return found


def _boost_priority() -> bool:
    """Raises this process's priority over the servers' (they are started back at the ordinary one).

    On two cores the centre, its workers and PostgreSQL's backends are many runnable threads against the
    load generator's one; at an equal share it would be scheduled late and add that delay to the latencies
    it measures. It uses a few percent of a core, so the boost costs the servers next to nothing."""
    global _boosted
    try:
        os.setpriority(os.PRIO_PROCESS, 0, os.getpriority(os.PRIO_PROCESS, 0) - PRIORITY_BOOST)
    except OSError:
        return False
    _boosted = PRIORITY_BOOST
    return True


def _scrub(text: str) -> str:
    """No ID-number-like digit runs in what is printed (the centre's messages name fields, not values)."""
    return _DIGITS.sub("<digits>", text)


def _serve_supports_workers() -> bool:
    result = subprocess.run([CENTRE, "serve", "--help"], capture_output=True, text=True, check=False)
    return "--workers" in result.stdout


@dataclass(frozen=True)
class Terminal:
    terminal_id: str
    secret: str
    group: str


def _terminals(count: int, directory: Path) -> tuple[list[Terminal], Path]:
    terminals = [
        Terminal(
            f"KIOSK-H{i % HALLS + 1:02d}-{i + 1:04d}", secrets.token_urlsafe(18), f"hall-{i % HALLS + 1:02d}"
        )
        for i in range(count)
    ]
    path = directory / "terminals.toml"
    path.touch(mode=0o600)
    path.write_text(
        "".join(
            f'[[terminal]]\nid = "{t.terminal_id}"\nsecret = "{t.secret}"\ngroup = "{t.group}"\n\n'
            for t in terminals
        )
    )
    return terminals, path


def _bundle(directory: Path) -> tuple[dict[str, Any], Path]:
    """A configuration bundle for every kiosk, signed with a fresh operator key; the public key's path."""
    key, public = generate_keypair(directory / "keys", "bench")
    config = json.loads((REPO / "config" / "remote.example.json").read_text(encoding="utf-8"))
    return sign_bundle(config, version=1, target="all", key=load_private_key(key)), public


# -- the client ---------------------------------------------------------------------------------------------


@dataclass
class Recorder:
    """What one phase saw: latencies per endpoint, errors by (endpoint, status, code) with one message."""

    latencies: dict[str, list[float]] = field(default_factory=dict)
    errors: Counter[tuple[str, str, str]] = field(default_factory=Counter)
    messages: dict[tuple[str, str, str], str] = field(default_factory=dict)
    lags: list[float] = field(default_factory=list)
    # Requests sent before this (perf_counter) count towards requests/s; later ones (a visit finishing
    # after the window) only towards latency.
    window_end: float = math.inf
    sent: Counter[str] = field(default_factory=Counter)

    def add(self, endpoint: str, started: float, ms: float) -> None:
        self.latencies.setdefault(endpoint, []).append(ms)
        if started < self.window_end:
            self.sent[endpoint] += 1

    def error(self, endpoint: str, status: str, code: str, message: str) -> None:
        key = (endpoint, status, code)
        self.errors[key] += 1
        self.messages.setdefault(key, _scrub(message)[:160])

    def summary(self, seconds: float) -> dict[str, dict[str, Any]]:
        rows = {}
        for endpoint in ENDPOINTS:
            values = self.latencies.get(endpoint, [])
            errors = sum(n for (name, _, _), n in self.errors.items() if name == endpoint)
            if not values and not errors:
                continue
            rows[endpoint] = {
                "requests": len(values),
                "req_per_s": round(self.sent[endpoint] / seconds, 1),
                "p50_ms": round(_percentile(values, 50), 1) if values else None,
                "p99_ms": round(_percentile(values, 99), 1) if values else None,
                "errors": errors,
            }
        return rows

    def error_list(self) -> list[dict[str, Any]]:
        return [
            {"endpoint": e, "status": s, "code": c, "count": n, "message": self.messages[(e, s, c)]}
            for (e, s, c), n in self.errors.most_common()
        ]


def _percentile(values: list[float], percent: float) -> float:
    ordered = sorted(values)
    rank = max(0, math.ceil(percent / 100 * len(ordered)) - 1)
    return ordered[rank]


class Kiosk:
    """One terminal's envelope headers (a rising sequence number), its token and the ETags it holds."""

    def __init__(self, terminal: Terminal) -> None:
        self.terminal = terminal
        self.token: str | None = None
        self.etags: dict[str, str] = {}
        self._seq = itertools.count(1)
        self.started = time.monotonic()

    def headers(self, session_token: str | None = None) -> dict[str, str]:
        headers = {
            "X-Channel": "50",
            "X-Terminal-Id": self.terminal.terminal_id,
            "X-Centre-Id": CENTRE_ID,
            "X-Seq-No": str(next(self._seq)),
        }
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        if session_token:
            headers["X-Citizen-Session"] = session_token
        return headers


@dataclass(frozen=True)
class Citizen:
    id_number: str
    name: str
    password: str
    has_loan: bool

    def __repr__(self) -> str:  # never a name or ID number in a log line or a traceback
        return "Citizen(<synthetic>)"


@dataclass
class Visit:
    visit_id: str = field(
        default_factory=lambda: "".join(secrets.choice(string.ascii_lowercase) for _ in range(16))
    )
    session_token: str | None = None
    ticket: str | None = None
    has_loan: bool = False
    started: float = field(default_factory=time.monotonic)


class Client:
    def __init__(self, http: aiohttp.ClientSession, base_url: str, hello_url: str) -> None:
        self.http = http
        self.base_url = base_url
        self.hello_url = hello_url
        self.recorder = Recorder()

    async def call(
        self,
        endpoint: str,
        method: str,
        path: str,
        kiosk: Kiosk | None,
        *,
        body: Any = None,
        session_token: str | None = None,
        etag: str | None = None,
    ) -> dict[str, Any] | None:
        """The response's `data` (or {} for a 304), or None after recording an error."""
        recorder = self.recorder
        headers = kiosk.headers(session_token) if kiosk else {}
        if etag:
            headers["If-None-Match"] = etag
        data = None
        if body is not None:
            data = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
            headers["Content-Type"] = "application/json"
        url = (self.hello_url if endpoint == "hello" else self.base_url) + path
        start = time.perf_counter()
        try:
            async with self.http.request(method, url, data=data, headers=headers) as response:
                raw = await response.read()
                status, response_etag = response.status, response.headers.get("ETag")
        except (aiohttp.ClientError, TimeoutError) as exc:
            recorder.add(endpoint, start, (time.perf_counter() - start) * 1000)
            recorder.error(endpoint, "transport", type(exc).__name__, str(exc))
            return None
        recorder.add(endpoint, start, (time.perf_counter() - start) * 1000)
        if status == 304 and etag:
            return {}
        try:
            document = json.loads(raw)
        except ValueError:
            recorder.error(endpoint, str(status), "not_json", raw[:80].decode(errors="replace"))
            return None
        code = document.get("code", "")
        if status != 200 or code != "ok":
            recorder.error(endpoint, str(status), str(code), str(document.get("message", "")))
            return None
        if kiosk is not None and response_etag and endpoint in ("config", "staff"):
            kiosk.etags[endpoint] = response_etag
        result = document.get("data")
        return result if isinstance(result, dict) else {}

    async def authenticate(self, kiosk: Kiosk) -> bool:
        kiosk.token = None
        body = {"terminal_id": kiosk.terminal.terminal_id, "secret": kiosk.terminal.secret}
        data = await self.call("auth", "POST", "/v1/terminal/auth", kiosk, body=body)
        if data is not None:
            kiosk.token = data["token"]
        return data is not None

    async def sign_in(self, kiosk: Kiosk, citizen: Citizen, visit: Visit) -> bool:
        body = {"id_number": citizen.id_number, "name": citizen.name, "password": citizen.password}
        data = await self.call("sign_in", "POST", "/v1/citizen/session", kiosk, body=body)
        if data is None:
            return False
        visit.session_token, visit.ticket = data["session_token"], data["visit_ticket"]
        return True

    async def account(self, kiosk: Kiosk, visit: Visit) -> bool:
        data = await self.call(
            "account", "GET", "/v1/citizen/account", kiosk, session_token=visit.session_token
        )
        if data is not None:
            visit.has_loan = bool(data.get("has_loan"))
        return data is not None

    async def heartbeat(self, kiosk: Kiosk) -> None:
        body = {
            "app_version": KIOSK_VERSION,
            "config_version": 1,
            "uptime_s": int(time.monotonic() - kiosk.started),
            "devices": {name: {"state": "idle", "detail": ""} for name in ("idcard", "bankcard", "printer")},
            "paper": "ok",
            "outbox": {"depth": 0, "oldest_pending_age_s": None},
            "connectivity": "online",
            "last_error": None,
            "problems": [],
            "heartbeat_interval_s": int(HEARTBEAT_S),
            "in_service": True,
            "out_of_service_reason": None,
            "out_of_service_since": None,
        }
        await self.call("heartbeat", "POST", "/v1/fleet/heartbeat", kiosk, body=body)

    async def poll_config(self, kiosk: Kiosk) -> None:
        await self.call("config", "GET", "/v1/fleet/config", kiosk, etag=kiosk.etags.get("config"))

    async def poll(self, kiosk: Kiosk) -> None:
        """The fleet agent's poll: the staff roster (a poller of its own), then the configuration."""
        await self.call("staff", "GET", "/v1/terminal/staff", kiosk, etag=kiosk.etags.get("staff"))
        await self.poll_config(kiosk)

    async def intake(self, kiosk: Kiosk, visit: Visit) -> None:
        body = {"items": _visit_records(visit)}
        data = await self.call("intake", "POST", "/v1/intake/batch", kiosk, body=body)
        for result in (data or {}).get("results", []):
            if result.get("status") != "accepted":
                self.recorder.error("intake", "item", str(result.get("status")), str(result.get("reason")))


def _visit_records(visit: Visit) -> list[dict[str, Any]]:
    """What a kiosk's outbox holds after a visit (kiosk/services/touchpoints.py, rating.py): the visit's
    touchpoints and a rating of its account query, under the kiosk's own keys, with the visit ticket."""
    now = datetime.now(UTC).isoformat()
    events: list[dict[str, Any]] = [{"event": "visit_started", "detail": "id_card"}, {"event": "signed_in"}]
    for service in ("overview", "deposits", *(("loan",) if visit.has_loan else ())):
        events.append({"event": "service_entered", "service": service})
        events.append({"event": "service_completed", "service": service, "duration_ms": 15_000})
    events.append({"event": "visit_ended", "duration_ms": int((time.monotonic() - visit.started) * 1000)})
    items = [
        {
            "idempotency_key": f"tp-{visit.visit_id}-{n}",
            "kind": "touchpoint_event",
            "created_at": now,
            "visit_ticket": visit.ticket,
            "payload": {"visit_id": visit.visit_id, "channel": "kiosk", "at": now, **event},
        }
        for n, event in enumerate(events, 1)
    ]
    case_ref = f"overview-{visit.visit_id}"
    rating = {
        "score": 5,
        "detail_codes": [],
        "text": "",
        "channel": 5,
        "rating_round": 1,
        "rater_type": "individual",
        "service_code": "overview",
        "visit_id": visit.visit_id,
        "case_ref": case_ref,
    }
    items.append(
        {
            "idempotency_key": f"rating-{visit.visit_id}-{case_ref}",
            "kind": "rating",
            "created_at": now,
            "visit_ticket": visit.ticket,
            "payload": rating,
        }
    )
    return items


# -- phase 1: closed loop --------------------------------------------------------------------------------


@dataclass
class ClosedClient:
    kiosk: Kiosk
    visit: Visit
    citizens: Iterator[Citizen]


async def _closed_round(
    client: Client, endpoint: str, clients: list[ClosedClient], seconds: float
) -> tuple[Recorder, float]:
    calls: dict[str, Callable[[ClosedClient], Awaitable[Any]]] = {
        "hello": lambda c: client.call("hello", "GET", "/hello", None),
        "account": lambda c: client.account(c.kiosk, c.visit),
        "sign_in": lambda c: client.sign_in(c.kiosk, next(c.citizens), Visit()),
        "heartbeat": lambda c: client.heartbeat(c.kiosk),
        "config": lambda c: client.poll_config(c.kiosk),
        "intake": lambda c: client.intake(c.kiosk, Visit(ticket=c.visit.ticket)),
    }
    call = calls[endpoint]
    client.recorder = Recorder()
    start = time.perf_counter()
    stop_at = start + seconds

    async def loop(c: ClosedClient) -> None:
        while time.perf_counter() < stop_at:
            await call(c)

    await asyncio.gather(*(loop(c) for c in clients))
    return client.recorder, time.perf_counter() - start


async def closed_loop(
    client: Client, clients: list[ClosedClient], seconds: float, reps: int, cpu: Cpu
) -> dict[str, Any]:
    for endpoint in CLOSED_LOOP:  # warm-up: connections, caches, the workers' first requests
        await _closed_round(client, endpoint, clients, 1.0)
    rounds: dict[str, list[dict[str, Any]]] = {endpoint: [] for endpoint in CLOSED_LOOP}
    errors: list[dict[str, Any]] = []
    before = cpu.mark()
    for rep in range(reps):
        order = CLOSED_LOOP[rep % len(CLOSED_LOOP) :] + CLOSED_LOOP[: rep % len(CLOSED_LOOP)]
        for endpoint in order:
            recorder, elapsed = await _closed_round(client, endpoint, clients, seconds)
            rounds[endpoint].append(recorder.summary(elapsed)[endpoint])
            errors.extend(recorder.error_list())
    used = Cpu.used(before, cpu.mark())
    rows: dict[str, dict[str, Any]] = {}
    for endpoint, runs in rounds.items():
        rows[endpoint] = {
            "req_per_s": round(statistics.median(r["req_per_s"] for r in runs), 1),
            "p50_ms": round(statistics.median(r["p50_ms"] for r in runs), 1),
            "p99_ms": round(statistics.median(r["p99_ms"] for r in runs), 1),
            "errors": sum(r["errors"] for r in runs),
            "requests": sum(r["requests"] for r in runs),
        }
    hello = rows["hello"]["req_per_s"]
    for row in rows.values():
        row["ratio_to_hello"] = round(row["req_per_s"] / hello, 3) if hello else None
    return {
        "clients": len(clients),
        "seconds": seconds,
        "reps": reps,
        "endpoints": rows,
        "errors": _merge_errors(errors),
        "cpu": used,
    }


def _merge_errors(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    merged: dict[tuple[str, str, str], dict[str, Any]] = {}
    for error in errors:
        key = (error["endpoint"], error["status"], error["code"])
        if key in merged:
            merged[key]["count"] += error["count"]
        else:
            merged[key] = dict(error)
    return sorted(merged.values(), key=lambda e: -e["count"])


# -- phase 2: the fleet, open loop ---------------------------------------------------------------------------


class Fleet:
    """N kiosks on the fleet agent's timers and citizens' visits, every interval divided by `speedup`."""

    def __init__(
        self,
        client: Client,
        terminals: list[Terminal],
        citizens: list[Citizen],
        speedup: float,
        rng: random.Random,
    ) -> None:
        self.client = client
        self.kiosks = [Kiosk(t) for t in terminals]
        self.speedup = speedup
        self.rng = rng
        self._citizens = itertools.cycle(rng.sample(citizens, len(citizens)))
        self._tasks: set[asyncio.Task[None]] = set()

    def _spawn(self, coroutine: Awaitable[None]) -> None:
        task = asyncio.ensure_future(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _at(self, when: float) -> None:
        """Sleep until `when` (loop time); notes how late the loop woke, the load generator's own lag."""
        loop = asyncio.get_running_loop()
        await asyncio.sleep(max(0.0, when - loop.time()))
        self.client.recorder.lags.append((loop.time() - when) * 1000)

    async def _kiosk(self, kiosk: Kiosk, start: float, end: float) -> None:
        if kiosk.token is None:  # its sign-on failed (counted there)
            return
        # A fleet in its steady state: each kiosk's timers at a random phase, no thundering herd.
        beat, poll = HEARTBEAT_S / self.speedup, POLL_S / self.speedup
        next_beat = start + self.rng.uniform(0, beat)
        next_poll = start + self.rng.uniform(0, poll)
        next_visit = start + self.rng.expovariate(self.speedup / VISIT_EVERY_S)
        while True:
            when = min(next_beat, next_poll, next_visit)
            if when >= end:
                return
            await self._at(when)
            if when == next_poll:
                self._spawn(self.client.poll(kiosk))
                next_poll += poll
            elif when == next_beat:
                self._spawn(self.client.heartbeat(kiosk))
                next_beat += beat
            else:
                self._spawn(self._visit(kiosk, next(self._citizens)))
                next_visit += self.rng.expovariate(self.speedup / VISIT_EVERY_S)

    async def _pause(self, step: str) -> None:
        await asyncio.sleep(PAUSES_S[step] * self.rng.uniform(0.5, 1.5) / self.speedup)

    async def _visit(self, kiosk: Kiosk, citizen: Citizen) -> None:
        client, visit = self.client, Visit()
        if not await client.sign_in(kiosk, citizen, visit):
            return
        await self._pause("account")
        await client.account(kiosk, visit)
        await self._pause("deposits")
        await client.call(
            "deposits",
            "GET",
            "/v1/citizen/deposits?page=1&page_size=20",
            kiosk,
            session_token=visit.session_token,
        )
        if visit.has_loan:
            await self._pause("loan")
            await client.call("loan", "GET", "/v1/citizen/loan", kiosk, session_token=visit.session_token)
        await self._pause("sign_out")
        await client.call(
            "sign_out", "DELETE", "/v1/citizen/session", kiosk, session_token=visit.session_token
        )
        await self._pause("intake")
        await client.intake(kiosk, visit)

    async def sign_on(self) -> Recorder:
        """Every kiosk authenticates once, 20 at a time, before the fleet is measured: a real fleet's
        kiosks authenticate when they start (and hourly), spread over hours, not all in one instant."""
        self.client.recorder = Recorder()
        gate = asyncio.Semaphore(20)

        async def one(kiosk: Kiosk) -> None:
            async with gate:
                await self.client.authenticate(kiosk)

        await asyncio.gather(*(one(kiosk) for kiosk in self.kiosks))
        return self.client.recorder

    async def run(self, seconds: float) -> float:
        """Runs the fleet for `seconds`, then waits for what is in flight; returns `seconds`."""
        loop = asyncio.get_running_loop()
        self.client.recorder = Recorder(window_end=time.perf_counter() + seconds)
        t0 = loop.time()
        end = t0 + seconds
        await asyncio.gather(*(self._kiosk(kiosk, t0, end) for kiosk in self.kiosks))
        if self._tasks:
            _, pending = await asyncio.wait(set(self._tasks), timeout=30)
            for task in pending:
                task.cancel()
                self.client.recorder.error(
                    "(visit or poll)", "unfinished", "cancelled", "still waiting 30 s after the end"
                )
        return seconds


async def sweep(
    client: Client,
    terminals: list[Terminal],
    citizens: list[Citizen],
    args: argparse.Namespace,
    cpu: Cpu,
    rng: random.Random,
) -> dict[str, Any]:
    steps: list[dict[str, Any]] = []
    kiosks = args.kiosks
    best: dict[str, Any] | None = None
    first_failure: int | None = None
    refined = False
    while kiosks <= len(terminals):
        fleet = Fleet(client, terminals[:kiosks], citizens, args.speedup, rng)
        sign_on = await fleet.sign_on()
        before = cpu.mark()
        seconds = await fleet.run(args.duration)
        used = Cpu.used(before, cpu.mark())
        recorder = client.recorder
        rows = recorder.summary(seconds)
        worst = max(rows.items(), key=lambda item: item[1]["p99_ms"] or 0.0)
        signed_on = sign_on.summary(1.0).get("auth", {})
        errors = sum(recorder.errors.values()) + sum(sign_on.errors.values())
        passed = (worst[1]["p99_ms"] or 0.0) <= P99_LIMIT_MS and errors == 0
        step = {
            "kiosks": kiosks,
            "real_fleet_equivalent": round(kiosks * args.speedup),
            "seconds": round(seconds, 1),
            "req_per_s": round(sum(recorder.sent.values()) / seconds, 1),
            "worst_p99_ms": worst[1]["p99_ms"],
            "worst_endpoint": worst[0],
            "errors": errors,
            "passed": passed,
            "client_lag_p99_ms": round(_percentile(recorder.lags, 99), 1) if recorder.lags else None,
            "endpoints": rows,
            "sign_on": {key: signed_on.get(key) for key in ("requests", "p50_ms", "p99_ms", "errors")},
            "error_list": sign_on.error_list() + recorder.error_list(),
            "cpu": used,
        }
        steps.append(step)
        if not args.json:
            _print_step(step)
        if passed:
            best = step
        elif first_failure is None:
            first_failure = kiosks
        # Doubling up to the first failure, then one step halfway between it and the last pass.
        if first_failure is None:
            kiosks *= 2
        elif not refined and best is not None and first_failure - best["kiosks"] > best["kiosks"] // 4:
            kiosks, refined = (best["kiosks"] + first_failure) // 2, True
        else:
            break
    return {
        "speedup": args.speedup,
        "heartbeat_s": HEARTBEAT_S,
        "config_poll_s": POLL_S,
        "visit_every_s": VISIT_EVERY_S,
        "p99_limit_ms": P99_LIMIT_MS,
        "steps": steps,
        "largest_passing_kiosks": best["kiosks"] if best else None,
        "largest_passing_real_fleet": best["real_fleet_equivalent"] if best else None,
        "sweep_ended": "limit reached" if first_failure else "ran out of terminals (raise --max-kiosks)",
    }


# -- one worker count ----------------------------------------------------------------------------------------


async def _prepare(
    client: Client, terminals: list[Terminal], operator_token: str, bundle: dict[str, Any]
) -> list[Citizen]:
    async with client.http.post(
        client.base_url + "/v1/admin/bundles",
        json={"bundle": bundle, "stages": None, "max_failures": 0},
        headers={"Authorization": f"Bearer {operator_token}"},
    ) as response:
        if response.status != 200:
            raise SystemExit(f"publishing the bench's bundle failed: HTTP {response.status}")
    kiosk = Kiosk(terminals[0])
    if not await client.authenticate(kiosk):
        raise SystemExit(f"terminal auth failed: {client.recorder.error_list()}")
    # The demo's ID-card faces: names and ID numbers stay in memory, never in the output.
    async with client.http.get(client.base_url + "/v1/demo/cards", headers=kiosk.headers()) as response:
        if response.status != 200:
            raise SystemExit(f"GET /v1/demo/cards failed: HTTP {response.status}")
        data = (await response.json())["data"]
    return [
        Citizen(
            card["id_number"],
            card["name"],
            OTHER_PASSWORD if card["name"] == OTHER_PASSWORD_NAME else DEMO_PASSWORD,
            bool(card["has_loan"]),
        )
        for card in data
    ]


async def _closed_clients(
    client: Client, terminals: list[Terminal], citizens: list[Citizen], n: int
) -> list[ClosedClient]:
    """n clients, each its own kiosk and signed-in citizen (account, intake); the sign-in rounds cycle
    through citizens of their own, so no two clients ever sign one citizen in at once."""
    rest = citizens[n:]
    clients = []
    for i in range(n):
        kiosk = Kiosk(terminals[i])
        visit = Visit()
        if not await client.authenticate(kiosk) or not await client.sign_in(kiosk, citizens[i], visit):
            raise SystemExit(f"setting up closed-loop client {i} failed: {client.recorder.error_list()}")
        await client.poll_config(kiosk)  # its ETag, so the rounds poll with If-None-Match
        clients.append(ClosedClient(kiosk, visit, itertools.cycle(rest[i::n])))
    return clients


async def run_workers(
    workers: int, pg: PostgresServer, args: argparse.Namespace, scratch: Path
) -> dict[str, Any]:
    directory = scratch / f"workers-{workers}"
    directory.mkdir()
    most = max(args.clients, args.max_kiosks)
    terminals, terminals_file = _terminals(most, directory)
    bundle, public_key = _bundle(directory)
    operator_token = secrets.token_urlsafe(24)
    database = pg.create_database()
    command = [
        CENTRE, "serve", "--host", "127.0.0.1", "--port", "0", "--db", pg.url(database), "--demo",
        "--terminals", str(terminals_file), f"--operator-token={operator_token}",
        "--operator-key", str(public_key),
    ]  # fmt: skip
    if workers > 1:
        command += ["--workers", str(workers)]
    started = time.perf_counter()
    centre = Server(command, directory / "centre.log")
    centre_start_s = time.perf_counter() - started
    hello = Server([sys.executable, HELLO, "--workers", str(workers)], directory / "hello.log")
    postmaster = int((pg.directory / "data" / "postmaster.pid").read_text().split()[0])
    cpu = Cpu(centre.process.pid, postmaster)
    rng = random.Random(args.seed)
    try:
        # No connection limit: an open loop must not queue in the client. Idle connections are dropped after
        # 4 s, long before the centre's 75 s, so a request never races the server's close.
        connector = aiohttp.TCPConnector(limit=0, limit_per_host=0, keepalive_timeout=4)
        timeout = aiohttp.ClientTimeout(total=30)
        async with aiohttp.ClientSession(connector=connector, timeout=timeout) as http:
            client = Client(http, centre.base_url, hello.base_url)
            citizens = await _prepare(client, terminals, operator_token, bundle)
            clients = await _closed_clients(client, terminals, citizens, args.clients)
            gc.freeze()  # what set-up made is never garbage: keep it out of the collector's full passes
            if not args.json:
                plural = "s" if workers > 1 else ""
                print(f"\n== {workers} worker{plural} (centre started in {centre_start_s:.1f} s) ==")
            closed = await closed_loop(client, clients, args.closed_s, args.reps, cpu)
            if not args.json:
                _print_closed(closed)
                _print_sweep_header(args)
            fleet = await sweep(client, terminals, citizens, args, cpu, rng)
    finally:
        hello.stop()
        centre.stop()
        if args.keep_logs:
            args.keep_logs.mkdir(parents=True, exist_ok=True)
            for server, name in ((centre, "centre"), (hello, "hello")):
                shutil.copyfile(server.log, args.keep_logs / f"{name}-{workers}-workers.log")
    exceptions = centre.exceptions()
    return {
        "workers": workers,
        "centre_start_s": round(centre_start_s, 1),
        "closed_loop": closed,
        "fleet": fleet,
        "centre_log_exceptions": [{"line": line, "count": n} for line, n in exceptions.most_common(10)],
    }


# -- output ------------------------------------------------------------------------------------------


def _machine(pg: PostgresServer) -> dict[str, Any]:
    import psycopg

    with psycopg.connect(host=str(pg.directory), user="postgres", dbname="postgres") as connection:
        row = connection.execute("SHOW server_version").fetchone()
    return {
        "cores": os.cpu_count(),
        "cpu": _cpu_model(),
        "python": platform.python_version(),
        "postgres": row[0] if row else None,
        "aiohttp": aiohttp.__version__,
        "platform": platform.platform(),
    }


def _cpu_model() -> str | None:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.partition(":")[2].strip()
    except OSError:
        pass
    return None


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def _print_closed(closed: dict[str, Any]) -> None:
    print(
        f"closed loop: {closed['clients']} concurrent clients, {closed['reps']} rounds of "
        f"{closed['seconds']:g} s per endpoint, interleaved; medians of the rounds"
    )
    print(f"  {'endpoint':20} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7} {'vs hello':>9}")
    for endpoint, row in closed["endpoints"].items():
        print(
            f"  {ENDPOINTS[endpoint]:20} {row['req_per_s']:8.1f} {_ms(row['p50_ms']):>8} "
            f"{_ms(row['p99_ms']):>8} {row['errors']:7d} {row['ratio_to_hello']:9.3f}"
        )
    _print_cpu("  CPU over the rounds", closed["cpu"])
    _print_errors(closed["errors"])


def _print_cpu(label: str, used: dict[str, float]) -> None:
    print(
        f"{label}: load generator {used['client_pct_of_core']:.0f}% of a core, centre "
        f"{used['centre_pct_of_core']:.0f}%, PostgreSQL {used['postgres_pct_of_core']:.0f}%; "
        f"machine {used['machine_busy_pct']:.0f}% busy, {used['others_pct_of_machine']:.0f}% of it by other "
        "processes"
    )


def _print_errors(errors: list[dict[str, Any]]) -> None:
    for error in errors[:10]:
        print(
            f"    error: {ENDPOINTS.get(error['endpoint'], error['endpoint'])} {error['status']} "
            f"{error['code']} x{error['count']}: {error['message']}"
        )


def _print_sweep_header(args: argparse.Namespace) -> None:
    print(
        f"fleet, open loop: time x{args.speedup:g} (heartbeat {HEARTBEAT_S:g} s, config poll {POLL_S:g} s, "
        f"a visit per kiosk every {VISIT_EVERY_S:g} s; each divided by {args.speedup:g}), "
        f"{args.duration:g} s per step;"
        f" pass: every p99 <= {P99_LIMIT_MS:g} ms, no error"
    )


def _print_step(step: dict[str, Any]) -> None:
    print(
        f"  {step['kiosks']} simulated kiosks = {step['real_fleet_equivalent']} real: "
        f"{step['req_per_s']:.1f} req/s, worst p99 {_ms(step['worst_p99_ms'])} ms "
        f"({ENDPOINTS[step['worst_endpoint']]}), {step['errors']} errors, load generator late by "
        f"{_ms(step['client_lag_p99_ms'])} ms (p99) -> {'pass' if step['passed'] else 'FAIL'}"
    )
    sign_on = step["sign_on"]
    print(
        f"    (before: each kiosk authenticated once, 20 at a time, not timed with the fleet: "
        f"p50 {_ms(sign_on['p50_ms'])} ms, p99 {_ms(sign_on['p99_ms'])} ms, {sign_on['errors'] or 0} errors)"
    )
    print(f"    {'endpoint':20} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7}")
    for endpoint, row in step["endpoints"].items():
        print(
            f"    {ENDPOINTS[endpoint]:20} {row['req_per_s']:8.1f} {_ms(row['p50_ms']):>8} "
            f"{_ms(row['p99_ms']):>8} {row['errors']:7d}"
        )
    _print_cpu("    CPU", step["cpu"])
    _print_errors(step["error_list"])


def _print_summary(result: dict[str, Any]) -> None:
    busiest = max(
        (
            step["cpu"]["others_pct_of_machine"]
            for run in result["runs"]
            for step in run["fleet"].get("steps", [])
        ),
        default=0.0,
    )
    if busiest > OTHERS_WARNING_PCT:
        print(
            f"\nnote: other processes took up to {busiest:.0f}% of the machine during the sweep; the fleet "
            "sizes below are lower bounds (run again on an idle machine)"
        )
    print("\nlargest fleet with every p99 <= 300 ms and no errors:")
    for run in result["runs"]:
        fleet = run["fleet"]
        if run.get("skipped"):
            print(f"  {run['workers']} workers: skipped ({run['skipped']})")
        elif fleet["largest_passing_real_fleet"] is None:
            print(
                f"  {run['workers']} worker(s): none "
                f"(the first step, {fleet['steps'][0]['kiosks']} kiosks, failed)"
            )
        else:
            print(
                f"  {run['workers']} worker(s): {fleet['largest_passing_real_fleet']} real kiosks "
                f"({fleet['largest_passing_kiosks']} simulated x{fleet['speedup']:g}); "
                f"sweep: {fleet['sweep_ended']}"
            )
        for exception in run.get("centre_log_exceptions", []):
            print(f"    centre log: {exception['line']} x{exception['count']}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--kiosks", type=int, default=25, help="simulated kiosks in the sweep's first step (default 25)"
    )
    parser.add_argument("--max-kiosks", type=int, default=800, help="the sweep stops here (default 800)")
    parser.add_argument("--workers", default="1,2", help="worker counts, comma separated (default 1,2)")
    parser.add_argument("--duration", type=float, default=12.0, help="seconds per sweep step (default 12)")
    parser.add_argument("--speedup", type=float, default=20.0, help="time compression K (default 20)")
    parser.add_argument("--clients", type=int, default=20, help="closed-loop concurrency (default 20)")
    parser.add_argument(
        "--closed-s", type=float, default=2.5, help="seconds per closed-loop round (default 2.5)"
    )
    parser.add_argument("--reps", type=int, default=3, help="closed-loop rounds per endpoint (default 3)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the simulation's timing")
    parser.add_argument("--keep-logs", type=Path, metavar="DIR", help="copy the servers' logs (stderr) here")
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    args = parser.parse_args()
    worker_counts = [int(w) for w in args.workers.split(",") if w.strip()]
    if args.kiosks < 1 or args.max_kiosks < args.kiosks or args.speedup <= 0 or not worker_counts:
        parser.error("need --kiosks >= 1, --max-kiosks >= --kiosks, --speedup > 0 and a worker count")
    has_workers = _serve_supports_workers()
    pg = PostgresServer()
    runs: list[dict[str, Any]] = []
    try:
        machine = _machine(pg)
        machine["load_generator_priority_boost"] = PRIORITY_BOOST if _boost_priority() else 0
        if not args.json:
            print(
                f"fleet_load: {machine['cores']} cores ({machine['cpu']}), Python {machine['python']}, "
                f"PostgreSQL {machine['postgres']}, aiohttp {machine['aiohttp']}; "
                "load generator: this process, asyncio, "
                + (f"niceness {-_boosted} (servers 0)" if _boosted else "the servers' priority (not root)")
            )
        with tempfile.TemporaryDirectory(prefix="fleet-load-") as scratch:
            for workers in worker_counts:
                if workers > 1 and not has_workers:
                    note = "kiosk-central serve has no --workers option yet"
                    runs.append({"workers": workers, "skipped": note, "fleet": {}})
                    continue
                runs.append(asyncio.run(run_workers(workers, pg, args, Path(scratch))))
    finally:
        pg.stop()
    result = {"machine": machine, "arguments": vars(args), "runs": runs}
    if args.json:
        print(json.dumps(result, default=str))
    else:
        _print_summary(result)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
