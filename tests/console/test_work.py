"""The console's work pages on a centre of their own with a fixed clock (Friday 27 November 2026, 11:00 centre
time): bad ratings filed through the intake open cases whose deadlines the list marks; assigning, noting and
closing through the console change the case as the JSON API then reports it; alerts are acknowledged once;
the customer view is masked for operators and unmasked only after an administrator's reasoned POST; every
action and every look is in the operator log, and nothing typed into a form comes out unescaped."""

from __future__ import annotations

import datetime as dt
import html
import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from central_server.alerts.models import Alert
from central_server.app import create_app
from central_server.console import accounts, work
from central_server.console.accounts import Role
from central_server.console.i18n import ZH
from central_server.testing import serve_in_thread
from kiosk.masking import mask_id_number, mask_name, mask_phone
from tests.central.helpers import FIXED_NOW, FakeClock, Kiosk
from tests.central.visits import Visitor, sign_in
from tests.console.conftest import OPERATOR_TOKEN, TERMINALS, USERS, Console, ConsoleSession
from tests.console.filing import PHONE, rate

SCRIPT = "<script>alert(1)</script>"
KIOSK = "KIOSK-HALL1-01"


@pytest.fixture(scope="module")
def centre(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Console]:
    app = create_app(
        demo=True,
        terminals=TERMINALS,
        operator_tokens=[OPERATOR_TOKEN],
        clock=FakeClock(FIXED_NOW),
        console_secure_cookies=False,
    )
    with app.state.context.db.transaction() as session:
        for role, (username, password) in USERS.items():
            accounts.add(session, username, password, role, now=0)
    with serve_in_thread(app) as server:
        yield Console(server, app, tmp_path_factory.mktemp("unused") / "no-key")


@pytest.fixture(scope="module")
def kiosk(centre: Console) -> Kiosk:
    kiosk = Kiosk(centre.base_url, KIOSK)
    assert kiosk.authenticate(TERMINALS[KIOSK].secret).status_code == 200
    return kiosk


@pytest.fixture(scope="module")
def visitor(kiosk: Kiosk) -> Visitor:
    card = kiosk.data("GET", "/v1/demo/cards")[0]
    return sign_in(kiosk, card)


def api(centre: Console, method: str, path: str, **kwargs: Any) -> Any:
    response = requests.request(
        method,
        centre.base_url + path,
        headers={"Authorization": f"Bearer {OPERATOR_TOKEN}"},
        timeout=10,
        **kwargs,
    )
    assert response.status_code == 200, response.text
    return response.json()["data"]


def case_of(centre: Console, case_ref: str) -> dict[str, Any]:
    (case,) = [
        c for c in api(centre, "GET", "/v1/admin/cases?state=all&limit=1000") if c["case_ref"] == case_ref
    ]
    return case


def row_of(page: str, case_id: int) -> str:
    """The list's table row of one case (its class and cells)."""
    match = re.search(rf'<tr( class="\w+")?>\s*<td><a href="/console/cases/{case_id}">.*?</tr>', page, re.S)
    assert match is not None, f"case {case_id} is not listed"
    return match.group(0)


def audit_log(centre: Console) -> str:
    return centre.session(Role.ADMINISTRATOR).get("/console/audit").text


# -- cases ---------------------------------------------------------------------------------------------------


def test_the_case_list_marks_deadlines_overdue_today_and_later(centre: Console, kiosk: Kiosk) -> None:
    # Rated today (Friday): call back by the end of Monday 30 November, nothing urgent yet.
    later = case_of(centre, rate(kiosk, FIXED_NOW))
    # Rated yesterday (Thursday): the callback is due by the end of today.
    today = case_of(centre, rate(kiosk, FIXED_NOW - dt.timedelta(days=1)))
    # Rated on 1 October: the callback and the 15 working days to resolve have both passed.
    overdue = case_of(centre, rate(kiosk, dt.datetime(2026, 10, 1, 2, 0, tzinfo=dt.UTC)))
    page = centre.session(Role.VIEWER).get("/console/cases")
    assert page.status_code == 200
    later_row, today_row, overdue_row = (row_of(page.text, c["id"]) for c in (later, today, overdue))
    assert '<tr class="bad">' in overdue_row and overdue_row.count("已超期") == 3  # both deadlines, the state
    assert '<tr class="warn">' in today_row and "今日到期" in today_row and "2026-11-27" in today_row
    assert later_row.startswith("<tr>") and "2026-11-30" in later_row and "2026-12-18" in later_row
    assert mask_phone(PHONE) in later_row and PHONE not in page.text
    assert "提取" in later_row and "办理太慢、问题未解决" in later_row
    # Open cases, the most pressing first: the overdue one before today's, today's before Monday's.
    order = [page.text.index(f'href="/console/cases/{c["id"]}"') for c in (overdue, today, later)]
    assert order == sorted(order)
    only_overdue = centre.session(Role.VIEWER).get("/console/cases?overdue=1").text
    assert f'/console/cases/{overdue["id"]}"' in only_overdue
    assert f'/console/cases/{today["id"]}"' not in only_overdue


