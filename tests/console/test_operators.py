"""Operator accounts in the console: an administrator adds an operator who then signs in; a new role, a new
password or a disable ends the operator's sessions at once; enable and unlock let them in again; an
administrator cannot disable or demote themselves; bad input is one line and changes nothing; roles, CSRF,
the operator log (never a password) and escaping."""

from __future__ import annotations

import ast
import html
import logging
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from sqlalchemy import select

from central_server.console import accounts, operators
from central_server.console.accounts import LOCK_AFTER, Role
from central_server.console.i18n import ZH
from central_server.console.models import OperatorAccount
from tests.console.conftest import Console, ConsoleSession, running_console

SCRIPT = "<script>alert(1)</script>"
# Every password this module types: none may reach the operator log or a log line.
PASSWORDS = {
    "chen": "chen-first-password-1",
    "li": "li-first-password-22",
    "li2": "li-second-password-333",
    "wang": "wang-first-password-4",
    "zhao": "zhao-first-password-5",
    "boss": "boss-first-password-6",
    "boss2": "boss-second-password-7",
    "sun": "sun-first-password-88",
}


@pytest.fixture(scope="module")
def centre(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Console]:
    """A centre of this module's own: the accounts made and changed here stay out of the shared console."""
    with running_console(tmp_path_factory.mktemp("operator-keys")) as running:
        yield running


def english(centre: Console, role: Role = Role.ADMINISTRATOR) -> ConsoleSession:
    session = centre.session(role)
    session.cookies.set("hpf_console_lang", "en", path="/console")
    return session


def add(admin: ConsoleSession, username: str, role: str, password: str, again: str | None = None) -> int:
    response = admin.submit(
        "/console/operators",
        {
            "username": username,
            "role": role,
            "password": password,
            "again": password if again is None else again,
        },
    )
    if response.status_code == 303:
        assert response.headers["location"] == "/console/operators"
    return response.status_code


def signed_in(centre: Console, username: str, password: str) -> ConsoleSession:
    session = ConsoleSession(centre)
    assert session.sign_in(username, password).status_code == 303
    return session


def refused_sign_in(centre: Console, username: str, password: str) -> int:
    return ConsoleSession(centre).sign_in(username, password).status_code


def row_of(page: str, username: str) -> str:
    match = re.search(
        rf"<tr[^>]*>\s*<td>{re.escape(username)}(?: <span[^<]*</span>)?</td>.*?</tr>", page, re.S
    )
    assert match is not None, f"{username} is not listed"
    return match.group(0)


def cells(row: str) -> list[list[str]]:
    """Each cell's words, tags left out."""
    return [re.sub(r"<[^>]+>", " ", cell).split() for cell in re.findall(r"<td>(.*?)</td>", row, re.S)]


def account(centre: Console, username: str) -> tuple[str, bool, int, int, int] | None:
    """role, active, failures, locked_until, session_epoch: straight from the table."""
    with centre.app.state.context.db.transaction() as session:
        found = session.scalar(select(OperatorAccount).where(OperatorAccount.username == username))
        if found is None:
            return None
        return found.role, found.active, found.failures, found.locked_until, found.session_epoch


def audit_log(centre: Console) -> str:
    return centre.session(Role.ADMINISTRATOR).get("/console/audit").text


def test_an_added_operator_signs_in_with_their_role(centre: Console) -> None:
    admin = english(centre)
    assert add(admin, "chen.ops", "operator", PASSWORDS["chen"]) == 303
    row = row_of(admin.get("/console/operators").text, "chen.ops")
    assert "<td>operator</td>" in row and "Active" in row
    assert cells(row)[4] == ["—"]  # never signed in

    chen = signed_in(centre, "chen.ops", PASSWORDS["chen"])
    assert chen.get("/console/rollouts/new").status_code == 200  # an operator's page
    assert chen.get("/console/operators").status_code == 403
    last = cells(row_of(admin.get("/console/operators").text, "chen.ops"))[4]
    assert len(last) == 2 and re.fullmatch(r"\d{4}-\d\d-\d\d", last[0]), last
    assert re.search(
        r"<td>admin\.test</td><td>operator_add</td><td>chen\.ops</td><td>role operator</td>",
        audit_log(centre),
    )


