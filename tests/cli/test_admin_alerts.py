"""`kiosk-admin alerts` against a real centre on loopback: a scripted burst of failed sign-ins from one
kiosk against many (synthetic) citizens shows up as an alert, is acknowledged with a note, and leaves the
open list."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from central_server.app import create_app
from central_server.idnumbers import check_char
from central_server.testing import RunningServer, serve_in_thread
from kiosk.remote_config.admin_cli import main
from tests.central.helpers import FIXED_NOW, TERMINALS, Kiosk

TOKEN = "operator-token-synthetic"


@pytest.fixture
def centre() -> Iterator[RunningServer]:
    app = create_app(terminals=TERMINALS, clock=lambda: FIXED_NOW, operator_tokens=[TOKEN])
    with serve_in_thread(app) as server:
        yield server


def _admin(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    status = main(list(args))
    out, err = capsys.readouterr()
    return status, out, err


def _burst(base_url: str) -> list[str]:
    kiosk = Kiosk(base_url, "KIOSK-DEMO-02")
    assert kiosk.authenticate().status_code == 200
    id_numbers = []
    for day in range(1, 6):
        body = f"120199198003{day:02d}123"
        id_numbers.append(body + check_char(body))
        assert kiosk.login(id_numbers[-1], "李样例", "000000").json()["code"] == "sign_in_failed"
    return id_numbers


def test_alerts_listed_acknowledged_and_gone_from_the_open_list(
    centre: RunningServer, capsys: pytest.CaptureFixture[str]
) -> None:
    central = ["--central", centre.base_url, "--token", TOKEN]
    assert _admin(capsys, "alerts", "--open", *central) == (0, "no open alerts\n", "")
    id_numbers = _burst(centre.base_url)
    status, out, _ = _admin(capsys, "alerts", "--open", *central)
    assert status == 0
    assert out.splitlines() == [
        "#1  high  kiosk_sign_in_failures  KIOSK-DEMO-02  open  seen 1x 2026-11-27 11:00 – 2026-11-27 11:00",
        "    distinct_citizens 5, failures 5, window_s 600",
    ]
    status, out, _ = _admin(capsys, "alerts", "--json", *central)
    (row,) = json.loads(out)
    assert (row["rule"], row["subject"], row["acknowledged_at"]) == (
        "kiosk_sign_in_failures",
        "KIOSK-DEMO-02",
        None,
    )
    status, out, _ = _admin(
        capsys, "alerts", "ack", "1", "--note", "script at the desk", "--by", "li.ops", *central
    )
    assert (status, out) == (0, "alert #1 (kiosk_sign_in_failures, KIOSK-DEMO-02) acknowledged by li.ops\n")
    assert _admin(capsys, "alerts", "--open", *central) == (0, "no open alerts\n", "")
    status, out, _ = _admin(capsys, "alerts", *central)
    assert "acknowledged by li.ops at 2026-11-27 11:00: script at the desk" in out
    status, _, err = _admin(capsys, "alerts", "ack", "1", "--note", "again", "--by", "li.ops", *central)
    assert (status, err.count("\n")) == (1, 1)
    assert err.endswith(
        ": refused (already_acknowledged): alert 1 was acknowledged already by li.ops at 2026-11-27 11:00 "
        "(UTC+8); this note was not recorded (list it with state=all)\n"
    )
    for id_number in id_numbers:
        assert id_number not in out


def test_a_wrong_token_or_no_centre_is_one_line(
    centre: RunningServer, capsys: pytest.CaptureFixture[str]
) -> None:
    status, _, err = _admin(capsys, "alerts", "--central", centre.base_url, "--token", "wrong")
    assert (status, err) == (
        1,
        f"kiosk-admin: {centre.base_url}/v1/admin/alerts?state=all: refused (operator_unauthorised): "
        "missing or wrong operator token\n",
    )
    status, _, err = _admin(capsys, "alerts", "--token", TOKEN)
    assert (status, err) == (1, "kiosk-admin: alerts: pass --central URL, the central's base URL\n")
