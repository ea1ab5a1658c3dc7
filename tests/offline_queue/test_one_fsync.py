"""One enqueue, one fsync: the child's system calls are counted with strace between two markers."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ENQUEUES = 50
CHILD = f"""
import os, sys
sys.path.insert(0, {str(Path(__file__).resolve().parents[2])!r})
from kiosk.offline_queue import Outbox
outbox = Outbox.open(sys.argv[1])
payload = {{"category": "suggestion", "text": "测试建议"}}
outbox.enqueue("complaint_suggestion", payload)
os.write(2, b"MARK-START\\n")
for _ in range({ENQUEUES}):
    outbox.enqueue("complaint_suggestion", payload)
os.write(2, b"MARK-END\\n")
"""


def test_each_enqueue_costs_exactly_one_sync_to_disk(tmp_path: Path) -> None:
    trace = tmp_path / "trace"
    strace = ["strace", "-f", "-e", "trace=fsync,fdatasync,sync_file_range,write", "-o", str(trace)]
    subprocess.run(
        [*strace, sys.executable, "-c", CHILD, str(tmp_path / "outbox")],
        check=True,
        timeout=120,
        capture_output=True,
    )
    lines = trace.read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if "MARK-START" in line)
    end = next(i for i, line in enumerate(lines) if "MARK-END" in line)
    syncs = [line for line in lines[start:end] if "sync" in line.split("(")[0]]
    assert len(syncs) == ENQUEUES, syncs[:5]
