"""`kiosk demo`: the kiosk with everything it talks to running on this machine.

The reference central runs as a child process on loopback (the kiosk never imports it), on a database file
in the demo's data dir, so that the staff panel can stop it and start it again without losing what it knows.
The ID card reader is the SAM-protocol emulator on a pseudo-terminal, read through the real serial driver.
The bank card reader is a pcscd of the demo's own with vsmartcard's vpcd as its reader, read through the
real PC/SC driver; where pcscd cannot run, it is the in-process reader (``sim://``).
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import select
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO
from urllib.parse import urlsplit

from kiosk.devices.bankcard.pcscd import PcscdError, PrivatePcscd
from kiosk.devices.bankcard.virtual_card import CardProfile, VirtualCard
from kiosk.devices.bankcard.vpcd import VpcdCard
from kiosk.devices.idcard.emulator import SamEmulator
from kiosk.devices.printer.virtual import VirtualPrinter
from kiosk.remote_config.bundle import generate_keypair
from kiosk.services.demo import DemoError
from kiosk.settings import Settings, SettingsError

CENTRAL_START_TIMEOUT_S = 30
# SIGTERM lets the centre finish the requests in hand (uvicorn's graceful shutdown takes up to 5 s).
CENTRAL_STOP_TIMEOUT_S = 10
# vpcd's first slot, on the port the demo's pcscd gave it.
VPCD_READER = "Virtual PCD 00 00"
# pcscd polls vpcd about every 400 ms: a card swapped faster than that would look like the same card.
_SLOT_EMPTY_TIMEOUT_S = 5.0
# The demo hall's second kiosk, which `kiosk simulate` runs as with the settings the demo writes for it.
SCRIPTED_KIOSK = "KIOSK-DEMO-SIM"

log = logging.getLogger(__name__)


class VpcdSlot:
    """The bank card slot of the demo's pcscd: a virtual card connected to its vpcd reader."""

    def __init__(self, pcscd: PrivatePcscd) -> None:
        self.pcscd = pcscd
        self._card: VpcdCard | None = None

    def insert(self, profile: CardProfile) -> None:
        self.remove()
        self._wait_until_empty()
        card = VpcdCard(VirtualCard(profile), port=self.pcscd.vpcd_port)
        card.insert()
        self._card = card

    def remove(self) -> None:
        card, self._card = self._card, None
        if card is not None:
            card.remove()

    def _wait_until_empty(self) -> None:
        from kiosk.devices.bankcard.pcsc import PcscService

        service = PcscService()
        deadline = time.monotonic() + _SLOT_EMPTY_TIMEOUT_S
        try:
            while time.monotonic() < deadline:
                if VPCD_READER in service.readers() and not service.card_present(VPCD_READER):
                    return
                time.sleep(0.1)
        finally:
            service.disconnect()
        raise DemoError(f"the demo's vpcd reader did not report an empty slot in {_SLOT_EMPTY_TIMEOUT_S:g} s")

    def close(self) -> None:
        self.remove()
        self.pcscd.stop()