def test_assign_note_callback_and_close_change_the_case_as_the_api_reports(
    centre: Console, kiosk: Kiosk
) -> None:
    case = case_of(centre, rate(kiosk, FIXED_NOW))
    path = f"/console/cases/{case['id']}"
    operator = centre.session(Role.OPERATOR)
    me = USERS[Role.OPERATOR][0]
    admin_name = USERS[Role.ADMINISTRATOR][0]
    assert operator.submit(path + "/assign").headers["location"] == path  # nobody named: me
    assert case_of(centre, case["case_ref"])["assignee"] == me
    assert operator.submit(path + "/assign", {"assignee": admin_name}).status_code == 303
    assert operator.submit(path + "/note", {"text": SCRIPT}).status_code == 303
    assert operator.submit(path + "/callback", {"text": "已回访，群众表示理解"}).status_code == 303
    assert operator.submit(path + "/close", {"resolution": "已加快审核"}).status_code == 303
    reported = case_of(centre, case["case_ref"])
    assert (reported["state"], reported["assignee"], reported["resolution"]) == (
        "closed",
        admin_name,
        "已加快审核",
    )
    assert reported["callback_at"] == "2026-11-27T03:00:00Z"
    assert [(n["kind"], n["text"]) for n in reported["notes"]] == [
        ("assign", me),
        ("assign", admin_name),
        ("note", SCRIPT),
        ("callback", "已回访，群众表示理解"),
        ("close", "已加快审核"),
    ]
    detail = centre.session(Role.VIEWER).get(path)
    assert detail.status_code == 200 and SCRIPT not in detail.text
    assert html.escape(SCRIPT, quote=False) in detail.text
    assert "已办结" in detail.text and "已加快审核" in detail.text
    # Closed: the API's refusal, as one line, and the case stays as it was.
    again = operator.submit(path + "/note", {"text": "再补一句"})
    assert again.status_code == 409 and "该工单已办结，未作任何更改。" in again.text
    assert len(case_of(centre, case["case_ref"])["notes"]) == 5
    log = audit_log(centre)
    target = f"case {case['id']}"
    for action in ("case_assign", "case_note", "case_callback", "case_close"):
        assert re.search(rf"<td>{me}</td><td>{action}</td><td>{target}</td>", log), action
    assert SCRIPT not in log and html.escape(SCRIPT, quote=False) in log


def test_bad_input_changes_nothing(centre: Console, kiosk: Kiosk) -> None:
    case = case_of(centre, rate(kiosk, FIXED_NOW))
    path = f"/console/cases/{case['id']}"
    operator = centre.session(Role.OPERATOR)
    assert operator.submit(path + "/note", {"text": "   "}).status_code == 400
    too_long = operator.submit(path + "/note", {"text": "长" * 501})
    assert too_long.status_code == 400 and "最多 500 个字。" in too_long.text
    assert operator.submit(path + "/assign", {"assignee": "staff.wang"}).status_code == 400
    assert operator.submit(path + "/assign", {"assignee": USERS[Role.VIEWER][0]}).status_code == 400
    assert operator.submit(path + "/close", {"resolution": ""}).status_code == 400
    after = case_of(centre, case["case_ref"])
    assert (after["notes"], after["assignee"], after["state"]) == ([], None, "open")
    assert operator.get("/console/cases/999999").status_code == 404


