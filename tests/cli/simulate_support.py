"""What the `kiosk simulate` tests share: the reference centre on loopback (with a gate that can close its
intake, as a centre whose intake is down), settings for a kiosk with emulated devices, the command as a
person runs it, and demo citizens no other test has used yet."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request, Response

from central_server.app import create_app
from central_server.seed import DEMO_PASSWORD
from tests.central.helpers import TERMINALS, Kiosk, password_of
from tests.devices.support import installed

KIOSK_ID = "KIOSK-TEST-01"  # as the kiosk_settings fixture writes it
KIOSK_SECRET = "test-secret-synthetic"
OTHER_KIOSK = "KIOSK-DEMO-02"
UNREACHABLE = "http://127.0.0.1:9"  # the kiosk_settings fixture's centre
INTAKE = "/v1/intake/batch"
OPERATOR_TOKEN = "operator-token-synthetic"


class IntakeGate:
    """While closed, the centre answers its intake 503 (and serves everything else): the kiosk files into
    its outbox, and its forwarder finds no one to take the items."""

    def __init__(self) -> None:
        self.closed = False

    async def __call__(
        self, request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        if self.closed and request.url.path == INTAKE:
            return Response(status_code=503)
        return await call_next(request)


def centre_app(gate: IntakeGate) -> FastAPI:
    """The demo centre on the real clock (the kiosk's visit tickets are timed by it), knowing the test
    kiosk and the two demo terminals, with an operator to read its follow-up cases."""
    app = create_app(
        demo=True, terminals={**TERMINALS, KIOSK_ID: KIOSK_SECRET}, operator_tokens=[OPERATOR_TOKEN]
    )
    app.middleware("http")(gate)
    return app


def kiosk_settings_file(write: Callable[..., Path], base_url: str) -> Path:
    """The kiosk_settings fixture's file with every device emulated, pointed at `base_url`."""
    path = write("sim://?poll_ms=20", 'printer = "sim://"\nbankcard = "sim://?poll_ms=20"\n')
    path.write_text(path.read_text(encoding="utf-8").replace(UNREACHABLE, base_url), encoding="utf-8")
    return path


def other_terminal(settings: Path) -> Path:
    """The same kiosk's settings (data dir, outbox key) under another terminal's id and secret."""
    text = settings.read_text(encoding="utf-8")
    text = text.replace(KIOSK_ID, OTHER_KIOSK).replace(KIOSK_SECRET, TERMINALS[OTHER_KIOSK])
    path = settings.with_name("other-terminal.toml")
    path.write_text(text, encoding="utf-8")
    return path


@dataclass(frozen=True)
class Run:
    returncode: int
    stdout: str
    stderr: str

    @property
    def report(self) -> dict[str, Any]:
        result: dict[str, Any] = json.loads(self.stdout)
        return result

    def steps(self, visit: int = 0) -> list[dict[str, Any]]:
        steps: list[dict[str, Any]] = self.report["visits"][visit]["steps"]
        return steps

    def codes(self, visit: int = 0) -> list[str]:
        return [step["code"] for step in self.steps(visit)]

    def step(self, do: str, visit: int = 0) -> dict[str, Any]:
        """The last step of this kind in the visit."""
        return [step for step in self.steps(visit) if step["do"] == do][-1]


def simulate(settings: Path, script: dict[str, Any] | str, *, as_json: bool = True) -> Run:
    """`kiosk simulate` with this script (written beside the settings), as a person runs it."""
    path = settings.with_name("script.json")
    path.write_text(script if isinstance(script, str) else json.dumps(script), encoding="utf-8")
    command = [installed("kiosk"), "simulate", "--config", str(settings), "--script", str(path)]
    done = subprocess.run(
        [*command, "--json"] if as_json else command,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
    )
    return Run(done.returncode, done.stdout, done.stderr)


@dataclass(frozen=True)
class Citizen:
    id_number: str
    name: str
    # The most the centre offers for each withdrawal reason the citizen may choose now.
    may_withdraw: dict[str, int]


class DemoCitizens:
    """The centre's demo citizens with the common password and a normal account, each handed out once, so
    that no test's withdrawals or bookings stand in another's way."""

    def __init__(self, base_url: str) -> None:
        self._kiosk = Kiosk(base_url)
        self._kiosk.authenticate()
        cards = self._kiosk.data("GET", "/v1/demo/cards")
        self._cards = [c for c in cards if c["status"] == "normal" and password_of(c) == DEMO_PASSWORD]

    def take(self, reason: str | None = None) -> Citizen:
        """The next citizen; with `reason`, the next one the centre lets withdraw for it now."""
        while self._cards:
            card = self._cards.pop(0)
            assert self._kiosk.login(card["id_number"], card["name"], DEMO_PASSWORD).status_code == 200
            options = self._kiosk.data("GET", "/v1/citizen/withdrawal/options")["options"]
            allowed = {o["code"]: o["max_fen"] for o in options if o["allowed"] and not o["counter_only"]}
            if reason is None or reason in allowed:
                return Citizen(card["id_number"], card["name"], allowed)
        raise AssertionError(f"no demo citizen left who may withdraw for reason {reason}")


def signed_in(citizen: Citizen) -> list[dict[str, Any]]:
    """The steps of a visit up to the home screen: the citizen's card placed and read, the password."""
    return [
        {"do": "place_id_card", "id_number": citizen.id_number},
        {"do": "id_card", "timeout_s": 10},
        {"do": "password", "digits": DEMO_PASSWORD},
    ]
