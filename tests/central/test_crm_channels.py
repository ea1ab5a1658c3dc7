"""Other channels and case deadlines as a deployment sets them: `kiosk-central serve --channel-token`,
`--case-callback-days`, `--case-resolve-days` and `--holidays FILE`; the demo's channel token; a channel
batch sent twice is stored once; the holidays file's format."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select

from central_server.app import create_app
from central_server.cli import main
from central_server.crm.holidays_file import HolidaysFileError, parse_holidays
from central_server.crm.models import ChannelBatch, Touchpoint
from central_server.crm.routes import DEMO_CHANNEL_TOKEN, CrmSettings
from central_server.crm.working_days import add_working_days
from central_server.testing import RunningServer, serve_in_thread

from .helpers import FIXED_NOW, TERMINALS, Kiosk

ROOT = Path(__file__).parents[2]
SCRIPT = Path(sys.executable).with_name("kiosk-central")
CHANNEL = "web-portal-channel-token-synthetic"
OPERATOR = "crm-channels-operator-token"
KIOSK_ID, KIOSK_SECRET = "KIOSK-HALL-07", "hall-07-secret-synthetic"
FRIDAY = "2026-11-27T03:00:00+00:00"  # Friday 11:00 in the centre


def _web_batch(batch_id: str | None = None, *events: str) -> dict[str, Any]:
    return {
        "source": "web-portal",
        "batch_id": batch_id or uuid.uuid4().hex,
        "events": [
            {"visit_id": "w1", "channel": "web", "event": event, "at": FRIDAY}
            for event in events or ("visit_started", "visit_ended")
        ],
    }


def _post(base_url: str, body: dict[str, Any], token: str = CHANNEL) -> requests.Response:
    return requests.post(
        base_url + "/v1/channels/touchpoints",
        json=body,
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )


def _files(directory: Path, holidays: str) -> tuple[Path, Path]:
    terminals = directory / "terminals.toml"
    terminals.write_text(
        f'[[terminal]]\nid = "{KIOSK_ID}"\nsecret = "{KIOSK_SECRET}"\ngroup = "hall"\n', encoding="utf-8"
    )
    terminals.chmod(0o600)
    path = directory / "holidays.txt"
    path.write_text(holidays, encoding="utf-8")
    return terminals, path


# -- kiosk-central serve -------------------------------------------------------------------------------


@pytest.mark.timeout(60)
def test_serve_admits_its_channel_tokens_and_counts_deadlines_on_its_calendar(tmp_path: Path) -> None:
    # Monday 30 November off: a two-day callback from Friday falls due at the end of Wednesday.
    terminals, holidays = _files(tmp_path, "# 调休\n2026-11-30\n\n2026-11-28 working  # a Saturday\n")
    command = [str(SCRIPT), "serve", "--port", "0", "--terminals", str(terminals)]
    command += ["--channel-token", "another-channel-token", "--channel-token", CHANNEL]
    command += ["--operator-token", OPERATOR, "--holidays", str(holidays)]
    command += ["--case-callback-days", "2", "--case-resolve-days", "3"]
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        assert process.stdout is not None
        base_url = process.stdout.readline().removeprefix("listening on ").strip()
        assert _post(base_url, _web_batch()).json()["data"] == {"accepted": 2, "duplicate": False}
        refused = _post(base_url, _web_batch(), token=DEMO_CHANNEL_TOKEN)
        assert (refused.status_code, refused.json()["code"]) == (401, "channel_unauthorised")

        kiosk = Kiosk(base_url, KIOSK_ID)
        assert kiosk.authenticate(KIOSK_SECRET).status_code == 200
        rating = {
            "score": 1,
            "detail_codes": ["slow"],
            "text": "",
            "channel": 5,
            "rating_round": 1,
            "rater_type": "individual",
            "service_code": "withdrawal",
            "visit_id": "v1",
            "case_ref": "C" + uuid.uuid4().hex[:12],
        }
        item = {
            "idempotency_key": uuid.uuid4().hex,
            "kind": "rating",
            "created_at": FRIDAY,
            "payload": rating,
        }
        (result,) = kiosk.data("POST", "/v1/intake/batch", json={"items": [item]})["results"]
        assert result["status"] == "accepted", result
        cases = requests.get(
            base_url + "/v1/admin/cases?state=all",
            headers={"Authorization": f"Bearer {OPERATOR}"},
            timeout=10,
        ).json()["data"]
        # Working days after Friday: Saturday 28 (worked), Tuesday 1, Wednesday 2 December.
        assert [(c["callback_due"], c["resolve_due"]) for c in cases] == [
            ("2026-12-01T16:00:00Z", "2026-12-02T16:00:00Z")
        ]
    finally:
        process.terminate()
        process.communicate(timeout=15)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-10-01\n2026-13-01\n", "line 2: '2026-13-01' is not a date YYYY-MM-DD"),
        ("20261001\n", "line 1: '20261001' is not a date YYYY-MM-DD"),
        ("2026-W40-1\n", "line 1: '2026-W40-1' is not a date YYYY-MM-DD"),
        (
            "\n# 国庆\n2026-10-01 off\n",
            "line 3: expected YYYY-MM-DD or YYYY-MM-DD working, got '2026-10-01 off'",
        ),
        ("2026-10-01\n2026-10-01\n", "line 2: 2026-10-01 is listed twice"),
        ("2026-10-09 working\n", "line 1: 2026-10-09 is a weekday: only a Saturday or Sunday can be marked"),
    ],
)
def test_a_bad_holidays_file_is_one_line_naming_the_file_and_the_line(
    text: str, expected: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    terminals, holidays = _files(tmp_path, text)
    assert main(["serve", "--terminals", str(terminals), "--holidays", str(holidays)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith(f"kiosk-central: holidays file {holidays} {expected}"), err


def test_a_missing_holidays_file_or_crossed_deadlines_are_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    terminals, _ = _files(tmp_path, "")
    missing = tmp_path / "nope.txt"
    assert main(["serve", "--terminals", str(terminals), "--holidays", str(missing)]) == 2
    assert capsys.readouterr().err == (
        f"kiosk-central: cannot read holidays file {missing}: No such file or directory\n"
    )
    args = ["serve", "--terminals", str(terminals), "--case-callback-days", "5", "--case-resolve-days", "4"]
    assert main(args) == 2
    assert capsys.readouterr().err == (
        "kiosk-central: --case-callback-days (5) must be at least 1 and at most --case-resolve-days (4)\n"
    )
    with pytest.raises(SystemExit):
        main(["serve", "--terminals", str(terminals), "--case-callback-days", "0"])
    assert "expected a number of working days, at least 1, got '0'" in capsys.readouterr().err


_days = st.dates(dt.date(2000, 1, 1), dt.date(2099, 12, 31))


@given(
    holidays=st.sets(_days, max_size=20),
    weekends=st.sets(_days.filter(lambda day: day.weekday() >= 5), max_size=20),
    comment=st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\n")),
)
def test_holidays_files_read_back_what_they_list(
    holidays: set[dt.date], weekends: set[dt.date], comment: str
) -> None:
    weekends -= holidays
    lines = [f"  {day.isoformat()}\t# {comment}" for day in holidays]
    lines += [f"{day.isoformat()} working" for day in weekends]
    text = f"# {comment}\n\n" + "\n".join(lines) + "\n"
    assert parse_holidays(text, "h.txt") == (frozenset(holidays), frozenset(weekends))


@given(st.text(max_size=200))
def test_any_text_is_a_calendar_or_one_line_naming_the_file(text: str) -> None:
    try:
        parse_holidays(text, "h.txt")
    except HolidaysFileError as exc:
        assert str(exc).startswith("holidays file h.txt line ") and "\n" not in str(exc)


def test_a_worked_saturday_counts_and_a_holiday_does_not() -> None:
    friday = dt.date(2026, 9, 25)
    saturday, monday = dt.date(2026, 9, 26), dt.date(2026, 9, 28)
    assert add_working_days(friday, 1) == monday
    assert add_working_days(friday, 1, working_weekends={saturday}) == saturday
    assert add_working_days(friday, 1, holidays={monday}) == dt.date(2026, 9, 29)


# -- the demo's channel token --------------------------------------------------------------------------


def test_demo_mode_admits_the_demo_channel_token_and_only_demo_mode() -> None:
    with serve_in_thread(create_app(demo=True, clock=lambda: FIXED_NOW)) as server:
        answer = _post(server.base_url, _web_batch(), token=DEMO_CHANNEL_TOKEN)
        assert (answer.status_code, answer.json()["data"]["accepted"]) == (200, 2)
    with serve_in_thread(
        create_app(terminals=TERMINALS, crm=CrmSettings(channel_tokens=(CHANNEL,)))
    ) as server:
        refused = _post(server.base_url, _web_batch(), token=DEMO_CHANNEL_TOKEN)
        assert (refused.status_code, refused.json()["code"]) == (401, "channel_unauthorised")


# -- a batch sent again ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def centre() -> Iterator[tuple[RunningServer, Any]]:
    app = create_app(terminals=TERMINALS, clock=lambda: FIXED_NOW, crm=CrmSettings(channel_tokens=(CHANNEL,)))
    with serve_in_thread(app) as server:
        yield server, app


def _stored(app: Any, batch_id: str) -> tuple[int, int]:
    with app.state.context.db.transaction() as session:
        batches = session.scalar(select(func.count()).where(ChannelBatch.batch_id == batch_id))
        touchpoints = session.scalar(select(func.count()).select_from(Touchpoint))
    return batches or 0, touchpoints or 0


def test_a_batch_sent_again_is_accepted_once_and_stored_once(centre: tuple[RunningServer, Any]) -> None:
    server, app = centre
    body = _web_batch("web-2026-11-27-0001")
    first = _post(server.base_url, body)
    _, before = _stored(app, body["batch_id"])
    again = _post(server.base_url, {**body, "events": [dict(reversed(e.items())) for e in body["events"]]})
    assert (first.status_code, first.json()["data"]) == (200, {"accepted": 2, "duplicate": False})
    assert (again.status_code, again.json()["data"]) == (200, {"accepted": 2, "duplicate": True})
    assert again.json()["message"] == "already accepted"
    assert _stored(app, body["batch_id"]) == (1, before)


def test_a_batch_id_reused_for_other_content_is_a_conflict(centre: tuple[RunningServer, Any]) -> None:
    server, app = centre
    body = _web_batch("web-2026-11-27-0002")
    assert _post(server.base_url, body).status_code == 200
    _, before = _stored(app, body["batch_id"])
    other = _post(server.base_url, _web_batch(body["batch_id"], "signed_in"))
    assert (other.status_code, other.json()["code"]) == (409, "batch_conflict")
    assert other.json()["message"] == (
        "batch_id web-2026-11-27-0002 of source web-portal was used before for other content; "
        "send new content under a new batch_id"
    )
    assert _stored(app, body["batch_id"]) == (1, before)
    # The key is the source's own: another source may use it.
    wechat = {**body, "source": "wechat"}
    assert _post(server.base_url, wechat).json()["data"] == {"accepted": 2, "duplicate": False}


def test_a_batch_without_a_usable_batch_id_is_refused(centre: tuple[RunningServer, Any]) -> None:
    server, _ = centre
    body = _web_batch()
    del body["batch_id"]
    for sent in (body, {**body, "batch_id": "short"}, {**body, "batch_id": "has space in it"}):
        refused = _post(server.base_url, sent)
        assert (refused.status_code, refused.json()["code"]) == (400, "bad_request")
        assert "batch_id" in refused.json()["message"]
