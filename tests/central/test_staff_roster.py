"""`GET /v1/terminal/staff` and the --staff file, against real servers on loopback (docs/staff.md)."""

from __future__ import annotations

from pathlib import Path

import pytest

from central_server.cli import main
from central_server.security import STAFF_PIN_N, hash_password, verify_password
from central_server.staff.roster import StaffEntry, load_staff_file
from central_server.testing import RunningServer

from .helpers import Kiosk
from .staff_support import centre, signed_in_kiosk, staff_file
from .test_cli import _run, _terminals_file

ROSTER = "/v1/terminal/staff"
# The shape of a staff PIN hash, for the file checks: no PIN hashes to it.
SHAPED = "scrypt$32768$8$1$" + "ab" * 16 + "$" + "cd" * 32


def test_the_demo_roster_holds_the_documented_accounts_without_names(kiosk: Kiosk) -> None:
    response = kiosk.call("GET", ROSTER)
    assert response.status_code == 200
    staff = response.json()["data"]["staff"]
    assert [(s["staff_id"], s["role"], s["active"]) for s in staff] == [
        ("900001", "hall_staff", True),
        ("900002", "technician", True),
    ]
    assert all(set(s) == {"staff_id", "pin_hash", "role", "active"} for s in staff)
    assert verify_password("246810", staff[0]["pin_hash"]) and verify_password("135790", staff[1]["pin_hash"])
    assert not verify_password("135790", staff[0]["pin_hash"])
    assert {s["pin_hash"].split("$")[1:4] == [str(STAFF_PIN_N), "8", "1"] for s in staff} == {True}


def test_the_roster_answers_304_for_its_etag(kiosk: Kiosk) -> None:
    first = kiosk.call("GET", ROSTER)
    etag = first.headers["ETag"]
    again = kiosk.call("GET", ROSTER, replace={"If-None-Match": etag})
    assert (again.status_code, again.content, again.headers["ETag"]) == (304, b"", etag)
    stale = kiosk.call("GET", ROSTER, replace={"If-None-Match": '"0"'})
    assert stale.status_code == 200 and stale.json()["data"] == first.json()["data"]


def test_the_roster_needs_the_terminal_token(demo_server: RunningServer) -> None:
    stranger = Kiosk(demo_server.base_url)
    response = stranger.call("GET", ROSTER)
    assert (response.status_code, response.json()["code"]) == (401, "terminal_unauthorised")


def test_inactive_accounts_are_left_out_and_a_new_file_replaces_the_roster(tmp_path: Path) -> None:
    pin_hash = hash_password("112233", n=STAFF_PIN_N)
    db = f"sqlite:///{tmp_path / 'central.db'}"
    first = [
        StaffEntry("900101", pin_hash, "hall_staff"),
        StaffEntry("900102", pin_hash, "technician", False),
    ]
    with centre(db, staff=first) as server:
        roster = signed_in_kiosk(server.base_url).data("GET", ROSTER)["staff"]
        assert [s["staff_id"] for s in roster] == ["900101"]
    with centre(db, staff=[StaffEntry("900103", pin_hash, "technician")]) as server:
        roster = signed_in_kiosk(server.base_url).data("GET", ROSTER)["staff"]
        assert [(s["staff_id"], s["role"]) for s in roster] == [("900103", "technician")]
    with centre(db) as server:  # no --staff: the roster stays as the last file left it
        assert [s["staff_id"] for s in signed_in_kiosk(server.base_url).data("GET", ROSTER)["staff"]] == [
            "900103"
        ]


def _entry(staff_id: str, pin_hash: str, role: str = "hall_staff", extra: str = "") -> str:
    return f'[[staff]]\nid = "{staff_id}"\npin_hash = "{pin_hash}"\nrole = "{role}"\n{extra}\n'


@pytest.mark.timeout(30)
def test_kiosk_central_serves_the_staff_file(tmp_path: Path) -> None:
    pin_hash = hash_password("975310", n=STAFF_PIN_N)
    path = staff_file(
        tmp_path, _entry("900201", pin_hash) + _entry("900202", pin_hash, extra="active = false")
    )
    terminals = _terminals_file(tmp_path)
    process = _run("serve", "--port", "0", "--terminals", str(terminals), "--staff", str(path))
    try:
        assert process.stdout is not None
        base_url = process.stdout.readline().removeprefix("listening on ").strip()
        kiosk = Kiosk(base_url, "KIOSK-HALL-07")
        assert kiosk.authenticate("hall-07-secret-synthetic").status_code == 200
        (member,) = kiosk.data("GET", ROSTER)["staff"]
        assert member["staff_id"] == "900201" and verify_password("975310", member["pin_hash"])
    finally:
        process.terminate()
        _, stderr = process.communicate(timeout=15)
    assert pin_hash not in stderr


def _refusal(capsys: pytest.CaptureFixture[str], path: Path) -> str:
    assert main(["serve", "--port", "0", "--demo", "--staff", str(path)]) == 2
    out, err = capsys.readouterr()
    assert out == "" and len(err.splitlines()) == 1, err
    return err.strip()


def test_a_staff_file_others_may_read_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = staff_file(tmp_path, _entry("900001", hash_password("1", n=STAFF_PIN_N)), mode=0o640)
    assert _refusal(capsys, path) == (
        f"kiosk-central: staff file {path} is accessible by group or others (mode 0640); "
        f"run: chmod 600 {path}"
    )


def test_a_bad_entry_is_one_line_naming_the_file_the_entry_and_its_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = hash_password("1", n=STAFF_PIN_N)
    weak = hash_password("1")  # a citizen password's cost: too cheap to guess offline for a 6-digit PIN
    path = staff_file(tmp_path, "# hall 1\n" + _entry("900001", good) + _entry("900002", weak))
    error = _refusal(capsys, path)
    assert error.startswith(f"kiosk-central: staff file {path}: [[staff]] number 2 (line 7), key pin_hash: ")
    assert "scrypt N must be a power of two from 32768" in error and weak not in error


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (_entry("90001", "x"), "[[staff]] number 1 (line 1), key id: String should match pattern"),
        (_entry("900001", SHAPED, role="cleaner"), "[[staff]] number 1 (line 1), key role: Input should be"),
        (
            _entry("900001", "scrypt$1$2"),
            "[[staff]] number 1 (line 1), key pin_hash: Value error, not a scrypt",
        ),
        (
            _entry("900001", SHAPED, extra='name = "张测试"'),
            "[[staff]] number 1 (line 1), key name: Extra inputs",
        ),
        (
            _entry("900001", SHAPED, extra='active = "no"'),
            "[[staff]] number 1 (line 1), key active: Input should",
        ),
        ('[[terminal]]\nid = "x"\n', "[[staff]] tables: Field required"),
        ("[[staff]\n", "is not valid TOML: "),
    ],
)
def test_each_kind_of_bad_file_names_what_is_wrong(
    text: str, expected: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert expected in _refusal(capsys, staff_file(tmp_path, text))


def test_a_staff_id_listed_twice_is_refused(tmp_path: Path) -> None:
    pin_hash = hash_password("1", n=STAFF_PIN_N)
    path = staff_file(tmp_path, _entry("900001", pin_hash) + _entry("900001", pin_hash, role="technician"))
    with pytest.raises(
        Exception, match=r"\[\[staff\]\] number 2 \(line 6\): staff id 900001 is listed twice"
    ):
        load_staff_file(path)


def test_a_missing_staff_file_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "absent.toml"
    assert (
        _refusal(capsys, path) == f"kiosk-central: cannot read staff file {path}: No such file or directory"
    )
