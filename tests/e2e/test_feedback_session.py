"""The customer-relationship demo, as the README tells it: the demo's centre (its own process, with a year of
service history), the settings it writes for the hall's second kiosk, the session script kept in
`examples/feedback-session.json` run by `kiosk simulate`, and what operators then read with `kiosk-admin`.
Several visits, one abandoned, one rated 非常不满意 with reasons: the scorecard shows them, a follow-up case
waits with its deadlines, the citizen with an overdue instalment was advised of it on the overview, and the
burst of failed sign-ins raised an alert against the kiosk."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from kiosk.demo import DEMO_OPERATOR_TOKEN, SCRIPTED_KIOSK, DemoCentre, demo_operator_keys
from kiosk.remote_config.admin_cli import main as admin
from kiosk.settings import load_settings
from tests.devices.support import installed

SCRIPT = Path(__file__).resolve().parents[2] / "examples" / "feedback-session.json"
PHONE = "13812345678"  # the script's synthetic callback number
CENTRE_TIME = dt.timezone(dt.timedelta(hours=8))


@pytest.fixture(scope="module")
def centre(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoCentre]:
    data_dir = tmp_path_factory.mktemp("demo")
    _key, operator_pub = demo_operator_keys(data_dir)
    centre = DemoCentre("KIOSK-DEMO-01", lambda: "demo-secret-not-for-production", operator_pub, data_dir)
    centre.forget()
    centre.start()
    yield centre
    centre.stop()


@pytest.fixture(scope="module")
def session_run(centre: DemoCentre) -> dict[str, Any]:
    settings = centre.write_scripted_kiosk_settings("00012000")
    assert settings.stat().st_mode & 0o077 == 0  # it holds the kiosk's secret
    assert load_settings(settings).kiosk.id == SCRIPTED_KIOSK
    done = subprocess.run(
        [installed("kiosk"), "simulate", "--config", str(settings), "--script", str(SCRIPT), "--json"],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert (done.returncode, done.stderr) == (0, ""), done.stdout
    report: dict[str, Any] = json.loads(done.stdout)
    return report


@pytest.fixture
def operator(centre: DemoCentre, capsys: pytest.CaptureFixture[str]) -> Callable[..., Any]:
    def run(*argv: str) -> Any:
        code = admin([*argv, "--central", centre.base_url, "--token", DEMO_OPERATOR_TOKEN, "--json"])
        out, err = capsys.readouterr()
        assert (code, err) == (0, "")
        assert PHONE not in out
        return json.loads(out)

    return run


def _today() -> str:
    return dt.datetime.now(CENTRE_TIME).date().isoformat()


def test_the_scorecard_shows_the_sessions_visits(
    session_run: dict[str, Any], operator: Callable[..., Any]
) -> None:
    card = operator("scorecard", "--kiosk", SCRIPTED_KIOSK, "--from", _today(), "--to", _today())
    total = card["total"]
    assert total["visits"] == len(session_run["visits"]) == 9
    assert (total["sign_ins"], total["sign_in_failures"]) == (4, 5)
    assert total["abandonment_by_step"] == {"withdrawal": 1}
    assert total["satisfaction"]["distribution"] == {"1": 1, "2": 0, "3": 0, "4": 0, "5": 1}
    assert total["completion_rate"] == 0.75  # two certificates and the overview; the withdrawal not


def test_the_very_dissatisfied_rating_opened_a_case_with_its_deadlines(
    session_run: dict[str, Any], operator: Callable[..., Any]
) -> None:
    rated = session_run["visits"][2]["steps"][-2]
    assert (rated["do"], rated["code"], rated["data"]["phone"]) == ("rate", "ok", "138****5678")
    (case,) = [c for c in operator("cases", "--open") if c["terminal_id"] == SCRIPTED_KIOSK]
    assert (case["score"], case["reasons"], case["state"]) == (1, ["slow", "unclear_information"], "open")
    assert case["callback_phone"] == "138****5678"
    assert _today() < case["callback_due"][:10] <= case["resolve_due"][:10]


def test_the_overview_advised_the_overdue_instalment(session_run: dict[str, Any]) -> None:
    overview = session_run["visits"][3]["steps"][-2]
    assert (overview["do"], overview["code"]) == ("service", "ok")
    assert "loan_overdue" in overview["data"]["advice"]


def test_the_burst_of_failed_sign_ins_raised_an_alert(
    session_run: dict[str, Any], operator: Callable[..., Any]
) -> None:
    alerts = operator("alerts", "--open", "--rule", "kiosk_sign_in_failures")
    (alert,) = [a for a in alerts if a["subject"] == SCRIPTED_KIOSK]
    assert alert["evidence"]["distinct_citizens"] >= 5