def test_case_pages_and_actions_need_their_roles_and_the_token(centre: Console, kiosk: Kiosk) -> None:
    case = case_of(centre, rate(kiosk, FIXED_NOW))
    path = f"/console/cases/{case['id']}"
    anonymous, viewer, operator = (centre.session(r) for r in (None, Role.VIEWER, Role.OPERATOR))
    for page in ("/console/cases", path):
        assert anonymous.get(page).status_code == 303
        assert viewer.get(page).status_code == 200
    assert "处理工单" not in viewer.get(path).text and "处理工单" in operator.get(path).text
    for action, data in (
        ("assign", {}),
        ("note", {"text": "x"}),
        ("callback", {"text": "x"}),
        ("close", {"resolution": "x"}),
    ):
        assert viewer.submit(f"{path}/{action}", data).status_code == 403
        assert operator.post(f"{path}/{action}", data=data).status_code == 403  # no CSRF token
        assert anonymous.post(f"{path}/{action}", data=data).status_code == 401
    after = case_of(centre, case["case_ref"])
    assert (after["notes"], after["state"]) == ([], "open")


# -- alerts --------------------------------------------------------------------------------------------------


def add_alert(centre: Console, subject: str, severity: str = "high") -> int:
    """An alert as the watch raises one (central_server/alerts/watch.py), straight into the table."""
    first = FIXED_NOW - dt.timedelta(hours=2)
    with centre.app.state.context.db.transaction() as session:
        alert = Alert(
            rule="kiosk_sign_in_failures",
            severity=severity,
            subject=subject,
            open_key=f"kiosk_sign_in_failures:{subject}:{uuid.uuid4().hex}",
            evidence='{"failures": 7, "distinct_citizens": 5, "window_s": 600}',
            first_seen=first,
            last_seen=first + dt.timedelta(minutes=30),
            count=3,
        )
        session.add(alert)
        session.flush()
        return alert.id


def test_alerts_are_listed_open_first_and_acknowledged_once(centre: Console) -> None:
    older = add_alert(centre, "KIOSK-HALL1-02")
    newer = add_alert(centre, KIOSK)
    operator = centre.session(Role.OPERATOR)
    assert operator.submit(f"/console/alerts/{older}/ack", {"comment": SCRIPT}).status_code == 303
    page = centre.session(Role.VIEWER).get("/console/alerts")
    assert page.status_code == 200
    assert page.text.index(f'id="alert-{newer}"') < page.text.index(f'id="alert-{older}"')
    newer_row = page.text[page.text.index(f'id="alert-{newer}"') :].split("</tr>")[0]
    assert "同一终端尝试多个证件登录" in newer_row and KIOSK in newer_row
    assert "2026-11-27 09:00" in newer_row and "2026-11-27 09:30" in newer_row and "<td>3</td>" in newer_row
    assert SCRIPT not in page.text and html.escape(SCRIPT, quote=False) in page.text
    acknowledged = {a["id"]: a for a in api(centre, "GET", "/v1/admin/alerts?state=all")}[older]
    assert (acknowledged["acknowledged_by"], acknowledged["note"]) == (USERS[Role.OPERATOR][0], SCRIPT)
    again = operator.submit(f"/console/alerts/{older}/ack", {"comment": "再次确认"})
    assert again.status_code == 409
    assert (
        f"告警 #{older} 已由 {USERS[Role.OPERATOR][0]} 于 2026-11-27 11:00 确认处理，未作任何更改。"
        in again.text
    )
    assert {a["id"]: a for a in api(centre, "GET", "/v1/admin/alerts?state=all")}[older]["note"] == SCRIPT
    assert re.search(rf"<td>alert_ack</td><td>alert {older}</td>", audit_log(centre))


def test_acknowledging_needs_an_operator_a_comment_and_the_token(centre: Console) -> None:
    alert = add_alert(centre, "KIOSK-HALL2-01", severity="medium")
    path = f"/console/alerts/{alert}/ack"
    assert centre.session(None).get("/console/alerts").status_code == 303
    viewer, operator = centre.session(Role.VIEWER), centre.session(Role.OPERATOR)
    assert (
        "确认处理" not in viewer.get("/console/alerts").text.split(f'id="alert-{alert}"')[1].split("</tr>")[0]
    )
    assert viewer.submit(path, {"comment": "看过了"}).status_code == 403
    assert operator.post(path, data={"comment": "看过了"}).status_code == 403
    assert operator.submit(path, {"comment": " "}).status_code == 400
    assert operator.submit("/console/alerts/999999/ack", {"comment": "x"}).status_code == 404
    still = {a["id"]: a for a in api(centre, "GET", "/v1/admin/alerts?state=open")}
    assert alert in still and still[alert]["acknowledged_by"] is None


# -- one customer --------------------------------------------------------------------------------------------


