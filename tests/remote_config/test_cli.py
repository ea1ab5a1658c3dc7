"""The operators' and the kiosk's commands, as real processes: keygen, sign, verify, publish, rollout
status, fleet."""

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from central_server.app import create_app
from central_server.terminals import TerminalRecord
from central_server.testing import serve_in_thread
from kiosk.remote_config.bundle import load_private_key, sign_bundle
from tests.remote_config.conftest import REPO, example_config

ADMIN = [sys.executable, "-m", "kiosk.remote_config.admin_cli"]
KIOSK = [sys.executable, "-m", "kiosk"]


def run(args: list[str], **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, timeout=60, env={**os.environ, **env})


def test_keygen_sign_verify_publish(tmp_path: Path) -> None:
    keys = tmp_path / "keys"
    assert run([*ADMIN, "keygen", "--out", str(keys)]).returncode == 0
    again = run([*ADMIN, "keygen", "--out", str(keys)])
    assert again.returncode == 2 and "already exists" in again.stderr
    bundle = tmp_path / "v4.json"
    signed = run(
        [
            *ADMIN,
            "sign",
            str(REPO / "config" / "remote.example.json"),
            "--key",
            str(keys / "operator.key"),
            "--version",
            "4",
            "--target",
            "group:hall-1",
            "--out",
            str(bundle),
        ]
    )
    assert signed.returncode == 0, signed.stderr

    verify = [
        *KIOSK,
        "config",
        "verify",
        str(bundle),
        "--pubkey",
        str(keys / "operator.pub"),
        "--kiosk-id",
        "K1",
    ]
    accepted = run([*verify, "--group", "hall-1"])
    assert accepted.returncode == 0 and accepted.stdout.startswith("accepted: version 4")
    expires = datetime.fromisoformat(json.loads(bundle.read_text())["expires_at"])
    assert timedelta(days=29) < expires - datetime.now(UTC) <= timedelta(days=30)  # the default: 30 days
    assert run([*verify, "--group", "hall-2"]).stdout.startswith("refused (not_for_this_kiosk)")
    replay = run([*verify, "--group", "hall-1", "--min-version", "5"])
    assert replay.returncode == 1 and "replayed_version" in replay.stdout
    tampered = json.loads(bundle.read_text())
    tampered["version"] = 9
    bundle.write_text(json.dumps(tampered))
    assert "bad_signature" in run([*verify, "--group", "hall-1"]).stdout

    terminals = {"K1": TerminalRecord("K1", "secret-k1", "g1"), "K2": TerminalRecord("K2", "secret-k2", "g2")}
    with serve_in_thread(
        create_app(
            terminals=terminals, operator_tokens=["tok-synthetic"], operator_keys=[keys / "operator.pub"]
        )
    ) as c:
        # Signed again, untampered, for every kiosk.
        resign = [
            *ADMIN,
            "sign",
            str(REPO / "config" / "remote.example.json"),
            "--key",
            str(keys / "operator.key"),
        ]
        assert run([*resign, "--version", "4", "--out", str(bundle)]).returncode == 0
        published = run(
            [*ADMIN, "publish", str(bundle), "--central", c.base_url, "--stages", "g1,g2"],
            KIOSK_ADMIN_TOKEN="tok-synthetic",
        )
        assert published.returncode == 0, published.stderr
        assert "published version 4 for all: g1 → g2" in published.stdout
        status = run([*ADMIN, "rollout", "status", "--central", c.base_url, "--token", "tok-synthetic"])
        assert status.returncode == 0 and "v4  all  running  stage 1/2 (g1)" in status.stdout
        assert "waiting for: K1" in status.stdout
        refused = run([*ADMIN, "fleet", "--central", c.base_url, "--token", "wrong"])
        assert refused.returncode == 1 and "operator_unauthorised" in refused.stderr
        fleet = run([*ADMIN, "fleet", "--central", c.base_url, "--token", "tok-synthetic"])
        assert fleet.stdout.splitlines() == [
            "K1  group g1  no heartbeat yet",
            "K2  group g2  no heartbeat yet",
        ]


def test_signing_an_invalid_configuration_is_refused_at_the_desk(tmp_path: Path) -> None:
    run([*ADMIN, "keygen", "--out", str(tmp_path)])
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"schema": 1, "services": [], "log_level": "LOUD"}))
    result = run(
        [
            *ADMIN,
            "sign",
            str(bad),
            "--key",
            str(tmp_path / "operator.key"),
            "--version",
            "1",
            "--out",
            str(tmp_path / "b.json"),
        ]
    )
    assert result.returncode == 1 and "services" in result.stderr and not (tmp_path / "b.json").exists()


def test_expiry_at_the_desk_and_at_the_kiosk(tmp_path: Path) -> None:
    run([*ADMIN, "keygen", "--out", str(tmp_path)])
    sign = [
        *ADMIN,
        "sign",
        str(REPO / "config" / "remote.example.json"),
        "--key",
        str(tmp_path / "operator.key"),
    ]
    short = run([*sign, "--version", "1", "--expires-in", "2", "--out", str(tmp_path / "short.json")])
    assert short.returncode == 0 and "valid until" in short.stdout
    bundle = json.loads((tmp_path / "short.json").read_text())
    issued, expires = (datetime.fromisoformat(bundle[k]) for k in ("issued_at", "expires_at"))
    assert expires - issued == timedelta(days=2)
    for days in ("0", "366", "2.5"):
        refused = run([*sign, "--version", "1", "--expires-in", days, "--out", str(tmp_path / "no.json")])
        assert refused.returncode == 2 and "--expires-in" in refused.stderr and days in refused.stderr

    old = sign_bundle(
        example_config(),
        version=1,
        target="all",
        key=load_private_key(tmp_path / "operator.key"),
        issued_at=datetime.now(UTC) - timedelta(days=40),
    )
    (tmp_path / "old.json").write_text(json.dumps(old))
    verify = run(
        [*KIOSK, "config", "verify", str(tmp_path / "old.json"), "--pubkey", str(tmp_path / "operator.pub")]
    )
    assert verify.returncode == 1 and verify.stdout.startswith("refused (expired): expired at")
