from __future__ import annotations

import http.client
import json
import re
import tomllib
from datetime import datetime
from pathlib import Path

import pytest
import requests

from central_server.testing import RunningServer
from central_server.version import VERSION

from .helpers import FIXED_NOW, FakeClock, Kiosk

ENVELOPE_KEYS = {"code", "message", "centre_seq", "data"}


def test_health_needs_no_headers_and_gives_utc_time_and_version(demo_server: RunningServer) -> None:
    response = requests.get(demo_server.base_url + "/v1/health", timeout=10)
    assert response.status_code == 200
    body = response.json()
    assert set(body) == ENVELOPE_KEYS
    assert body["code"] == "ok"
    assert datetime.fromisoformat(body["data"]["server_time"]) == FIXED_NOW
    assert body["data"]["server_time"].endswith("Z")
    assert body["data"]["version"] == VERSION


def test_version_matches_the_project() -> None:
    pyproject = tomllib.loads((Path(__file__).parents[2] / "pyproject.toml").read_text(encoding="utf-8"))
    assert pyproject["project"]["version"] == VERSION


@pytest.mark.parametrize("header", ["X-Channel", "X-Terminal-Id", "X-Centre-Id", "X-Seq-No"])
def test_each_missing_envelope_header_is_named(kiosk: Kiosk, header: str) -> None:
    response = kiosk.call("GET", "/v1/demo/cards", drop=(header,))
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "bad_envelope"
    assert header in body["message"]


def test_envelope_headers_are_checked_before_the_terminal_token(demo_server: RunningServer) -> None:
    response = Kiosk(demo_server.base_url).call("GET", "/v1/citizen/account", drop=("X-Centre-Id",))
    assert response.json()["code"] == "bad_envelope"


@pytest.mark.parametrize("channel", ["40", "", "050"])
def test_a_channel_other_than_50_is_bad_channel(kiosk: Kiosk, channel: str) -> None:
    response = kiosk.call("GET", "/v1/demo/cards", replace={"X-Channel": channel})
    assert response.status_code == 400
    assert response.json()["code"] == "bad_channel"


@pytest.mark.parametrize("seq_no", ["0", "-1", "abc", "1.5", "01", "1e3"])
def test_the_sequence_number_must_be_a_positive_integer(kiosk: Kiosk, seq_no: str) -> None:
    response = kiosk.call("GET", "/v1/demo/cards", replace={"X-Seq-No": seq_no})
    assert response.status_code == 400
    assert response.json()["code"] == "bad_envelope"
    assert "X-Seq-No" in response.json()["message"]


def test_unknown_routes_and_methods_answer_in_the_envelope(kiosk: Kiosk) -> None:
    unknown = kiosk.call("GET", "/v1/no-such-thing")
    assert unknown.status_code == 404
    assert unknown.json()["code"] == "not_found"
    wrong_method = kiosk.call("PUT", "/v1/citizen/account")
    assert wrong_method.status_code == 400
    assert wrong_method.json()["code"] == "bad_request"
    for response in (unknown, wrong_method):
        assert set(response.json()) == ENVELOPE_KEYS


def test_validation_errors_name_the_field_and_never_echo_its_value(kiosk: Kiosk) -> None:
    response = kiosk.call(
        "POST", "/v1/citizen/session", json={"id_number": "120199", "name": "张测试", "password": "98765"}
    )
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "bad_request"
    assert "id_number" in body["message"]
    assert "120199" not in response.text
    assert "98765" not in response.text
    not_json = kiosk.call("POST", "/v1/citizen/session", data="{not json")
    assert not_json.status_code == 400
    assert not_json.json()["code"] == "bad_request"


def test_centre_seq_rises_with_every_response(kiosk: Kiosk) -> None:
    numbers = []
    for path in ("/v1/health", "/v1/demo/cards", "/v1/nowhere", "/v1/citizen/account"):
        centre_seq = kiosk.call("GET", path).json()["centre_seq"]
        assert re.fullmatch(r"C[0-9]{10}", centre_seq)
        numbers.append(int(centre_seq[1:]))
    assert numbers == sorted(numbers)
    assert len(set(numbers)) == len(numbers)


def test_a_crash_is_a_server_error_envelope(clocked_kiosk: Kiosk, clock: FakeClock) -> None:
    clock.broken = True
    response = clocked_kiosk.call("GET", "/v1/health")
    assert response.status_code == 500
    body = response.json()
    assert body["code"] == "server_error"
    assert body["data"] is None
    assert "clock failure" not in body["message"]


def test_after_a_crash_the_connection_carries_the_next_request(
    clocked_kiosk: Kiosk, clock: FakeClock
) -> None:
    # A kiosk keeps its connection: a crash must end as an answer, not as a connection closed unannounced
    # (which the kiosk would see as the centre being unreachable on its next request).
    host, port = clocked_kiosk.base_url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        answers = []
        for broken in (True, True, False):
            clock.broken = broken
            connection.request("GET", "/v1/health", headers=clocked_kiosk.headers())
            response = connection.getresponse()
            answers.append((response.status, json.loads(response.read())["code"]))
            assert response.getheader("connection") != "close"
        assert answers == [(500, "server_error"), (500, "server_error"), (200, "ok")]
    finally:
        clock.broken = False
        connection.close()
