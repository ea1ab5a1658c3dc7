"""Operator keys, a signed-bundle factory, and a central with the fleet endpoints on loopback."""

import base64
import json
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from central_server.app import create_app
from central_server.terminals import TerminalRecord
from central_server.testing import RunningServer, serve_in_thread
from kiosk.remote_config.bundle import generate_keypair, key_id, load_private_key, sign_bundle

REPO = Path(__file__).resolve().parents[2]
OPERATOR_TOKEN = "operator-token-synthetic"
KIOSKS = {f"KIOSK-T{i}": f"secret-kiosk-{i}" for i in range(1, 5)}


def example_config() -> dict[str, Any]:
    return json.loads((REPO / "config" / "remote.example.json").read_text(encoding="utf-8"))


def sign_fields(key: Ed25519PrivateKey, **changes: Any) -> dict[str, Any]:
    """A bundle signed over whatever fields it is given, as a careless or hostile signer could make one:
    it bypasses the checks `sign_bundle` runs, so the receiving side must make them."""
    now = datetime.now(UTC).replace(microsecond=0)
    fields = {
        "bundle": 2,
        "version": 1,
        "target": "all",
        "issued_at": now.isoformat(),
        "expires_at": (now + timedelta(days=30)).isoformat(),
        "key_id": key_id(key.public_key()),
        "config": example_config(),
        **changes,
    }
    canonical = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    return {**fields, "signature": base64.b64encode(key.sign(canonical)).decode()}


@pytest.fixture
def operator(tmp_path: Path) -> tuple[Path, Path, Ed25519PrivateKey]:
    key_path, pub_path = generate_keypair(tmp_path / "keys")
    return key_path, pub_path, load_private_key(key_path)


@pytest.fixture
def trusted(operator: tuple[Path, Path, Ed25519PrivateKey]) -> dict[str, Ed25519PublicKey]:
    public = operator[2].public_key()
    return {key_id(public): public}


@pytest.fixture
def make_bundle(operator: tuple[Path, Path, Ed25519PrivateKey]) -> Callable[..., dict[str, Any]]:
    def make(version: int, target: str = "all", **changes: Any) -> dict[str, Any]:
        config = {**example_config(), **changes}
        return sign_bundle(config, version=version, target=target, key=operator[2])

    return make


@pytest.fixture
def central_with(operator: tuple[Path, Path, Ed25519PrivateKey]) -> Iterator[Callable[..., RunningServer]]:
    """Starts a central whose records put each kiosk of `groups` (terminal id → group) in its group."""
    with ExitStack() as running:

        def start(groups: dict[str, str]) -> RunningServer:
            terminals = {tid: TerminalRecord(tid, KIOSKS[tid], group) for tid, group in groups.items()}
            app = create_app(
                terminals=terminals, operator_tokens=[OPERATOR_TOKEN], operator_keys=[operator[1]]
            )
            return running.enter_context(serve_in_thread(app))

        yield start


@pytest.fixture
def central(central_with: Callable[..., RunningServer]) -> RunningServer:
    return central_with({"KIOSK-T1": "g1", "KIOSK-T2": "g2", "KIOSK-T3": "g3"})
