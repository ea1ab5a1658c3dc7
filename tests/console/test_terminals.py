"""The kiosk register: an administrator registers a kiosk and is shown its secret once, the kiosk signs in
with it, and a revoked kiosk is refused at once (its tokens too) and for good, even across a restart that
lists it again; bad input, roles, CSRF, the operator log (never the secret) and escaping."""

from __future__ import annotations

import html
import logging
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from central_server.app import create_app
from central_server.console.accounts import Role
from central_server.terminals import TerminalRecord
from central_server.testing import serve_in_thread
from tests.central.helpers import Kiosk
from tests.console.conftest import Console, ConsoleSession, running_console

SCRIPT = "<script>alert(1)</script>"


@pytest.fixture(scope="module")
def centre(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Console]:
    """A centre of this module's own: registering and revoking here leaves the shared fleet as it is."""
    with running_console(tmp_path_factory.mktemp("operator-keys")) as running:
        yield running


def english(centre: Console, role: Role = Role.ADMINISTRATOR) -> ConsoleSession:
    session = centre.session(role)
    session.cookies.set("hpf_console_lang", "en", path="/console")
    return session


def register(session: ConsoleSession, terminal_id: str, group: str) -> str:
    """Registers through the console's form; the secret the answering page shows."""
    response = session.submit("/console/terminals", {"terminal_id": terminal_id, "group": group})
    assert response.status_code == 200, response.text
    secrets = set(re.findall(r'terminal_secret = "([^"]+)"', response.text))
    assert len(secrets) == 1, response.text
    (secret,) = secrets
    assert f"<code>{secret}</code>" in response.text  # shown on its own too, for copying
    return secret


def audit_log(centre: Console) -> str:
    return centre.session(Role.ADMINISTRATOR).get("/console/audit").text


def row_of(page: str, terminal_id: str) -> str:
    match = re.search(rf"<tr[^>]*>\s*<td>{re.escape(terminal_id)}</td>.*?</tr>", page, re.S)
    assert match is not None, f"{terminal_id} is not listed"
    return match.group(0)


def test_a_registered_kiosk_signs_in_with_the_secret_shown_once(centre: Console) -> None:
    admin = english(centre)
    secret = register(admin, "KIOSK-HALL9-01", "hall-9")
    assert len(secret) >= 40  # secrets.token_urlsafe(32)
    listing = admin.get("/console/terminals")
    assert listing.status_code == 200 and secret not in listing.text
    row = row_of(listing.text, "KIOSK-HALL9-01")
    assert "<td>hall-9</td>" in row and "Active" in row and "admin.test" in row
    assert secret not in audit_log(centre)

    kiosk = Kiosk(centre.base_url, "KIOSK-HALL9-01")
    assert kiosk.authenticate("not-the-secret-at-all").status_code == 401
    assert kiosk.authenticate(secret).status_code == 200
    heartbeat = {
        "app_version": "1.4.2",
        "config_version": 1,
        "uptime_s": 60,
        "devices": {},
        "paper": "ok",
        "outbox": {"depth": 0},
        "connectivity": "online",
    }
    assert kiosk.call("POST", "/v1/fleet/heartbeat", json=heartbeat).status_code == 200
    fleet = admin.get("/console/fleet").text
    assert re.search(r">KIOSK-HALL9-01</a>.*?</td>\s*<td>hall-9</td>", fleet, re.S), fleet


def test_a_revoked_kiosk_is_refused_at_once_and_for_good(centre: Console) -> None:
    admin = english(centre)
    secret = register(admin, "KIOSK-HALL9-02", "hall-9")
    kiosk = Kiosk(centre.base_url, "KIOSK-HALL9-02")
    assert kiosk.authenticate(secret).status_code == 200
    assert kiosk.call("GET", "/v1/business-types").status_code == 200

    response = admin.submit("/console/terminals/KIOSK-HALL9-02/revoke", {"reason": "stolen from hall 9"})
    assert response.status_code == 303 and response.headers["location"] == "/console/terminals"

    refused = kiosk.call("GET", "/v1/business-types")
    assert refused.status_code == 401 and refused.json()["code"] == "terminal_unauthorised"
    assert kiosk.authenticate(secret).status_code == 401
    assert "KIOSK-HALL9-02" not in centre.app.state.context.active_kiosks()
    row = row_of(admin.get("/console/terminals").text, "KIOSK-HALL9-02")
    assert "Revoked" in row and "admin.test: stolen from hall 9" in row and "<form" not in row
    assert "KIOSK-HALL9-02" not in admin.get("/console/fleet").text
    assert re.search(
        r"<td>admin\.test</td><td>terminal_revoke</td><td>KIOSK-HALL9-02</td><td>stolen from hall 9</td>",
        audit_log(centre),
    )

    again = admin.submit("/console/terminals/KIOSK-HALL9-02/revoke", {"reason": "twice"})
    assert again.status_code == 400 and "This kiosk is revoked already." in again.text