def test_a_new_role_ends_the_old_session_and_applies_at_once(centre: Console) -> None:
    admin = english(centre)
    assert add(admin, "li.view", "viewer", PASSWORDS["li"]) == 303
    li = signed_in(centre, "li.view", PASSWORDS["li"])
    assert li.get("/console/rollouts/new").status_code == 403

    assert admin.submit("/console/operators/li.view/role", {"role": "operator"}).status_code == 303
    assert li.get("/console/fleet").status_code == 303  # to sign in: the viewer's session has ended
    assert "<td>operator</td>" in row_of(admin.get("/console/operators").text, "li.view")
    again = signed_in(centre, "li.view", PASSWORDS["li"])
    assert again.get("/console/rollouts/new").status_code == 200
    assert re.search(r"<td>operator_role</td><td>li\.view</td><td>viewer to operator</td>", audit_log(centre))

    # The same role again changes nothing, so the sessions stay.
    assert admin.submit("/console/operators/li.view/role", {"role": "operator"}).status_code == 303
    assert again.get("/console/rollouts/new").status_code == 200


def test_a_new_password_ends_the_old_session_and_replaces_the_old_one(
    centre: Console, caplog: pytest.LogCaptureFixture
) -> None:
    admin = english(centre)
    assert add(admin, "li.pass", "viewer", PASSWORDS["li"]) == 303
    li = signed_in(centre, "li.pass", PASSWORDS["li"])
    with caplog.at_level(logging.DEBUG):
        changed = admin.submit(
            "/console/operators/li.pass/password", {"password": PASSWORDS["li2"], "again": PASSWORDS["li2"]}
        )
    assert changed.status_code == 303
    assert PASSWORDS["li2"] not in caplog.text
    assert li.get("/console/fleet").status_code == 303
    assert refused_sign_in(centre, "li.pass", PASSWORDS["li"]) == 401
    assert signed_in(centre, "li.pass", PASSWORDS["li2"]).get("/console/fleet").status_code == 200
    assert re.search(r"<td>operator_password</td><td>li\.pass</td><td></td>", audit_log(centre))


def test_disable_refuses_sign_in_and_enable_lets_the_operator_in_again(centre: Console) -> None:
    admin = english(centre)
    assert add(admin, "wang.ops", "operator", PASSWORDS["wang"]) == 303
    wang = signed_in(centre, "wang.ops", PASSWORDS["wang"])

    assert admin.submit("/console/operators/wang.ops/disable").status_code == 303
    assert wang.get("/console/fleet").status_code == 303
    assert refused_sign_in(centre, "wang.ops", PASSWORDS["wang"]) == 401
    row = row_of(admin.get("/console/operators").text, "wang.ops")
    assert "Disabled" in row and "/console/operators/wang.ops/enable" in row and "/disable" not in row

    assert admin.submit("/console/operators/wang.ops/enable").status_code == 303
    assert signed_in(centre, "wang.ops", PASSWORDS["wang"]).get("/console/rollouts/new").status_code == 200
    assert "Active" in row_of(admin.get("/console/operators").text, "wang.ops")
    log = audit_log(centre)
    assert re.search(r"<td>admin\.test</td><td>operator_disable</td><td>wang\.ops</td>", log)
    assert re.search(r"<td>admin\.test</td><td>operator_enable</td><td>wang\.ops</td>", log)


def test_unlock_lets_a_locked_out_operator_sign_in_at_once(centre: Console) -> None:
    admin = english(centre)
    assert add(admin, "zhao.ops", "viewer", PASSWORDS["zhao"]) == 303
    for _ in range(LOCK_AFTER - 1):
        assert refused_sign_in(centre, "zhao.ops", "not-the-password-at-all") == 401
    assert refused_sign_in(centre, "zhao.ops", "not-the-password-at-all") == 429
    assert refused_sign_in(centre, "zhao.ops", PASSWORDS["zhao"]) == 429  # locked: even the right one waits
    row = row_of(admin.get("/console/operators").text, "zhao.ops")
    assert 'class="warn"' in row and "Locked until" in row and f"{LOCK_AFTER} wrong passwords in a row" in row

    assert admin.submit("/console/operators/zhao.ops/unlock").status_code == 303
    assert account(centre, "zhao.ops")[2:4] == (0, 0)  # type: ignore[index]
    assert signed_in(centre, "zhao.ops", PASSWORDS["zhao"]).get("/console/fleet").status_code == 200
    row = row_of(admin.get("/console/operators").text, "zhao.ops")
    assert "Locked until" not in row and "/unlock" not in row
    assert re.search(r"<td>admin\.test</td><td>operator_unlock</td><td>zhao\.ops</td>", audit_log(centre))


