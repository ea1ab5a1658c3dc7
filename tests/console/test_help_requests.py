"""Citizens' calls for staff in the console's fleet view: a kiosk's call shows above the grid and marks the
kiosk's row, an operator acknowledges it and closes it (each logged), a viewer sees it but cannot act."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from sqlalchemy import delete, select

from central_server.console.accounts import Role
from central_server.console.models import OperatorAuditEntry
from central_server.help_requests import HelpRequest
from tests.central.helpers import Kiosk
from tests.console.conftest import TERMINALS, Console, ConsoleSession

HALL2 = "KIOSK-HALL2-01"


def english(console: Console, role: Role) -> ConsoleSession:
    session = console.session(role)
    session.cookies.set("hpf_console_lang", "en", path="/console")
    return session


def call_staff(console: Console, terminal_id: str, screen: str = "withdrawal_amount") -> int:
    kiosk = Kiosk(console.base_url, terminal_id)
    assert kiosk.authenticate(TERMINALS[terminal_id].secret).status_code == 200
    body = {"terminal_id": terminal_id, "screen": screen, "at": "2026-11-29T10:15:00+08:00"}
    data = kiosk.data("POST", "/v1/terminal/help-requests", json=body)
    return int(data["id"])


@pytest.fixture
def calls(console: Console) -> Iterator[Console]:
    """No call open before or after (the console is shared by the session's tests)."""
    db = console.app.state.context.db
    with db.transaction() as session:
        session.execute(delete(HelpRequest))
    yield console
    with db.transaction() as session:
        session.execute(delete(HelpRequest))


def audit_lines(console: Console, action: str) -> list[tuple[str, str, str]]:
    with console.app.state.context.db.transaction() as session:
        rows = session.scalars(select(OperatorAuditEntry).where(OperatorAuditEntry.action == action))
        return [(r.username, r.target, r.detail) for r in rows]


def help_section(page: str) -> str:
    match = re.search(r'<section id="help-calls".*?</section>', page, re.S)
    assert match is not None, "no calls section"
    return match.group(0)


def test_the_fleet_view_shows_an_open_call(calls: Console) -> None:
    assert 'id="help-calls"' not in english(calls, Role.VIEWER).get("/console/fleet").text
    request_id = call_staff(calls, HALL2)
    page = english(calls, Role.VIEWER).get("/console/fleet").text
    section = help_section(page)
    assert "Citizens calling for staff: 1" in section
    assert f'id="help-{request_id}"' in section and HALL2 in section and "withdrawal_amount" in section
    assert "Waiting for staff" in section
    # The kiosk's own row says it too, and the kiosk counts among the problems.
    row = page[page.index(f'<td><a href="/console/fleet/{HALL2}">{HALL2}</a>\n') :]
    assert "Citizen calls for staff" in row[: row.index("</tr>")]
    problems = english(calls, Role.VIEWER).get("/console/fleet?state=problems").text
    assert f">{HALL2}</a>\n" in problems
    # The table's own refresh carries it, and Chinese comes first.
    assert 'id="help-calls"' in english(calls, Role.VIEWER).get("/console/fleet/table").text
    assert "群众呼叫工作人员：1 处" in calls.session(Role.VIEWER).get("/console/fleet").text


def test_a_viewer_sees_no_buttons_and_may_not_answer(calls: Console) -> None:
    request_id = call_staff(calls, HALL2)
    viewer = english(calls, Role.VIEWER)
    logged = len(audit_lines(calls, "help_acknowledge"))
    assert "/console/fleet/help/" not in help_section(viewer.get("/console/fleet").text)
    response = viewer.submit(f"/console/fleet/help/{request_id}/acknowledge")
    assert response.status_code == 403
    with calls.app.state.context.db.transaction() as session:
        assert session.get_one(HelpRequest, request_id).status == "open"
    assert len(audit_lines(calls, "help_acknowledge")) == logged


def test_an_operator_acknowledges_then_closes_the_call(calls: Console) -> None:
    request_id = call_staff(calls, HALL2)
    operator = english(calls, Role.OPERATOR)
    logged = {action: audit_lines(calls, action) for action in ("help_acknowledge", "help_done")}
    section = help_section(operator.get("/console/fleet").text)
    assert f'action="/console/fleet/help/{request_id}/acknowledge"' in section
    assert f'action="/console/fleet/help/{request_id}/done"' in section

    response = operator.submit(f"/console/fleet/help/{request_id}/acknowledge")
    assert response.status_code == 303 and response.headers["location"] == "/console/fleet"
    section = help_section(operator.get("/console/fleet").text)
    assert "Staff on the way" in section and "operator.test" in section
    assert f"/help/{request_id}/acknowledge" not in section  # once is enough
    assert audit_lines(calls, "help_acknowledge") == [
        *logged["help_acknowledge"],
        ("operator.test", f"help {request_id}", HALL2),
    ]
    # The kiosk taps again meanwhile: the same call, counted.
    assert call_staff(calls, HALL2, "home") == request_id

    again = operator.submit(f"/console/fleet/help/{request_id}/acknowledge")
    assert again.status_code == 409 and "This call was answered already" in again.text

    done = operator.submit(f"/console/fleet/help/{request_id}/done")
    assert done.status_code == 303
    assert 'id="help-calls"' not in operator.get("/console/fleet").text
    assert audit_lines(calls, "help_done") == [
        *logged["help_done"],
        ("operator.test", f"help {request_id}", HALL2),
    ]
    with calls.app.state.context.db.transaction() as session:
        row = session.get_one(HelpRequest, request_id)
        assert (row.status, row.calls, row.done_by) == ("done", 2, "operator.test")
    # Closed: the kiosk's next call is a new one.
    assert call_staff(calls, HALL2) != request_id


def test_an_answer_without_the_forms_token_changes_nothing(calls: Console) -> None:
    request_id = call_staff(calls, HALL2)
    response = calls.session(Role.OPERATOR).post(f"/console/fleet/help/{request_id}/done", data={})
    assert response.status_code == 403
    with calls.app.state.context.db.transaction() as session:
        assert session.get_one(HelpRequest, request_id).status == "open"
