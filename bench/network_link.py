"""The hall's line to the centre for bench/day.py: tests/e2e/link.py's Link (a TCP relay on loopback that
resets every connection it carries when cut) in a process of its own, so its threads are not counted
among the kiosk's.

    python bench/network_link.py UPSTREAM_URL

It prints `listening on URL` (the address the kiosk's settings give as the centre's), then reads lines
on stdin: `cut` or `restore`, each answered with a line `cut` or `restored` once done. End of input ends
it.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.e2e.link import Link


def main() -> int:
    with Link(sys.argv[1]) as link:
        print(f"listening on {link.url}", flush=True)
        for line in sys.stdin:
            command = line.strip()
            if command == "cut":
                link.cut()
                print("cut", flush=True)
            elif command == "restore":
                link.restore()
                print("restored", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
