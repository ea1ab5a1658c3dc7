"""One enqueue, one fsync: the child's system calls are counted with strace between markers around each
enqueue, also right after a delivery (whose checkpoint empties the WAL)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ENQUEUES = 50
CHILD = f"""
import os, sys
sys.path.insert(0, {str(Path(__file__).resolve().parents[2])!r})
from kiosk.offline_queue import Outbox
from kiosk.offline_queue.outbox import Answer
outbox = Outbox.open(sys.argv[1])
payload = {{"category": "suggestion", "text": "测试建议"}}
outbox.enqueue("complaint_suggestion", payload)
for i in range({ENQUEUES}):
    os.write(2, b"MARK-START\\n")
    outbox.enqueue("complaint_suggestion", payload)
    os.write(2, b"MARK-END\\n")
    if i % 10 == 9:
        # What the forwarder does within seconds when the centre is reachable.
        items, _ = outbox.claim(100)
        outbox.record_answers(items, [Answer("accepted")] * len(items))
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
    syncs_per_enqueue, inside = [], False
    for line in trace.read_text().splitlines():
        if "MARK-START" in line:
            inside = True
            syncs_per_enqueue.append(0)
        elif "MARK-END" in line:
            inside = False
        elif inside and "sync" in line.split("(")[0]:
            syncs_per_enqueue[-1] += 1
    assert syncs_per_enqueue == [1] * ENQUEUES
