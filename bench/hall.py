"""A service hall on loopback for the benches that serve visits through `kiosk simulate`'s kiosk.

The reference centre (`kiosk-central serve --demo`), the virtual printer (`kiosk devices printer emulate`)
and, for bench/day.py, a network link the bench cuts and restores (bench/network_link.py) each run as a
process of their own, so the resources a bench reads from /proc/self are the kiosk's alone: an in-thread
centre would add its in-memory database, which grows with every visit, to the bench's process.
Used by bench/soak.py and bench/day.py.
"""

from __future__ import annotations

import gc
import os
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from central_server.terminals import DEMO_TERMINALS

REPO = Path(__file__).resolve().parents[1]

# The demo kiosk, whose published secret `kiosk-central serve --demo` accepts.
[(TERMINAL, SECRET)] = DEMO_TERMINALS.items()
START_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 10.0
SETTINGS = """\
[kiosk]
id = "{terminal}"
centre_id = "00012000"
data_dir = "{directory}/data"

[central]
base_url = "{base_url}"
terminal_secret = "{secret}"

[outbox]
key_file = "{directory}/keys/outbox.key"
{outbox_more}
[devices]
idcard = "sim://?poll_ms=20"
bankcard = "sim://?poll_ms=20"
printer = "{printer}"
"""


@dataclass(frozen=True)
class Usage:
    rss_kb: int
    threads: int
    fds: int

    def as_json(self) -> dict[str, float | int]:
        return {"rss_mb": round(self.rss_kb / 1024, 1), "threads": self.threads, "fds": self.fds}


def usage() -> Usage:
    """This process's resident memory, threads and open descriptors, after a full garbage collection."""
    gc.collect()
    status = Path("/proc/self/status").read_text(encoding="ascii")
    fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
    return Usage(
        rss_kb=int(fields["VmRSS"].split()[0]),
        threads=int(fields["Threads"]),
        fds=len(os.listdir("/proc/self/fd")),
    )


def open_files() -> Counter[str]:
    """What this process's descriptors are open on: a file's path, `tcp 127.0.0.1:PORT` for a TCP
    socket's far end (`tcp listening` for a listener), or the kind of anything else (pipe, eventfd, ...),
    with how many of each: between two points, it names what a growth in descriptors is."""
    peers: dict[str, str] = {}
    for table in ("/proc/self/net/tcp", "/proc/self/net/tcp6"):
        for row in Path(table).read_text(encoding="ascii").splitlines()[1:]:
            fields = row.split()
            host, port = fields[2].rsplit(":", 1)
            peers[fields[9]] = "tcp listening" if fields[3] == "0A" else f"tcp {_ip(host)}:{int(port, 16)}"
    found: Counter[str] = Counter()
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue  # closed since it was listed (the listing's own descriptor, among others)
        if target.startswith("socket:["):
            target = peers.get(target[8:-1], "socket (not TCP)")
        elif not target.startswith("/"):
            target = target.split(":[")[0]
        found[target] += 1
    return found


def _ip(hex_host: str) -> str:
    if len(hex_host) == 8:  # IPv4, little-endian
        return ".".join(str(int(hex_host[i : i + 2], 16)) for i in (6, 4, 2, 0))
    return "ipv6"


def start(command: list[str], log: Path, *, stdin: int | None = None) -> subprocess.Popen[bytes]:
    """Start a loopback server of the project's; its output goes to `log`, read by no one unless something
    goes wrong."""
    with log.open("wb") as out:
        return subprocess.Popen(command, stdin=stdin, stdout=out, stderr=subprocess.STDOUT, cwd=REPO)


def address(process: subprocess.Popen[bytes], log: Path) -> str:
    """The address a started server's first line names ("listening on ADDRESS ..."), once it has."""
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline and process.poll() is None:
        for line in log.read_text(encoding="utf-8", errors="replace").splitlines():
            if line.startswith("listening on "):
                return line.split()[2]
        time.sleep(0.05)
    process.kill()
    raise SystemExit(f"{log.stem} did not start; its output is in {log}")


def serve(command: list[str], log: Path, *, stdin: int | None = None) -> tuple[subprocess.Popen[bytes], str]:
    process = start(command, log, stdin=stdin)
    return process, address(process, log)


def serve_centre_and_printer(
    directory: Path, *options: str, sign_in_window_s: int | None = None
) -> tuple[tuple[subprocess.Popen[bytes], str], tuple[subprocess.Popen[bytes], str]]:
    """The demo centre (with `options`, and with its default limits or `sign_in_window_s` as its window of
    failed sign-ins per terminal) and the virtual printer, started together: each takes seconds."""
    if sign_in_window_s is not None:
        options = (*options, "--sign-in-window-s", str(sign_in_window_s))
    centre_log, printer_log = directory / "centre.log", directory / "printer.log"
    centre_command = [sys.executable, "-m", "central_server", "serve", "--demo", "--port", "0", *options]
    centre = start(centre_command, centre_log)
    printer_command = [sys.executable, "-m", "kiosk", "devices", "printer", "emulate", "--port", "0"]
    printer = start([*printer_command, "--out", str(directory / "receipts")], printer_log)
    try:
        return (centre, address(centre, centre_log)), (printer, address(printer, printer_log))
    except SystemExit:
        for process in (centre, printer):
            process.kill()
        raise


def write_settings(
    directory: Path, *, base_url: str, printer_url: str, outbox_more: str = "", more: str = ""
) -> Path:
    """The kiosk's settings file: the demo terminal, emulated readers, the virtual printer;
    `outbox_more` adds lines to its [outbox] section, `more` adds sections after the others (TOML)."""
    path = directory / "kiosk.toml"
    text = SETTINGS.format(
        terminal=TERMINAL,
        directory=directory,
        base_url=base_url,
        secret=SECRET,
        printer=printer_url,
        outbox_more=outbox_more,
    )
    path.write_text(text + more, encoding="utf-8")
    return path


def stop(*processes: subprocess.Popen[bytes]) -> None:
    for process in processes:
        process.terminate()
        process.wait(timeout=STOP_TIMEOUT_S)
