"""The centre publishes only what the kiosks would accept: it runs their own checker, and bounds the
numbers of a rollout. Every refusal is a 400 envelope that names what is wrong."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests

from central_server.testing import RunningServer
from tests.remote_config.conftest import OPERATOR_TOKEN, example_config, sign_fields


def _publish(central: RunningServer, body: dict[str, Any]) -> requests.Response:
    return requests.post(
        central.base_url + "/v1/admin/bundles",
        json=body,
        headers={"Authorization": f"Bearer {OPERATOR_TOKEN}"},
        timeout=5,
    )


def _nested(depth: int) -> Any:
    value: Any = "x"
    for _ in range(depth):
        value = [value]
    return value


_LONG_AGO = datetime.now(UTC).replace(microsecond=0) - timedelta(days=40)

REFUSED = {
    "an extra field": ({"note": "not part of the format"}, "unknown fields ['note']"),
    "target everyone": ({"target": "everyone"}, "target 'everyone'"),
    "a config the kiosk's schema refuses": (
        {"config": {**example_config(), "log_level": "LOUD"}},
        "schema_invalid: log_level",
    ),
    "an unknown format": ({"bundle": 7}, "bundle format 7"),
    "version 2**63": ({"version": 2**63}, "version must be an integer from 1 to 2147483647"),
    "version 0": ({"version": 0}, "version must be an integer"),
    "version true": ({"version": True}, "version must be an integer"),
    "expired": (
        {
            "issued_at": _LONG_AGO.isoformat(),
            "expires_at": (_LONG_AGO + timedelta(days=30)).isoformat(),
        },
        "expired: expired at",
    ),
    "no expiry": ({"expires_at": None}, "expires_at must be a time with a UTC offset"),
    "valid for ten years": (
        {"expires_at": (datetime.now(UTC) + timedelta(days=3650)).isoformat()},
        "at most 365 days",
    ),
    "nested 100 levels deep": ({"config": {**example_config(), "notices": _nested(100)}}, "nested deeper"),
}


@pytest.mark.parametrize("case", REFUSED)
def test_a_bundle_the_kiosks_would_refuse_is_not_published(
    central: RunningServer, operator, case: str
) -> None:
    changes, message = REFUSED[case]
    response = _publish(central, {"bundle": sign_fields(operator[2], **changes)})
    envelope = response.json()
    assert (response.status_code, envelope["code"]) == (400, "bad_request"), envelope
    assert message in envelope["message"]
    assert (
        requests.get(
            central.base_url + "/v1/admin/rollouts",
            headers={"Authorization": f"Bearer {OPERATOR_TOKEN}"},
            timeout=5,
        ).json()["data"]
        == []
    )


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"max_failures": 2**63}, "max_failures"),
        ({"max_failures": -1}, "max_failures"),
        ({"stages": ["g1", "g1"]}, "each group may appear once"),
        ({"stages": ["g1", "nobody"]}, "stage nobody: no kiosk on record"),
    ],
)
def test_rollout_numbers_and_stages_are_bounded(
    central: RunningServer, operator, body: dict[str, Any], message: str
) -> None:
    response = _publish(central, {"bundle": sign_fields(operator[2]), "stages": ["g1"], **body})
    envelope = response.json()
    assert (response.status_code, envelope["code"]) == (400, "bad_request"), envelope
    assert message in envelope["message"]


def test_a_stage_must_hold_a_kiosk_the_bundle_targets(central: RunningServer, operator) -> None:
    response = _publish(
        central, {"bundle": sign_fields(operator[2], target="group:g1"), "stages": ["g1", "g2"]}
    )
    assert "stage g2: no kiosk on record in this group is a target of group:g1" in response.json()["message"]


def test_a_version_far_above_the_newest_is_refused(central: RunningServer, operator) -> None:
    assert _publish(central, {"bundle": sign_fields(operator[2], version=5)}).json()["code"] == "ok"
    jump = _publish(central, {"bundle": sign_fields(operator[2], version=1006)}).json()
    assert (
        jump["code"] == "bad_request"
        and "version_jump: version 1006 is more than 1000 above 5" in jump["message"]
    )
    assert _publish(central, {"bundle": sign_fields(operator[2], version=1005)}).json()["code"] == "ok"
