"""Start-up time of the kiosk against a bare Kivy window, measured side by side in one run.

    bench/startup.py [--runs 5] [--json]

Each sample is a fresh process, timed from just before it is launched to its first drawn frame. The kiosk
is the command a service manager starts, `python -m kiosk run --config FILE` (the settings are written here:
the demo's simulated devices, a 540x960 window), timed to the line it logs when its first frame (the
attract screen) is drawn, then stopped with SIGTERM; the bare window is bench/startup_child.py, the same
size. Kiosk and bare runs alternate so machine noise hits both alike; one warm-up run of each is not counted
(it fills the OS file cache, the bytecode cache and the kiosk's one-time font extraction, which a deployed
kiosk has done long before). Starts its own Xvfb when DISPLAY is unset. Goal: ratio <= 1.5.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
# Logged by KioskApp (kiosk/app.py) when its first frame is drawn.
FIRST_FRAME = "first frame drawn"
# Nothing listens at the central's address: the kiosk is stopped before its background start would call it.
KIOSK_SETTINGS = """\
[kiosk]
id = "KIOSK-BENCH-01"
centre_id = "00012000"
data_dir = "data"

[central]
base_url = "http://127.0.0.1:9"
terminal_secret = "bench-secret-not-for-production"

[devices]
idcard = "sim://"
printer = "sim://"

[display]
width = 540
height = 960
fullscreen = false

[outbox]
key_file = "keys/outbox.key"
"""


def start_xvfb() -> tuple[subprocess.Popen[bytes], str]:
    xvfb = shutil.which("Xvfb")
    if xvfb is None:
        sys.exit("bench/startup.py: Xvfb is missing; run deploy/install-system-packages.sh")
    read_fd, write_fd = os.pipe()
    process = subprocess.Popen(
        [xvfb, "-displayfd", str(write_fd), "-screen", "0", "1600x1200x24", "-nolisten", "tcp"],
        pass_fds=(write_fd,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write_fd)
    with os.fdopen(read_fd) as pipe:
        return process, ":" + pipe.readline().strip()


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmHWM for process {pid}")


def sample_kiosk(settings: Path, env: dict[str, str]) -> dict[str, float]:
    args = [sys.executable, "-m", "kiosk", "run", "--config", str(settings)]
    launched = time.time()
    process = subprocess.Popen(
        args, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    watchdog = threading.Timer(120, process.kill)
    watchdog.start()
    try:
        assert process.stderr is not None
        log = []
        for line in process.stderr:
            if FIRST_FRAME in line:
                result = {"seconds": time.time() - launched, "peak_rss_mb": peak_rss_mb(process.pid)}
                break
            log.append(line)
        else:
            sys.exit(f"bench/startup.py: the kiosk ended before its first frame:\n{''.join(log)[-2000:]}")
        process.send_signal(signal.SIGTERM)  # as a service manager stops it
        rest = process.stderr.read()
        if process.wait() != 0:
            sys.exit(f"bench/startup.py: the kiosk did not stop cleanly:\n{rest[-2000:]}")
    finally:
        watchdog.cancel()
    return result


def sample_bare(env: dict[str, str]) -> dict[str, float]:
    args = [sys.executable, str(HERE / "startup_child.py")]
    launched = time.time()
    result = subprocess.run(
        args, env={**env, "BENCH_LAUNCHED_AT": repr(launched)}, capture_output=True, text=True, timeout=120
    )
    lines = [line for line in result.stdout.splitlines() if line.startswith("{")]
    if result.returncode != 0 or not lines:
        sys.exit(f"bench/startup.py: the bare run failed:\n{result.stderr[-2000:]}")
    return json.loads(lines[-1])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--json", action="store_true", help="print only the JSON result")
    args = parser.parse_args()

    env = dict(os.environ)
    xvfb = None
    if not env.get("DISPLAY"):
        xvfb, env["DISPLAY"] = start_xvfb()
    try:
        with tempfile.TemporaryDirectory(prefix="kiosk-bench-") as tmp:
            data_dir = Path(tmp)
            # A deployed kiosk runs from compiled bytecode (pip writes it at install). Where writing it is
            # turned off (PYTHONDONTWRITEBYTECODE), every run would compile the kiosk's modules afresh, while
            # Kivy's come compiled from site-packages. The warm-up runs write both into one private cache.
            env.pop("PYTHONDONTWRITEBYTECODE", None)
            env["PYTHONPYCACHEPREFIX"] = str(data_dir / "pycache")
            settings = data_dir / "kiosk.toml"
            settings.write_text(KIOSK_SETTINGS, encoding="utf-8")
            sample_kiosk(settings, env)
            sample_bare(env)
            kiosk, bare = [], []
            for _ in range(args.runs):
                kiosk.append(sample_kiosk(settings, env))
                bare.append(sample_bare(env))
    finally:
        if xvfb is not None:
            xvfb.terminate()
    startup = statistics.median(s["seconds"] for s in kiosk)
    bare_s = statistics.median(s["seconds"] for s in bare)
    result = {
        "startup_s": round(startup, 3),
        "bare_kivy_s": round(bare_s, 3),
        "ratio": round(startup / bare_s, 2),
        "peak_rss_mb": round(max(s["peak_rss_mb"] for s in kiosk), 1),
    }
    if not args.json:
        print(f"kiosk runs: {[round(s['seconds'], 3) for s in kiosk]}")
        print(f"bare runs:  {[round(s['seconds'], 3) for s in bare]}")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