def look_up(session: ConsoleSession, id_number: str) -> requests.Response:
    return session.submit("/console/customers", {"id_number": id_number})


def test_the_customer_view_is_masked_for_operators(centre: Console, kiosk: Kiosk, visitor: Visitor) -> None:
    case = case_of(centre, rate(kiosk, FIXED_NOW, visitor))
    operator = centre.session(Role.OPERATOR)
    assert operator.get("/console/customers").status_code == 200
    page = look_up(operator, visitor.id_number.lower())
    assert page.status_code == 200
    for shown in (mask_name(visitor.name), mask_id_number(visitor.id_number), mask_phone(PHONE)):
        assert shown in page.text
    for hidden in (visitor.id_number, visitor.name, PHONE, "查看完整信息"):
        assert hidden not in page.text
    assert f'href="/console/cases/{case["id"]}"' in page.text  # the case opened by the rating
    assert "评价" in page.text and "1 分" in page.text and "登录" in page.text  # the rating and the sign-in
    log = audit_log(centre)
    assert re.search(
        rf"<td>customer_view</td><td>{re.escape(mask_id_number(visitor.id_number))}</td><td>masked</td>", log
    )
    assert visitor.id_number not in log
    unknown = look_up(operator, "11010519491231002X")
    assert unknown.status_code == 404 and "没有该身份证号的客户。" in unknown.text
    assert look_up(operator, "not a number").status_code == 400


def test_only_an_administrators_reasoned_post_unmasks(
    centre: Console, kiosk: Kiosk, visitor: Visitor
) -> None:
    rate(kiosk, FIXED_NOW, visitor)
    admin, operator = centre.session(Role.ADMINISTRATOR), centre.session(Role.OPERATOR)
    masked = look_up(admin, visitor.id_number)
    assert (
        visitor.id_number not in masked.text
        and visitor.name not in masked.text
        and "查看完整信息" in masked.text
    )
    citizen = re.search(r'name="citizen" value="(\d+)"', masked.text)
    assert citizen is not None
    form = {"citizen": citizen.group(1)}
    no_reason = admin.submit("/console/customers/unmasked", {**form, "reason": "  "})
    assert no_reason.status_code == 400 and visitor.id_number not in no_reason.text
    assert "请填写查看完整信息的原因。" in no_reason.text
    assert operator.submit("/console/customers/unmasked", {**form, "reason": "核实"}).status_code == 403
    assert admin.post("/console/customers/unmasked", data={**form, "reason": "核实"}).status_code == 403
    reason = "群众来电核实身份 " + SCRIPT
    unmasked = admin.submit("/console/customers/unmasked", {**form, "reason": reason})
    assert unmasked.status_code == 200
    for shown in (visitor.id_number, visitor.name, PHONE):
        assert shown in unmasked.text
    log = audit_log(centre)
    masked_id = re.escape(mask_id_number(visitor.id_number))
    entry = rf"<td>{USERS[Role.ADMINISTRATOR][0]}</td><td>customer_view</td><td>{masked_id}</td>"
    assert re.search(entry + rf"<td>unmasked: {re.escape(html.escape(reason, quote=False))}</td>", log)
    assert re.search(entry + r"<td>masked \(unmasking refused\)</td>", log)
    assert visitor.id_number not in log and SCRIPT not in log


def test_viewers_and_anonymous_visitors_get_no_customer_view(centre: Console, visitor: Visitor) -> None:
    viewer, anonymous = centre.session(Role.VIEWER), centre.session(None)
    assert viewer.get("/console/customers").status_code == 403
    assert look_up(viewer, visitor.id_number).status_code == 403
    assert anonymous.get("/console/customers").status_code == 303
    assert (
        centre.session(Role.OPERATOR)
        .post("/console/customers", data={"id_number": visitor.id_number})
        .status_code
        == 403
    )


def test_every_word_of_the_work_pages_has_its_chinese() -> None:
    templates = Path(work.__file__).parent / "templates"
    used = {w for f in templates.glob("work_*.html") for w in re.findall(r't\("([^"]+)"\)', f.read_text())}
    used |= set(
        re.findall(r'(?:page\.t\(|message=|title=|back_label=)"([^"]+)"', Path(work.__file__).read_text())
    )
    used |= {*work.LABELS.values(), *work.ACCOUNT_STATUS.values(), "Recently closed", "All"}
    assert sorted(used - ZH.keys()) == []