def test_an_administrator_may_not_disable_or_demote_themselves(centre: Console) -> None:
    admin = english(centre)
    assert add(admin, "boss.admin", "administrator", PASSWORDS["boss"]) == 303
    boss = signed_in(centre, "boss.admin", PASSWORDS["boss"])
    boss.cookies.set("hpf_console_lang", "en", path="/console")
    before = account(centre, "boss.admin")

    disabled = boss.submit("/console/operators/boss.admin/disable")
    assert disabled.status_code == 400 and disabled.text.count('class="notice"') == 1
    assert "You may not disable yourself: ask another administrator." in disabled.text
    demoted = boss.submit("/console/operators/boss.admin/role", {"role": "viewer"})
    assert demoted.status_code == 400
    assert "You may not change your own role: ask another administrator." in demoted.text
    assert account(centre, "boss.admin") == before
    own = row_of(boss.get("/console/operators").text, "boss.admin")
    assert "(you)" in own and "/disable" not in own and "/role" not in own

    # Their own new password keeps them signed in (this session), and only the new one works after.
    changed = boss.submit(
        "/console/operators/boss.admin/password",
        {"password": PASSWORDS["boss2"], "again": PASSWORDS["boss2"]},
    )
    assert changed.status_code == 303
    assert boss.get("/console/operators").status_code == 200
    assert refused_sign_in(centre, "boss.admin", PASSWORDS["boss"]) == 401
    assert signed_in(centre, "boss.admin", PASSWORDS["boss2"]).get("/console/operators").status_code == 200

    # Another administrator may.
    assert admin.submit("/console/operators/boss.admin/role", {"role": "viewer"}).status_code == 303
    assert boss.get("/console/operators").status_code == 303


@pytest.mark.parametrize(
    ("username", "role", "password", "again", "message"),
    [
        ("admin.test", "viewer", "another-long-password", None, "operator admin.test exists already"),
        ("sun.ops", "viewer", "short", None, "the password needs at least 12 characters"),
        ("sun.ops", "viewer", "x" * 201, None, "the password may have at most 200 characters"),
        ("sun.ops", "viewer", PASSWORDS["sun"], PASSWORDS["sun"] + "!", "The two passwords differ."),
        ("sun.ops", "chief", PASSWORDS["sun"], None, "unknown role &#39;chief&#39;; roles: viewer, operator"),
        (
            "Sun.Ops",
            "viewer",
            PASSWORDS["sun"],
            None,
            "a username is 3 to 40 characters: lower-case letters, digits, &#39;.&#39;",
        ),
    ],
)
def test_bad_input_is_refused_with_one_line_and_changes_nothing(
    centre: Console, username: str, role: str, password: str, again: str | None, message: str
) -> None:
    admin = english(centre)
    before = account(centre, "admin.test")
    response = admin.submit(
        "/console/operators",
        {
            "username": username,
            "role": role,
            "password": password,
            "again": password if again is None else again,
        },
    )
    assert response.status_code == 400 and response.text.count('class="notice"') == 1
    assert message in response.text, response.text
    assert f'name="username" value="{username}"' in response.text  # typed again for a second try
    assert password not in response.text
    assert account(centre, "sun.ops") is None and account(centre, username.lower()) in (None, before)
    assert account(centre, "admin.test") == before


def test_a_bad_new_password_changes_nothing(centre: Console) -> None:
    admin = english(centre)
    assert add(admin, "sun.keep", "viewer", PASSWORDS["sun"]) == 303
    sun = signed_in(centre, "sun.keep", PASSWORDS["sun"])
    for password, again, message in (
        ("too-short", "too-short", "the password needs at least 12 characters"),
        ("a-long-new-password-1", "a-long-new-password-2", "The two passwords differ."),
    ):
        response = admin.submit(
            "/console/operators/sun.keep/password", {"password": password, "again": again}
        )
        assert response.status_code == 400 and message in response.text
    assert sun.get("/console/fleet").status_code == 200
    unknown = admin.submit("/console/operators/nobody.here/unlock")
    assert unknown.status_code == 400 and "no operator nobody.here" in unknown.text


