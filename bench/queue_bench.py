"""Outbox benchmarks, side by side in one run: durable enqueue, next-batch fetch, drain to the centre.

    python bench/queue_bench.py [--quick] --json

Durable enqueue of ~1 KB items: this outbox against raw sqlite3 (WAL, synchronous=FULL, one transaction per
item) doing the bare insert ("raw") and doing the outbox's own work by hand ("same_work": the same JSON,
AES-GCM, digest, table and indexes), and against persist-queue's SQLiteAckQueue; variants interleaved
round-robin and the median taken. Fetch: the next due batch of 100 at 1k and 100k pending rows. Drain: a
10k backlog into the reference central on loopback through the forwarder, against one request per item.
All data is synthetic.
"""

from __future__ import annotations

import argparse
import hmac
import json
import os
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from central_server.app import create_app
from central_server.testing import serve_in_thread
from kiosk.central import CentralClient
from kiosk.central.sequence import SequenceCounter
from kiosk.offline_queue import Forwarder, Outbox
from kiosk.offline_queue.backoff import RetryPolicy
from kiosk.offline_queue.bounds import BoundsPolicy

TERMINAL, SECRET = "KIOSK-BENCH-01", "bench-secret-synthetic"
# Big enough that no bound refuses anything while measuring.
UNBOUNDED = BoundsPolicy(max_rows=10_000_000, max_bytes=10**12)


KIND = "complaint_suggestion"


def _payload(i: int) -> dict[str, object]:
    """A ~1 KB suggestion the centre accepts (synthetic text: the size is what matters here)."""
    return {"category": "suggestion", "text": f"测试建议 {i:08d} " + "x" * 960}


def _raw_sqlite(directory: Path, n: int) -> float:
    """A table and indexes like the outbox's written with the bare driver, one autocommitted INSERT of a
    plain JSON body per item: the durable write itself."""
    connection = sqlite3.connect(directory / "raw.sqlite3", isolation_level=None)
    connection.execute("PRAGMA journal_mode = WAL")
    connection.execute("PRAGMA synchronous = FULL")
    connection.execute(
        "CREATE TABLE q (id INTEGER PRIMARY KEY, idem TEXT NOT NULL UNIQUE, kind TEXT, created INTEGER,"
        " attempts INTEGER, next_at INTEGER, state TEXT, key_id TEXT, body BLOB, size INTEGER)"
    )
    connection.execute("CREATE INDEX q_state_id ON q (state, id)")
    # Random keys like the outbox's (uuid4), so both pay for the same unique-index inserts.
    items = [(uuid.uuid4().hex, json.dumps(_payload(i)).encode()) for i in range(n)]
    start = time.perf_counter()
    for row_id, (key, body) in enumerate(items, 1):
        now = int(time.time() * 1000)
        connection.execute(
            "INSERT INTO q VALUES (?, ?, 'complaint_suggestion', ?, 0, ?, 'pending', 'k1', ?, ?)",
            (row_id, key, now, now, body, len(body)),
        )
    elapsed = time.perf_counter() - start
    connection.close()
    return n / elapsed