class DemoCentre:
    """The reference central as the demo's child process, which the staff panel stops and starts again.

    A restart keeps what the centre knows: the same port, so the kiosk's settings, the QR codes already
    printed and a browser's verify page stay right; the same database file, so the kiosk's terminal token,
    a signed-in citizen's session and everything filed survive. The centre's log goes to a file beside it.
    """

    def __init__(
        self, terminal_id: str, secret: Callable[[], str], operator_key: Path, data_dir: Path
    ) -> None:
        self._terminal_id = terminal_id
        self._secret = secret
        self._operator_key = operator_key
        self.database = data_dir / "centre.sqlite"
        self.log_path = data_dir / "centre.log"
        # The second kiosk `kiosk simulate` runs as (SCRIPTED_KIOSK): a secret of this demo's, kept across
        # the panel's restarts of the centre.
        self.scripted_secret = secrets.token_urlsafe(24)
        self.scripted_dir = data_dir / "scripted-kiosk"
        self.base_url = ""  # known from the first start on; a restart keeps it
        self._port = 0
        self._process: subprocess.Popen[str] | None = None
        # The panel's worker and DemoParts.close() may stop or start at the same moment.
        self._lock = threading.Lock()

    @property
    def running(self) -> bool:
        process = self._process
        return process is not None and process.poll() is None

    @property
    def process(self) -> subprocess.Popen[str] | None:
        return self._process

    def start(self) -> None:
        """Start the centre unless it runs; raises DemoError (one line: why, and where its log is)."""
        with self._lock:
            if self.running:
                return
            if self._process is not None:  # it ended by itself
                _end(self._process)
            try:
                secret = self._secret()
            except SettingsError as exc:
                raise DemoError(str(exc)) from exc
            process, base_url = start_central(
                {self._terminal_id: secret, SCRIPTED_KIOSK: self.scripted_secret},
                self._operator_key,
                port=self._port,
                database=self.database,
                log_file=self.log_path,
            )
            self._process = process
            if not self._port:
                self._port = urlsplit(base_url).port or 0
                self.base_url = base_url
                log.info("reference central on %s (its log: %s)", base_url, self.log_path)
            else:
                log.info("reference central started again on %s", base_url)

    def stop(self) -> None:
        with self._lock:
            process, self._process = self._process, None
            if process is not None:
                _end(process)
                log.info("reference central stopped")

    def forget(self) -> None:
        """Start the next demo from the synthetic data set: a database left by an earlier demo may hold a
        changed password or a used-up withdrawal, which would contradict the panel and the README. Its log
        goes too, so the log is this demo's."""
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{self.database}{suffix}").unlink(missing_ok=True)
        self.log_path.unlink(missing_ok=True)
        # The scripted kiosk's outbox holds visit tickets of the forgotten database, which would go dead.
        shutil.rmtree(self.scripted_dir, ignore_errors=True)

    def write_scripted_kiosk_settings(self, centre_id: str) -> Path:
        """Once started: settings for `kiosk simulate` as the demo hall's second kiosk, on this centre, with
        emulated readers and printer (README). Mode 0600: they hold the kiosk's secret."""
        directory = self.scripted_dir
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        path = directory / "kiosk.toml"
        # JSON strings are valid TOML basic strings for these printable values.
        text = (
            "# Written by `kiosk demo` at its start: the demo hall's second kiosk, for `kiosk simulate`.\n"
            f"[kiosk]\nid = {json.dumps(SCRIPTED_KIOSK)}\ncentre_id = {json.dumps(centre_id)}\n"
            f"data_dir = {json.dumps(str((directory / 'data').resolve()))}\n\n"
            f"[central]\nbase_url = {json.dumps(self.base_url)}\n"
            f"terminal_secret = {json.dumps(self.scripted_secret)}\n\n"
            f"[outbox]\nkey_file = {json.dumps(str((directory / 'keys' / 'outbox.key').resolve()))}\n"
            "retry_cap_s = 10\n\n"
            '[devices]\nidcard = "sim://?poll_ms=20"\nprinter = "sim://"\nbankcard = "sim://?poll_ms=20"\n'
        )
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(text)
        return path


def _end(process: subprocess.Popen[str]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=CENTRAL_STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    if process.stdout is not None:
        process.stdout.close()


@dataclass
class DemoParts:
    central: DemoCentre
    emulator: SamEmulator
    printer: VirtualPrinter
    bank_card_slot: VpcdSlot | None  # None: the kiosk's in-process reader has the slot (sim://)
    _closed: bool = field(default=False, init=False)

    @property
    def base_url(self) -> str:
        return self.central.base_url

    def last_receipt(self) -> Path | None:
        jobs = self.printer.jobs
        return jobs[-1].png if jobs else None

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self.bank_card_slot is not None:
            self.bank_card_slot.close()
        self.emulator.close()
        self.printer.stop()
        self.central.stop()


# The demo's operator: staff can sign configuration bundles with the key pair the demo makes in its data
# dir and publish them to the demo's central with `kiosk-admin` and this token (README).
DEMO_OPERATOR_TOKEN = "demo-operator-token-not-for-production"
# The console administrator the demo centre makes for itself (central_server.console.DEMO_OPERATOR): the
# demo's log prints it, so a new user can sign in to the console.
DEMO_CONSOLE_OPERATOR = ("demo-admin", "demo-console-not-for-production")
DEMO_GROUP = "demo-hall"


def demo_operator_keys(data_dir: Path) -> tuple[Path, Path]:
    directory = data_dir / "operator"
    key, pub = directory / "operator.key", directory / "operator.pub"
    if not (key.is_file() and pub.is_file()):
        key.unlink(missing_ok=True)
        pub.unlink(missing_ok=True)
        generate_keypair(directory)
    return key, pub


def start_central(
    terminals: dict[str, str],
    operator_key: Path,
    *,
    port: int = 0,
    database: Path | None = None,
    log_file: Path | None = None,
) -> tuple[subprocess.Popen[str], str]:
    """Start the reference central in demo mode on loopback, admitting `terminals` (id: secret) in the demo
    hall's group; return it and its base URL. Port 0 picks a
    free port. Without `database` it keeps its data in memory; without `log_file` it logs to this
    process's stderr. Raises DemoError saying why it did not start."""
    command = [
        sys.executable,
        "-m",
        "central_server",
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--demo",
    ]
    if database is not None:
        command += ["--db", f"sqlite:///{database.resolve()}"]
    command += ["--operator-token", DEMO_OPERATOR_TOKEN, "--operator-key", str(operator_key)]
    log_offset = 0
    log_handle: IO[str] | None = None
    if log_file is not None:
        log_handle = os.fdopen(os.open(log_file, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600), "a")
        log_offset = log_handle.seek(0, os.SEEK_END)
    # The kiosks' secrets go to the central in a file of mode 0600 (mkstemp's), never on a command line
    # that `ps` shows; the central reads it at start-up, so it is gone once the central listens.
    descriptor, terminals_file = tempfile.mkstemp(prefix="kiosk-demo-terminals-", suffix=".toml")
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            # A JSON string is a valid TOML basic string for the printable text a secret is.
            for terminal_id, secret in terminals.items():
                handle.write(
                    f"[[terminal]]\nid = {json.dumps(terminal_id)}\nsecret = {json.dumps(secret)}\n"
                    f"group = {json.dumps(DEMO_GROUP)}\n"
                )
        command += ["--terminals", terminals_file]
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=log_handle, text=True)
        assert process.stdout is not None
        deadline = time.monotonic() + CENTRAL_START_TIMEOUT_S
        line = ""
        while time.monotonic() < deadline:
            ready, _, _ = select.select([process.stdout], [], [], 0.2)
            if ready:
                line = process.stdout.readline()
                break
            if process.poll() is not None:
                break
    finally:
        os.unlink(terminals_file)
        if log_handle is not None:
            log_handle.close()
    if not line.startswith("listening on "):
        process.kill()
        process.wait()
        process.stdout.close()
        where = f" (its log: {log_file})" if log_file is not None else ""
        raise DemoError(f"the reference central did not start: {_why(process, log_file, log_offset)}{where}")
    os.set_blocking(process.stdout.fileno(), False)
    return process, line.removeprefix("listening on ").strip()


