"""`kiosk queue status | list | retry | purge` in a real child process, on a real outbox file."""

from __future__ import annotations

import json
import random
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk.offline_queue import Outbox
from kiosk.offline_queue.database import DB_FILE_NAME
from kiosk.offline_queue.outbox import Answer

from .synthetic import rating, withdrawal

HARNESS = Path(__file__).with_name("cli_harness.py")


def _queue(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(HARNESS), "queue", *args], capture_output=True, text=True, timeout=60
    )


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """Four rows: delivered long ago, dead (rejected), and two pending withdrawals."""
    rng = random.Random(21)
    outbox = Outbox.open(tmp_path)
    payloads = [withdrawal(rng), withdrawal(rng), withdrawal(rng), rating(rng)]
    for payload in payloads[:3]:
        outbox.enqueue("withdrawal_application", payload)
    outbox.enqueue("rating", payloads[3])
    items, _ = outbox.claim(2)
    outbox.record_answers(items, [Answer("accepted"), Answer("rejected", "payload field bank_pan: bad")])
    outbox.close()
    with sqlite3.connect(tmp_path / DB_FILE_NAME) as db:
        db.execute("UPDATE outbox SET delivered_at = 1000 WHERE state = 'delivered'")
    (tmp_path / "payloads.json").write_text(json.dumps(payloads, ensure_ascii=False), encoding="utf-8")
    return tmp_path


def _personal(data_dir: Path) -> list[str]:
    payloads = json.loads((data_dir / "payloads.json").read_text(encoding="utf-8"))
    return [str(p[f]) for p in payloads[:3] for f in ("id_number", "name", "bank_pan")]


def test_status_and_list_show_rows_but_never_their_content(data_dir: Path) -> None:
    status = _queue("status", "--data-dir", str(data_dir))
    assert status.returncode == 0, status.stderr
    assert "pending     2" in status.stdout and "dead        1" in status.stdout
    assert "delivered   1" in status.stdout and "backlog     3 rows" in status.stdout
    listing = _queue("list", "--data-dir", str(data_dir))
    dead = _queue("list", "--state", "dead", "--data-dir", str(data_dir))
    assert listing.returncode == dead.returncode == 0
    assert listing.stdout.count("withdrawal_application") == 3 and "rating" in listing.stdout
    assert "rejected: payload field bank_pan" in dead.stdout and dead.stdout.count("\n") == 2
    for text in _personal(data_dir):
        assert text not in status.stdout + listing.stdout + dead.stdout


def test_retry_sends_dead_rows_again(data_dir: Path) -> None:
    dead_id = _queue("list", "--state", "dead", "--data-dir", str(data_dir)).stdout.splitlines()[1].split()[0]
    delivered_id = _queue("list", "--state", "delivered", "--data-dir", str(data_dir)).stdout.splitlines()[1]
    refused = _queue("retry", delivered_id.split()[0], "--data-dir", str(data_dir))
    assert refused.returncode == 1 and "delivered" in refused.stderr
    assert _queue("retry", "12345", "--data-dir", str(data_dir)).returncode == 1
    one = _queue("retry", dead_id, "--data-dir", str(data_dir))
    assert one.returncode == 0 and f"row {dead_id} (dead)" in one.stdout
    assert "(no rows)" in _queue("list", "--state", "dead", "--data-dir", str(data_dir)).stdout
    assert "0 dead rows" in _queue("retry", "--dead", "--data-dir", str(data_dir)).stdout


def test_purge_deletes_only_old_delivered_rows(data_dir: Path) -> None:
    purge = _queue("purge", "--data-dir", str(data_dir))
    assert purge.returncode == 0 and purge.stdout.startswith("1 delivered rows")
    status = _queue("status", "--data-dir", str(data_dir)).stdout
    assert "delivered   0" in status and "backlog     3 rows" in status


def test_a_missing_outbox_is_a_clear_error(tmp_path: Path) -> None:
    result = _queue("status", "--data-dir", str(tmp_path / "nowhere"))
    assert result.returncode == 1 and "no outbox database" in result.stderr
    assert not (tmp_path / "nowhere").exists()
    assert _queue("retry", "--data-dir", str(tmp_path)).returncode == 2


def test_the_kiosk_command_finds_the_outbox_through_the_settings_file(data_dir: Path, tmp_path: Path) -> None:
    repo = Path(__file__).resolve().parents[2]
    settings = tmp_path / "kiosk.toml"
    demo = (repo / "config" / "demo.toml").read_text(encoding="utf-8")
    demo = demo.replace('data_dir = "../var/demo"', f'data_dir = "{data_dir}"')
    key_file = data_dir / "outbox.key"
    settings.write_text(demo.replace('"../var/demo-keys/outbox.key"', f'"{key_file}"'), encoding="utf-8")
    kiosk = [sys.executable, "-m", "kiosk", "queue", "status"]
    status = subprocess.run([*kiosk, "--config", str(settings)], capture_output=True, text=True, timeout=60)
    assert status.returncode == 0, status.stderr
    assert "pending     2" in status.stdout and f"key file         {key_file} (mode 600)" in status.stdout
    broken = tmp_path / "broken.toml"
    broken.write_text("[kiosk\n", encoding="utf-8")
    refused = subprocess.run([*kiosk, "--config", str(broken)], capture_output=True, text=True, timeout=60)
    assert refused.returncode == 1 and "not valid TOML" in refused.stderr and "--data-dir" in refused.stderr
