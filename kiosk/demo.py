"""`kiosk demo`: the kiosk with everything it talks to running on this machine.

The reference central runs as a child process on loopback (the kiosk never imports it), and the ID card
reader is the SAM-protocol emulator on a pseudo-terminal, read through the real serial driver. The bank card
reader is a pcscd of the demo's own with vsmartcard's vpcd as its reader, read through the real PC/SC
driver; where pcscd cannot run, it is the in-process reader (``sim://``).
"""

from __future__ import annotations

import json
import logging
import os
import select
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from kiosk.devices.bankcard.pcscd import PcscdError, PrivatePcscd
from kiosk.devices.bankcard.virtual_card import CardProfile, VirtualCard
from kiosk.devices.bankcard.vpcd import VpcdCard
from kiosk.devices.idcard.emulator import SamEmulator
from kiosk.devices.printer.virtual import VirtualPrinter
from kiosk.remote_config.bundle import generate_keypair
from kiosk.settings import Settings

CENTRAL_START_TIMEOUT_S = 30
# vpcd's first slot, on the port the demo's pcscd gave it.
VPCD_READER = "Virtual PCD 00 00"
# pcscd polls vpcd about every 400 ms: a card swapped faster than that would look like the same card.
_SLOT_EMPTY_TIMEOUT_S = 5.0

log = logging.getLogger(__name__)


class DemoError(Exception):
    """The demo could not start one of its parts; `str()` says which and what to do."""


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


@dataclass
class DemoParts:
    central: subprocess.Popen[str]
    base_url: str
    emulator: SamEmulator
    printer: VirtualPrinter
    bank_card_slot: VpcdSlot | None  # None: the kiosk's in-process reader has the slot (sim://)
    _closed: bool = field(default=False, init=False)

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
        self.central.terminate()
        try:
            self.central.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.central.kill()


# The demo's operator: staff can sign configuration bundles with the key pair the demo makes in its data
# dir and publish them to the demo's central with `kiosk-admin` and this token (README).
DEMO_OPERATOR_TOKEN = "demo-operator-token-not-for-production"
DEMO_GROUP = "demo-hall"


def demo_operator_keys(data_dir: Path) -> tuple[Path, Path]:
    directory = data_dir / "operator"
    key, pub = directory / "operator.key", directory / "operator.pub"
    if not (key.is_file() and pub.is_file()):
        key.unlink(missing_ok=True)
        pub.unlink(missing_ok=True)
        generate_keypair(directory)
    return key, pub


def start_central(terminal_id: str, secret: str, operator_key: Path) -> tuple[subprocess.Popen[str], str]:
    command = [
        sys.executable,
        "-m",
        "central_server",
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        "0",
        "--demo",
    ]
    command += ["--operator-token", DEMO_OPERATOR_TOKEN, "--operator-key", str(operator_key)]
    # The kiosk's secret goes to the central in a file of mode 0600 (mkstemp's), never on a command line
    # that `ps` shows; the central reads it at start-up, so it is gone once the central listens.
    descriptor, terminals_file = tempfile.mkstemp(prefix="kiosk-demo-terminals-", suffix=".toml")
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            # A JSON string is a valid TOML basic string for the printable text a secret is.
            handle.write(
                f"[[terminal]]\nid = {json.dumps(terminal_id)}\nsecret = {json.dumps(secret)}\n"
                f"group = {json.dumps(DEMO_GROUP)}\n"
            )
        command += ["--terminals", terminals_file]
        process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
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
    if not line.startswith("listening on "):
        process.kill()
        raise DemoError(
            "the reference central did not start (is the server extra installed? run `./run setup`)"
        )
    os.set_blocking(process.stdout.fileno(), False)
    return process, line.removeprefix("listening on ").strip()


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
    central, base_url = start_central(settings.kiosk.id, settings.central.secret(), operator_pub)
    try:
        emulator = SamEmulator()
    except OSError as exc:
        central.kill()
        raise DemoError(f"cannot open a pseudo-terminal for the ID card emulator: {exc.strerror}") from exc
    printer = VirtualPrinter(out_dir=settings.kiosk.data_dir / "receipts", port=0).start()
    bank_card_slot = start_bank_card_slot(settings.kiosk.data_dir)
    parts = DemoParts(central, base_url, emulator, printer, bank_card_slot)
    demo_settings = settings.with_overrides(
        central={"base_url": base_url},
        devices={
            "idcard": f"sam+serial://{emulator.path}?baud=115200&poll_ms=250",
            "printer": printer.url,
            "bankcard": "pcsc://?reader=Virtual" if bank_card_slot else "sim://",
        },
        remote={"operator_keys": [operator_pub], "group": DEMO_GROUP, "poll_interval_s": 10},
    )
    return demo_settings, parts