def test_an_id_is_never_used_twice_not_even_after_a_revocation(centre: Console) -> None:
    admin = english(centre)
    register(admin, "KIOSK-HALL9-03", "hall-9")
    assert admin.submit("/console/terminals/KIOSK-HALL9-03/revoke", {"reason": "replaced"}).status_code == 303
    for taken in ("KIOSK-HALL9-03", "KIOSK-HALL1-01"):  # revoked; from the terminals file
        response = admin.submit("/console/terminals", {"terminal_id": taken, "group": "hall-9"})
        assert response.status_code == 400
        assert response.text.count('class="notice"') == 1
        assert "This kiosk id is taken (perhaps by a revoked kiosk): choose another." in response.text
        assert "terminal_secret" not in response.text
    assert centre.app.state.context.active_kiosks()["KIOSK-HALL1-01"].secret == "hall1-first-secret-synthetic"


@pytest.mark.parametrize(
    ("terminal_id", "group", "message"),
    [
        ("KIOSK HALL9", "hall-9", "A kiosk id is 1 to 64 letters, digits, dots, dashes or underscores."),
        ("", "hall-9", "A kiosk id is 1 to 64 letters, digits, dots, dashes or underscores."),
        ("K" * 65, "hall-9", "A kiosk id is 1 to 64 letters, digits, dots, dashes or underscores."),
        ("KIOSK-HALL9-09", "hall 9", "A group is 1 to 64 letters, digits, dots, dashes or underscores."),
        ("KIOSK-HALL9-09", "", "A group is 1 to 64 letters, digits, dots, dashes or underscores."),
    ],
)
def test_a_bad_id_or_group_is_refused_with_one_line(
    centre: Console, terminal_id: str, group: str, message: str
) -> None:
    admin = english(centre)
    before = len(centre.app.state.context.terminals.entries())
    response = admin.submit("/console/terminals", {"terminal_id": terminal_id, "group": group})
    assert response.status_code == 400 and response.text.count('class="notice"') == 1
    assert message in response.text
    assert len(centre.app.state.context.terminals.entries()) == before


def test_a_revocation_needs_a_reason_and_a_known_kiosk(centre: Console) -> None:
    admin = english(centre)
    register(admin, "KIOSK-HALL9-04", "hall-9")
    blank = admin.submit("/console/terminals/KIOSK-HALL9-04/revoke", {"reason": "  "})
    assert blank.status_code == 400 and "Write why the kiosk is revoked." in blank.text
    unknown = admin.submit("/console/terminals/KIOSK-NOWHERE/revoke", {"reason": "gone"})
    assert unknown.status_code == 400 and "There is no such kiosk." in unknown.text
    assert "KIOSK-HALL9-04" in centre.app.state.context.active_kiosks()


def test_the_operator_log_names_the_registration_but_never_the_secret(centre: Console) -> None:
    secret = register(english(centre), "KIOSK-HALL9-05", "hall-5")
    log = audit_log(centre)
    assert re.search(
        r"<td>admin\.test</td><td>terminal_register</td><td>KIOSK-HALL9-05</td><td>group hall-5</td>", log
    )
    assert secret not in log


def test_a_post_without_the_token_changes_nothing(centre: Console) -> None:
    admin = english(centre)
    refused = admin.post("/console/terminals", data={"terminal_id": "KIOSK-HALL9-06", "group": "hall-9"})
    assert refused.status_code == 403 and "KIOSK-HALL9-06" not in admin.get("/console/terminals").text
    revoke = admin.post("/console/terminals/KIOSK-HALL1-02/revoke", data={"reason": "no token"})
    assert revoke.status_code == 403 and "KIOSK-HALL1-02" in centre.app.state.context.active_kiosks()


