"""The privacy test's kiosk: delivers the first withdrawals of a list to the centre, enqueues the rest,
says "ready", and waits to be SIGKILLed (a crash: nothing is closed or checkpointed on the way out). The list
is JSON: [{"payload", "visit_ticket"}], each withdrawal with its visit's ticket.

    python scrub_worker.py DATA_DIR KEY_FILE CENTRAL_URL TERMINAL_ID SECRET FILED_JSON DELIVER
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from kiosk.central import CentralClient
from kiosk.central.sequence import SequenceCounter
from kiosk.offline_queue import Forwarder, Outbox


def main() -> None:
    data_dir, key_file, url, terminal_id, secret, filed_file, deliver = sys.argv[1:8]
    filed = json.loads(Path(filed_file).read_text(encoding="utf-8"))
    outbox = Outbox.open(Path(data_dir), key_file=Path(key_file))
    client = CentralClient(
        url,
        terminal_id=terminal_id,
        centre_id="00012000",
        secret=secret,
        sequence=SequenceCounter(Path(data_dir) / "sequence"),
        timeout_s=10,
    )
    for entry in filed[: int(deliver)]:
        outbox.enqueue("withdrawal_application", entry["payload"], visit_ticket=entry["visit_ticket"])
    forwarder = Forwarder(outbox, client, batch_size=7)
    deadline = time.monotonic() + 60
    while outbox.usage().rows and time.monotonic() < deadline:
        forwarder.step()
    for entry in filed[int(deliver) :]:
        outbox.enqueue("withdrawal_application", entry["payload"], visit_ticket=entry["visit_ticket"])
    print("ready", flush=True)
    time.sleep(600)


if __name__ == "__main__":
    main()
