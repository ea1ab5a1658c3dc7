"""Start-up time of the kiosk against a bare Kivy window, measured side by side in one run.

    bench/startup.py [--runs 5] [--json]

Each sample is a fresh process, timed from just before it is launched to its first drawn frame (for the
kiosk: the attract screen). Kiosk and bare runs alternate so machine noise hits both alike; one warm-up
run of each is not counted (it fills the OS file cache, the bytecode cache and the kiosk's one-time font
extraction, which a deployed kiosk has done long before). Starts its own Xvfb when DISPLAY is unset. Goal:
ratio <= 1.5.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


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


def sample(kind: str, data_dir: Path, env: dict[str, str]) -> dict[str, float]:
    args = [sys.executable, str(HERE / "startup_child.py"), kind, str(data_dir)]
    launched = time.time()
    result = subprocess.run(
        args, env={**env, "BENCH_LAUNCHED_AT": repr(launched)}, capture_output=True, text=True, timeout=120
    )
    lines = [line for line in result.stdout.splitlines() if line.startswith("{")]
    if result.returncode != 0 or not lines:
        sys.exit(f"bench/startup.py: the {kind} run failed:\n{result.stderr[-2000:]}")
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
            sample("kiosk", data_dir, env)
            sample("bare", data_dir, env)
            kiosk, bare = [], []
            for _ in range(args.runs):
                kiosk.append(sample("kiosk", data_dir, env))
                bare.append(sample("bare", data_dir, env))
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