def _why(process: subprocess.Popen[str], log_file: Path | None, log_offset: int) -> str:
    """The centre's own one-line complaint (`kiosk-central: ...`) from this start's part of its log, or
    the last line it wrote, or what little is known without a log."""
    if process.returncode == -9:  # killed above: it neither listened nor ended in time
        return f"it did not say it was listening within {CENTRAL_START_TIMEOUT_S} s"
    lines: list[str] = []
    if log_file is not None:
        with log_file.open(encoding="utf-8", errors="replace") as handle:
            handle.seek(log_offset)
            lines = [line.strip() for line in handle if line.strip()]
    prefix = "kiosk-central: "
    complaints = [line.removeprefix(prefix) for line in lines if line.startswith(prefix)]
    if complaints:
        return complaints[-1]
    last = lines[-1] if lines else f"it ended with exit status {process.returncode}"
    if not lines or last.startswith(("ModuleNotFoundError", "ImportError")):
        last += " (is the server extra installed? run `./run setup`)"
    return last


def _move_old_outbox_key(settings: Settings) -> None:
    # A demo data dir from before `outbox.key_file` holds its outbox's key; without the move the outbox
    # would refuse to open (its rows need that key).
    old, new = settings.kiosk.data_dir / "outbox.key", settings.outbox.key_file
    if old.is_file() and old != new and not new.exists():
        new.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        old.rename(new)


def start_bank_card_slot(data_dir: Path) -> VpcdSlot | None:
    """A pcscd of the demo's own with vpcd as its reader, or None (then the demo uses sim://)."""
    try:
        pcscd = PrivatePcscd(data_dir / "pcscd")
        pcscd.start()
    except (PcscdError, OSError) as exc:
        log.warning(
            "no pcscd for the demo's bank card reader (%s); using the in-process reader (sim://) instead", exc
        )
        return None
    # The kiosk's PC/SC client library reads the socket's name once, at its first context, which is later.
    os.environ.update(pcscd.env)
    log.info(
        "bank card reader: the demo's own pcscd, vpcd on port %d (pcscd's log: %s)",
        pcscd.vpcd_port,
        pcscd.log_path,
    )
    return VpcdSlot(pcscd)


def start_demo_parts(settings: Settings) -> tuple[Settings, DemoParts]:
    """Start the central and the emulated readers; return settings pointing at them."""
    _move_old_outbox_key(settings)
    _key, operator_pub = demo_operator_keys(settings.kiosk.data_dir)
    central = DemoCentre(settings.kiosk.id, settings.central.secret, operator_pub, settings.kiosk.data_dir)
    central.forget()
    central.start()
    scripted = central.write_scripted_kiosk_settings(settings.kiosk.centre_id)
    log.info("settings for `kiosk simulate` as the hall's second kiosk: %s", scripted)
    try:
        emulator = SamEmulator()
    except OSError as exc:
        central.stop()
        raise DemoError(f"cannot open a pseudo-terminal for the ID card emulator: {exc.strerror}") from exc
    printer = VirtualPrinter(out_dir=settings.kiosk.data_dir / "receipts", port=0).start()
    bank_card_slot = start_bank_card_slot(settings.kiosk.data_dir)
    parts = DemoParts(central, emulator, printer, bank_card_slot)
    demo_settings = settings.with_overrides(
        central={"base_url": central.base_url},
        devices={
            "idcard": f"sam+serial://{emulator.path}?baud=115200&poll_ms=250",
            "printer": printer.url,
            "bankcard": "pcsc://?reader=Virtual" if bank_card_slot else "sim://",
        },
        remote={"operator_keys": [operator_pub], "group": DEMO_GROUP, "poll_interval_s": 10},
    )
    return demo_settings, parts
