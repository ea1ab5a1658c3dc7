"""Every way a bundle is refused, each with its reason; and the ones that pass."""

import base64
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from hypothesis import given
from hypothesis import strategies as st

from kiosk.remote_config.bundle import BundleRefused, sign_bundle, verify_bundle


def _verify(
    data: Any, trusted: dict[str, Ed25519PublicKey], newer_than: int = 0, group: str | None = "hall-1"
) -> Any:
    return verify_bundle(data, trusted_keys=trusted, kiosk_id="KIOSK-T1", group=group, newer_than=newer_than)


def _reason(data: Any, trusted: dict[str, Ed25519PublicKey], **kwargs: Any) -> str:
    with pytest.raises(BundleRefused) as caught:
        _verify(data, trusted, **kwargs)
    return caught.value.reason


def test_a_good_bundle_passes_and_survives_reserialisation(
    make_bundle: Callable[..., dict[str, Any]], trusted
) -> None:
    bundle = make_bundle(3, "group:hall-1")
    text = json.dumps(bundle, indent=4, ensure_ascii=True)  # another layout, escaped hanzi: same signature
    verified = _verify(text.encode(), trusted)
    assert verified.version == 3 and verified.config.enabled_services() == ["overview", "deposits", "loan"]


def test_forged_signature(make_bundle, trusted) -> None:
    bundle = make_bundle(2)
    bundle["config"]["log_level"] = "DEBUG"  # changed after signing
    assert _reason(bundle, trusted) == "bad_signature"
    bundle = make_bundle(2)
    bundle["signature"] = base64.b64encode(b"\0" * 64).decode()
    assert _reason(bundle, trusted) == "bad_signature"
    bundle["signature"] = "not base64!"
    assert _reason(bundle, trusted) == "bad_signature"


def test_another_operators_key(trusted) -> None:
    from tests.remote_config.conftest import example_config

    stranger = sign_bundle(example_config(), version=5, target="all", key=Ed25519PrivateKey.generate())
    assert _reason(stranger, trusted) == "unknown_key"


def test_replayed_older_version(make_bundle, trusted) -> None:
    assert _reason(make_bundle(4), trusted, newer_than=4) == "replayed_version"
    assert _reason(make_bundle(3), trusted, newer_than=4) == "replayed_version"
    assert _verify(make_bundle(5), trusted, newer_than=4).version == 5


def test_schema_invalid(operator, trusted) -> None:
    from tests.remote_config.conftest import example_config

    config = {**example_config(), "session": {"idle_timeout_s": 5, "countdown_s": 10}}
    with pytest.raises(ValueError, match="schema"):  # the operator's own tool refuses to sign it ...
        sign_bundle(config, version=2, target="all", key=operator[2])
    fields = {
        "bundle": 1,
        "version": 2,
        "target": "all",
        "issued_at": "2026-11-27T00:00:00+00:00",
        "key_id": next(iter(trusted)),
        "config": config,
    }
    canonical = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    signed = {**fields, "signature": base64.b64encode(operator[2].sign(canonical)).decode()}
    assert _reason(signed, trusted) == "schema_invalid"  # ... and a kiosk refuses it if signed by hand


def test_truncated_download(make_bundle, trusted) -> None:
    text = json.dumps(make_bundle(2)).encode()
    assert _reason(text[: len(text) // 2], trusted) == "malformed"
    assert _reason(b"", trusted) == "malformed"


def test_bundle_for_another_kiosk_or_group(make_bundle, trusted) -> None:
    assert _reason(make_bundle(2, "kiosk:KIOSK-T2"), trusted) == "not_for_this_kiosk"
    assert _reason(make_bundle(2, "group:hall-2"), trusted) == "not_for_this_kiosk"
    assert _reason(make_bundle(2, "group:hall-1"), trusted, group=None) == "not_for_this_kiosk"
    assert _verify(make_bundle(2, "kiosk:KIOSK-T1"), trusted).target == "kiosk:KIOSK-T1"


@given(st.binary(max_size=300))
def test_arbitrary_bytes_are_refused_cleanly(data: bytes) -> None:
    with pytest.raises(BundleRefused):
        verify_bundle(data, trusted_keys={}, kiosk_id="K", group=None)


def test_keygen_writes_a_private_key_only_the_owner_reads(operator) -> None:
    key_path: Path = operator[0]
    assert key_path.stat().st_mode & 0o777 == 0o600
    assert b"PRIVATE KEY" in key_path.read_bytes()
