"""The reference central as a process of its own on a SQLite file, so that it can be killed (-9: a crash)
or stopped and started again on the same file and port; and what it applied, read from that file.

The centre runs `serve --demo` (seeded citizens, the demo kiosk): its first start seeds the file (a few
seconds), a restart finds the file seeded and takes about a second.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from sqlalchemy import select

from central_server import visit_keys
from central_server.crm.models import Rating
from central_server.db import Database
from central_server.models import Citizen, IntakeRecord
from central_server.preregistration import PreRegistrationRecord
from central_server.terminals import DEMO_TERMINALS

from .central_records import may_withdraw
from .synthetic import Visit

REPO = Path(__file__).resolve().parents[2]
# The demo kiosk, whose published secret `serve --demo` accepts.
[(TERMINAL_ID, SECRET)] = DEMO_TERMINALS.items()
START_TIMEOUT_S = 60.0


class CentreProcess:
    def __init__(self, directory: Path) -> None:
        self._directory = directory
        self.db_url = f"sqlite:///{directory / 'centre.db'}"
        self._log = directory / "centre.log"
        self._process: subprocess.Popen[bytes] | None = None
        self._port = 0
        self.base_url = ""
        self.restarts = 0
        self._database: Database | None = None

    def __enter__(self) -> CentreProcess:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop(crash=False)
        if self._database is not None:
            self._database.engine.dispose()

    def start(self) -> None:
        """Start on the file, on the port of the first start (any free one the first time)."""
        command = [sys.executable, "-m", "central_server", "serve", "--demo", "--db", self.db_url]
        command += ["--port", str(self._port)]
        with self._log.open("ab") as log, (self._directory / "centre.out").open("wb") as out:
            self._process = subprocess.Popen(command, stdout=out, stderr=log, cwd=REPO)
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline and self._process.poll() is None:
            line = (self._directory / "centre.out").read_text(encoding="utf-8").strip()
            if line.startswith("listening on "):
                self.base_url = line.split()[2]
                self._port = int(self.base_url.rsplit(":", 1)[1])
                return
            time.sleep(0.02)
        self._process.kill()
        raise RuntimeError(f"the centre did not start; its log is {self._log}")

    def stop(self, *, crash: bool) -> None:
        """SIGKILL (a crash: no shutdown, a commit may be cut off) or SIGTERM (a clean stop)."""
        if self._process is None:
            return
        self._process.send_signal(signal.SIGKILL if crash else signal.SIGTERM)
        self._process.wait(timeout=30)
        self._process = None

    def restart(self, *, crash: bool) -> float:
        """Stop and start again on the same file and port; returns the seconds the centre was away."""
        started = time.monotonic()
        self.stop(crash=crash)
        self.start()
        self.restarts += 1
        return time.monotonic() - started

    @property
    def database(self) -> Database:
        """The centre's file, opened by this process (SQLite serialises it with the centre's writes)."""
        if self._database is None:
            self._database = Database(self.db_url)
        return self._database

    def visits(self, count: int, offset: int = 0) -> list[Visit]:
        """Tickets issued now at the demo kiosk, as sign-ins would, for citizens who may file (see
        central_records.visits_at), the `offset`-th onwards, wrapping round."""
        with self.database.transaction() as session:
            citizens = [
                row for row in session.scalars(select(Citizen).order_by(Citizen.id)) if may_withdraw(row)
            ]
            visits = []
            for number in range(offset, offset + count):
                citizen = citizens[number % len(citizens)]
                ticket, _ref = visit_keys.issue(session, citizen.id, TERMINAL_ID, int(time.time()))
                visits.append(Visit(citizen.id_number, citizen.name, ticket))
            return visits

    def applied(self) -> Applied:
        with self.database.transaction() as session:
            records = session.execute(
                select(
                    IntakeRecord.idempotency_key, IntakeRecord.status, IntakeRecord.kind, IntakeRecord.payload
                )
                .where(IntakeRecord.terminal_id == TERMINAL_ID)
                .order_by(IntakeRecord.id)
            ).all()
            registrations = session.scalars(
                select(PreRegistrationRecord.idempotency_key).where(
                    PreRegistrationRecord.terminal_id == TERMINAL_ID
                )
            ).all()
            ratings = session.scalars(select(Rating.case_ref).where(Rating.terminal_id == TERMINAL_ID)).all()
        # A rating's effect row carries its case reference, not the key: map one to the other.
        case_keys = {
            json.loads(payload)["case_ref"]: key
            for key, status, kind, payload in records
            if kind == "rating" and status == "accepted" and payload is not None
        }
        effects = Counter(registrations) + Counter(case_keys.get(ref, ref) for ref in ratings)
        return Applied(
            order=[key for key, status, _, _ in records if status == "accepted"],
            rejected=[key for key, status, _, _ in records if status != "accepted"],
            effects=effects,
        )


@dataclass(frozen=True)
class Applied:
    """What the centre holds of the demo kiosk: accepted intake records in the order applied, the keys it
    rejected, and how many effect rows (pre-registrations, ratings) each key made."""

    order: list[str]
    rejected: list[str]
    effects: Counter[str]

    def doubled(self, keys: list[str]) -> list[str]:
        """Keys of `keys` applied more than once: two intake records, or two effect rows."""
        records = Counter(self.order)
        return [key for key in keys if records[key] > 1 or self.effects[key] > 1]

    def lost(self, keys: list[str]) -> list[str]:
        """Keys of `keys` with no accepted intake record or no effect row."""
        records = set(self.order)
        return [key for key in keys if key not in records or self.effects[key] == 0]