def test_only_administrators_see_the_page_and_its_link(centre: Console) -> None:
    assert centre.session(None).get("/console/terminals").status_code == 303
    operator = english(centre, Role.OPERATOR)
    assert operator.get("/console/terminals").status_code == 403
    assert 'href="/console/terminals"' not in operator.get("/console/fleet").text
    assert operator.submit("/console/terminals", {"terminal_id": "K-OP", "group": "g"}).status_code == 403
    assert "K-OP" not in centre.app.state.context.active_kiosks()
    admin = centre.session(Role.ADMINISTRATOR)  # Chinese, the console's first language
    page = admin.get("/console/terminals")
    assert page.status_code == 200 and "登记新终端" in page.text and 'href="/console/terminals"' in page.text


def test_a_reason_comes_out_escaped(centre: Console) -> None:
    admin = english(centre)
    register(admin, "KIOSK-HALL9-07", "hall-9")
    assert admin.submit("/console/terminals/KIOSK-HALL9-07/revoke", {"reason": SCRIPT}).status_code == 303
    for page in (admin.get("/console/terminals").text, audit_log(centre)):
        assert SCRIPT not in page and html.escape(SCRIPT, quote=False) in page


def test_a_revoked_kiosk_stays_revoked_after_a_restart_that_lists_it(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    url = f"sqlite:///{tmp_path / 'centre.db'}"
    listed = {
        "KIOSK-A": TerminalRecord("KIOSK-A", "kiosk-a-secret-synthetic", "hall-1"),
        "KIOSK-B": TerminalRecord("KIOSK-B", "kiosk-b-secret-synthetic", "hall-1"),
    }
    first = create_app(url, terminals=listed).state.context
    assert set(first.active_kiosks()) == {"KIOSK-A", "KIOSK-B"}
    first.terminals.revoke("KIOSK-A", by="admin.test", reason="stolen", now=1)

    # The file now moves KIOSK-B to another hall: a listed active kiosk follows the file.
    moved = {**listed, "KIOSK-B": TerminalRecord("KIOSK-B", "kiosk-b-secret-synthetic", "hall-2")}
    with caplog.at_level(logging.WARNING, logger="central_server.terminal_registry"):
        app = create_app(url, terminals=moved)
    assert [r.getMessage() for r in caplog.records] == ["terminal KIOSK-A is listed (file) but stays revoked"]
    active = app.state.context.active_kiosks()
    assert set(active) == {"KIOSK-B"} and active["KIOSK-B"].group == "hall-2"
    (entry,) = [e for e in app.state.context.terminals.entries() if e.terminal_id == "KIOSK-A"]
    assert (entry.state, entry.revoked_by, entry.revoke_reason) == ("revoked", "admin.test", "stolen")
    with serve_in_thread(app) as server:
        refused = Kiosk(server.base_url, "KIOSK-A").authenticate("kiosk-a-secret-synthetic")
        assert refused.status_code == 401
        assert Kiosk(server.base_url, "KIOSK-B").authenticate("kiosk-b-secret-synthetic").status_code == 200


def test_a_kiosk_taken_out_of_the_file_is_refused_until_it_is_listed_again(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    url = f"sqlite:///{tmp_path / 'centre.db'}"
    a = TerminalRecord("KIOSK-A", "kiosk-a-secret-synthetic", "hall-1")
    b = TerminalRecord("KIOSK-B", "kiosk-b-secret-synthetic", "hall-1")
    first = create_app(url, terminals={"KIOSK-A": a, "KIOSK-B": b}).state.context.terminals
    first.register("KIOSK-C", "hall-2", by="admin.test", now=1)  # an operator's: the file does not rule it
    with caplog.at_level(logging.WARNING, logger="central_server.terminal_registry"):
        shrunk = create_app(url, terminals={"KIOSK-A": a}).state.context
    assert [r.getMessage() for r in caplog.records] == [
        "terminal KIOSK-B is no longer listed: refused until it is listed again"
    ]
    assert set(shrunk.active_kiosks()) == {"KIOSK-A", "KIOSK-C"}
    assert {e.terminal_id: e.state for e in shrunk.terminals.entries()}["KIOSK-B"] == "unlisted"
    again = create_app(url, terminals={"KIOSK-A": a, "KIOSK-B": b}).state.context
    assert set(again.active_kiosks()) == {"KIOSK-A", "KIOSK-B", "KIOSK-C"}