def test_refusals_are_in_chinese_first(centre: Console) -> None:
    admin = centre.session(Role.ADMINISTRATOR)
    page = admin.get("/console/operators")
    assert page.status_code == 200 and "操作员账号" in page.text and 'href="/console/operators"' in page.text
    taken = admin.submit(
        "/console/operators",
        {"username": "viewer.test", "role": "viewer", "password": "x" * 12, "again": "x" * 12},
    )
    assert taken.status_code == 400 and "账号 viewer.test 已存在" in taken.text


def test_every_refusal_of_accounts_has_its_chinese() -> None:
    texts = set()
    for module in (accounts, operators):
        for node in ast.walk(ast.parse(Path(module.__file__ or "").read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "AccountError":
                first = node.args[0]
                assert isinstance(first, ast.Constant), ast.unparse(node)
                texts.add(first.value)
    assert len(texts) >= 8 and sorted(texts - set(ZH)) == []


def test_only_administrators_and_only_with_the_forms_token(centre: Console) -> None:
    assert centre.session(None).get("/console/operators").status_code == 303
    operator = english(centre, Role.OPERATOR)
    assert operator.get("/console/operators").status_code == 403
    assert 'href="/console/operators"' not in operator.get("/console/fleet").text
    assert add(operator, "qian.ops", "administrator", "qian-password-12") == 403
    assert (
        operator.submit("/console/operators/operator.test/role", {"role": "administrator"}).status_code == 403
    )
    assert account(centre, "qian.ops") is None and account(centre, "operator.test")[0] == "operator"  # type: ignore[index]

    admin = english(centre)
    no_token = {
        "username": "qian.ops",
        "role": "viewer",
        "password": "qian-password-12",
        "again": "qian-password-12",
    }
    assert admin.post("/console/operators", data=no_token).status_code == 403
    before = account(centre, "viewer.test")
    for action, data in (
        ("role", {"role": "administrator"}),
        ("password", {"password": "qian-password-12", "again": "qian-password-12"}),
        ("disable", {}),
        ("unlock", {}),
    ):
        assert admin.post(f"/console/operators/viewer.test/{action}", data=data).status_code == 403
    assert account(centre, "qian.ops") is None and account(centre, "viewer.test") == before


def test_usernames_come_out_escaped(centre: Console) -> None:
    admin = english(centre)
    typed = admin.submit(
        "/console/operators", {"username": SCRIPT, "role": "viewer", "password": "x" * 12, "again": "x" * 12}
    )
    assert typed.status_code == 400 and SCRIPT not in typed.text
    assert html.escape(SCRIPT) in typed.text  # the form gives it back, escaped
    tag = "<img src=x onerror=alert(1)>"
    unknown = admin.submit(f"/console/operators/{quote(tag)}/disable")
    assert unknown.status_code == 400 and tag not in unknown.text
    assert f"no operator {html.escape(tag)}" in unknown.text


def test_the_operator_log_has_every_action_and_never_a_password(
    centre: Console, caplog: pytest.LogCaptureFixture
) -> None:
    admin = english(centre)
    first, second = "qin-first-password-9", "qin-second-password-10"
    with caplog.at_level(logging.DEBUG):
        assert add(admin, "qin.ops", "viewer", first) == 303
        for _ in range(LOCK_AFTER):
            refused_sign_in(centre, "qin.ops", "not-the-password-at-all")
        for action, data in (
            ("role", {"role": "operator"}),
            ("password", {"password": second, "again": second}),
            ("unlock", {}),
            ("disable", {}),
            ("enable", {}),
        ):
            assert admin.submit(f"/console/operators/qin.ops/{action}", data).status_code == 303
    log = audit_log(centre)
    for action in ("add", "role", "password", "unlock", "disable", "enable"):
        assert re.search(rf"<td>admin\.test</td><td>operator_{action}</td><td>qin\.ops</td>", log), action
    for password in (first, second, *PASSWORDS.values()):
        assert password not in log and password not in caplog.text