def _same_work(directory: Path, n: int) -> float:
    """What the outbox does per enqueue, written by hand on the bare driver with the same durability: a
    random key, canonical JSON, the keyed digest, AES-GCM under a fresh nonce bound to key and kind, a
    time-ordered id, and one autocommitted INSERT into the outbox's own table and indexes. The ratio to
    this is what the outbox's own code costs."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    from sqlalchemy.dialects import sqlite
    from sqlalchemy.schema import CreateIndex, CreateTable

    from kiosk.offline_queue.tables import outbox as table

    connection = sqlite3.connect(directory / "same.sqlite3", isolation_level=None)
    connection.execute("PRAGMA journal_mode = WAL")
    connection.execute("PRAGMA synchronous = FULL")
    connection.execute("PRAGMA secure_delete = ON")
    connection.execute(str(CreateTable(table).compile(dialect=sqlite.dialect())))
    for index in table.indexes:
        connection.execute(str(CreateIndex(index).compile(dialect=sqlite.dialect())))
    aead, digest_key = AESGCM(AESGCM.generate_key(bit_length=256)), os.urandom(32)
    insert = (
        "INSERT INTO outbox (id, idempotency_key, kind, created_at, attempts, blamed_failures,"
        " next_attempt_at, state, key_id, payload, size, payload_digest)"
        " VALUES (?, ?, ?, ?, 0, 0, ?, 'pending', 'k0000001', ?, ?, ?)"
    )
    items = [_payload(i) for i in range(n)]
    last = 0
    start = time.perf_counter()
    for item in items:
        key = os.urandom(16).hex()
        plaintext = json.dumps(item, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()
        digest = hmac.digest(digest_key, KIND.encode() + b"\0" + plaintext, "sha256")[:16]
        nonce = os.urandom(12)
        blob = nonce + aead.encrypt(nonce, plaintext, f"{key}|{KIND}".encode())
        now = int(time.time() * 1000)
        last = max(now << 16, last + 1)
        connection.execute(insert, (last, key, KIND, now, now, blob, len(blob), digest))
    elapsed = time.perf_counter() - start
    connection.close()
    return n / elapsed


def _persist_queue(directory: Path, n: int) -> float:
    import persistqueue

    queue = persistqueue.SQLiteAckQueue(str(directory / "pq"), multithreading=True)
    items = [_payload(i) for i in range(n)]
    start = time.perf_counter()
    for item in items:
        queue.put(item)
    elapsed = time.perf_counter() - start
    return n / elapsed


def _outbox(directory: Path, n: int) -> float:
    outbox = Outbox.open(directory / "outbox", bounds=UNBOUNDED)
    items = [_payload(i) for i in range(n)]
    start = time.perf_counter()
    for item in items:
        outbox.enqueue(KIND, item)
    elapsed = time.perf_counter() - start
    outbox.close()
    return n / elapsed


def enqueue_rates(n: int, reps: int, scratch: Path) -> dict[str, float]:
    variants: dict[str, Callable[[Path, int], float]] = {
        "outbox": _outbox,
        "raw": _raw_sqlite,
        "same_work": _same_work,
        "persist_queue": _persist_queue,
    }
    rates: dict[str, list[float]] = {name: [] for name in variants}
    names = list(variants)
    for rep in range(reps):
        # Rotate the order so no variant always runs first (cold cache) or last.
        for name in names[rep % len(names) :] + names[: rep % len(names)]:
            with tempfile.TemporaryDirectory(dir=scratch) as directory:
                rates[name].append(variants[name](Path(directory), n))
    return {name: statistics.median(values) for name, values in rates.items()}


def _filled(directory: Path, n: int) -> Outbox:
    """An outbox holding `n` pending ~1 KB rows, reopened so its counts are read from the file."""
    outbox = Outbox.open(directory, bounds=UNBOUNDED)
    _fill(outbox, n)
    outbox.close()
    return Outbox.open(directory, bounds=UNBOUNDED)


def _fill(outbox: Outbox, n: int) -> None:
    # Seeding the backlog is not what is measured: one transaction per 1000 rows, through the outbox's own
    # enqueue would take minutes at one fsync per row, so the rows are copied in bulk from one template.
    from sqlalchemy import insert, select

    from kiosk.offline_queue.tables import outbox as table

    outbox.enqueue(KIND, _payload(0))
    conn = outbox._conn
    template = conn.execute(select(table).limit(1)).mappings().one()
    conn.commit()
    base = template["id"]
    plaintext = json.dumps(_payload(0)).encode()
    rows = []
    for i in range(1, n):
        row = dict(template)
        row["id"] = base + i
        row["idempotency_key"] = key = f"{template['idempotency_key']}-{i}"
        row["key_id"], row["payload"] = outbox._keys.seal(plaintext, f"{key}|{KIND}".encode())
        rows.append(row)
    for start in range(0, len(rows), 1000):
        conn.execute(insert(table), rows[start : start + 1000])
        conn.commit()
    conn.exec_driver_sql("ANALYZE")


def fetch_ms(backlog: int, scratch: Path, reps: int = 15) -> float:
    """Median time to fetch the next due batch of 100 (the claim's SELECT) with `backlog` pending rows."""
    from sqlalchemy import select

    from kiosk.offline_queue.tables import outbox as table

    with tempfile.TemporaryDirectory(dir=scratch) as directory:
        outbox = _filled(Path(directory), backlog)
        c = table.c
        query = (
            select(c.id, c.idempotency_key, c.kind, c.created_at, c.attempts, c.next_attempt_at)
            .add_columns(c.key_id, c.payload, c.size)
            .where(c.state == "pending")
            .order_by(c.id)
            .limit(100)
        )
        times = []
        for _ in range(reps):
            start = time.perf_counter()
            rows = outbox._conn.execute(query).all()
            times.append((time.perf_counter() - start) * 1000)
            outbox._conn.commit()
            assert len(rows) == 100
        outbox.close()
    return statistics.median(times)


def drain_rates(backlog: int, single_items: int, scratch: Path) -> tuple[float, float]:
    """Items/s draining `backlog` through the forwarder (batches of 100), and items/s sending
    `single_items` one request each (batch_size=1), both into the same reference central."""
    app = create_app(terminals={TERMINAL: SECRET})
    with serve_in_thread(app) as server, tempfile.TemporaryDirectory(dir=scratch) as directory:
        results = []
        for name, n, batch in (("batched", backlog, 100), ("single", single_items, 1)):
            client = CentralClient(
                server.base_url,
                terminal_id=TERMINAL,
                centre_id="00012000",
                secret=SECRET,
                sequence=SequenceCounter(Path(directory) / f"seq-{name}"),
            )
            outbox = _filled(Path(directory) / name, n)
            forwarder = Forwarder(outbox, client, batch_size=batch, retry=RetryPolicy(base_s=0.01, cap_s=0.1))
            forwarder.step()  # log in and settle the first batch outside the timing
            start = time.perf_counter()
            # step() answers 0 while it sends; with nothing left it probes and says how long to idle.
            while forwarder.step() == 0.0:
                pass
            results.append((n - batch) / (time.perf_counter() - start))
            if outbox.usage().rows:
                raise SystemExit(f"drain left {outbox.usage().rows} rows undelivered")
            outbox.close()
            client.close()
    return results[0], results[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller runs; finishes in under 90 s")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--scratch", type=Path, default=None, help="where to put the databases")
    args = parser.parse_args()
    n, reps = (1000, 3) if args.quick else (5000, 5)
    scratch = args.scratch or Path(tempfile.gettempdir())
    rates = enqueue_rates(n, reps, scratch)
    fetch_1k = fetch_ms(1_000, scratch)
    fetch_100k = fetch_ms(100_000, scratch)
    drain, single = drain_rates(10_000, 500 if args.quick else 2000, scratch)
    result = {
        "enqueue_per_s": round(rates["outbox"]),
        "raw_sqlite_per_s": round(rates["raw"]),
        "same_work_per_s": round(rates["same_work"]),
        "persist_queue_per_s": round(rates["persist_queue"]),
        "ratio_vs_raw": round(rates["outbox"] / rates["raw"], 3),
        "ratio_vs_same_work": round(rates["outbox"] / rates["same_work"], 3),
        "ratio_vs_persist_queue": round(rates["outbox"] / rates["persist_queue"], 3),
        "fetch_ms_1k": round(fetch_1k, 4),
        "fetch_ms_100k": round(fetch_100k, 4),
        "drain_per_s": round(drain),
        "drain_ratio_vs_single": round(drain / single, 2),
    }
    if args.json:
        print(json.dumps(result))
    else:
        for name, value in result.items():
            print(f"{name:24} {value}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
