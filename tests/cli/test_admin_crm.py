"""`kiosk-admin scorecard` and `kiosk-admin cases` against a real centre on loopback."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator

import pytest

from central_server.app import create_app
from central_server.testing import RunningServer, serve_in_thread
from kiosk.remote_config.admin_cli import main
from tests.central.helpers import FIXED_NOW, TERMINALS, Kiosk

OPERATOR = "crm-cli-operator-token"
CREATED = "2026-11-27T03:00:00+00:00"


@pytest.fixture(scope="module")
def centre() -> Iterator[RunningServer]:
    app = create_app(terminals=TERMINALS, clock=lambda: FIXED_NOW, operator_tokens=[OPERATOR])
    with serve_in_thread(app) as server:
        kiosk = Kiosk(server.base_url)
        kiosk.authenticate()
        visit = {"visit_id": "vcli1", "channel": "kiosk", "at": CREATED}
        payloads = [
            ("touchpoint_event", {**visit, "event": "visit_started", "detail": "id_card"}),
            (
                "touchpoint_event",
                {**visit, "event": "service_abandoned", "service": "loan", "detail": "loan_plan"},
            ),
            (
                "rating",
                {
                    "score": 1,
                    "detail_codes": ["slow"],
                    "channel": 5,
                    "rating_round": 1,
                    "rater_type": "individual",
                    "service_code": "status",
                    "visit_id": "vcli1",
                    "case_ref": "status-vcli1",
                    "callback_phone": "13712345678",
                },
            ),
        ]
        items = [
            {"idempotency_key": uuid.uuid4().hex, "kind": kind, "created_at": CREATED, "payload": payload}
            for kind, payload in payloads
        ]
        results = kiosk.data("POST", "/v1/intake/batch", json={"items": items})["results"]
        assert {result["status"] for result in results} == {"accepted"}
        yield server


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main([*argv])
    return code, capsys.readouterr().out


def test_scorecard_prints_a_table_and_json(centre: RunningServer, capsys: pytest.CaptureFixture[str]) -> None:
    args = ("--central", centre.base_url, "--token", OPERATOR, "--from", "2026-11-27", "--to", "2026-11-27")
    code, out = run(capsys, "scorecard", *args)
    assert code == 0
    assert "scorecard 2026-11-27 to 2026-11-27 by day (all)" in out
    assert "abandoned at: loan_plan 1" in out
    lines = out.splitlines()
    assert lines[1].split()[:3] == ["period", "visits", "sign-ins"]
    assert lines[2].split()[:2] == ["2026-11-27", "1"] and lines[3].split()[0] == "total"
    code, out = run(capsys, "scorecard", *args, "--json")
    data = json.loads(out)
    assert (data["total"]["visits"], data["total"]["satisfaction"]["distribution"]["1"]) == (1, 1)


def test_cases_list_and_change(centre: RunningServer, capsys: pytest.CaptureFixture[str]) -> None:
    where = ("--central", centre.base_url, "--token", OPERATOR)
    code, out = run(capsys, "cases", "--open", *where)
    assert (
        code == 0 and "case status-vcli1" in out and "phone 137****5678" in out and "13712345678" not in out
    )
    case_id = out.split()[0].lstrip("#")
    assert run(capsys, "cases", "assign", case_id, "staff.li", *where)[1].count("assignee staff.li") == 1
    assert run(capsys, "cases", "callback", case_id, "已回访", *where)[0] == 0
    assert " closed " in run(capsys, "cases", "close", case_id, "已解释流程", *where)[1]
    assert run(capsys, "cases", "--open", *where)[1] == "no open follow-up cases\n"
    code, out = run(capsys, "cases", "--json", *where)
    assert [note["kind"] for note in json.loads(out)[0]["notes"]] == ["assign", "callback", "close"]


def test_an_unknown_case_is_refused_in_one_line(
    centre: RunningServer, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["cases", "note", "999", "x", "--central", centre.base_url, "--token", OPERATOR])
    err = capsys.readouterr().err
    assert code == 1 and err.startswith("kiosk-admin: ") and "no follow-up case 999" in err
