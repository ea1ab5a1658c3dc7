"""Property tests of the --staff file parser: what it is given back is what was written, and any text at
all is either entries or one StaffFileError line naming the file; it never raises anything else."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from central_server.staff.roster import StaffEntry, StaffFileError, parse_staff_file

PATH = Path("/etc/hpf-central/staff.toml")
_HEX = "0123456789abcdef"

pin_hashes = st.builds(
    lambda n, r, p, salt, digest: f"scrypt${n}${r}${p}${salt}${digest}",
    st.sampled_from([2**15, 2**16, 2**17, 2**18]),
    st.integers(1, 16),
    st.integers(1, 4),
    st.integers(16, 64).flatmap(lambda size: st.text(_HEX, min_size=2 * size, max_size=2 * size)),
    st.text(_HEX, min_size=64, max_size=64),
)
entries = st.builds(
    StaffEntry,
    staff_id=st.from_regex(r"[0-9]{6}", fullmatch=True),
    pin_hash=pin_hashes,
    role=st.sampled_from(["hall_staff", "technician"]),
    active=st.booleans(),
)


def _toml(staff: list[StaffEntry], comments: list[str]) -> str:
    blocks = []
    for entry, comment in zip(staff, comments, strict=False):
        blocks.append(
            f"# {comment}\n[[staff]]\nid = \"{entry.staff_id}\"\npin_hash = '{entry.pin_hash}'\n"
            f'role = "{entry.role}"\nactive = {"true" if entry.active else "false"}\n'
        )
    return "\n".join(blocks)


@given(
    st.lists(entries, min_size=1, max_size=8, unique_by=lambda e: e.staff_id),
    st.lists(st.text(st.characters(blacklist_categories=["Cc", "Cs"]), max_size=20), min_size=8, max_size=8),
)
def test_what_is_written_is_read_back(staff: list[StaffEntry], comments: list[str]) -> None:
    assert parse_staff_file(_toml(staff, comments), PATH) == staff


@given(st.lists(entries, min_size=2, max_size=6, unique_by=lambda e: e.staff_id), st.data())
def test_a_bad_entry_is_named_by_its_number_and_line(staff: list[StaffEntry], data: st.DataObject) -> None:
    bad = data.draw(st.integers(0, len(staff) - 1))
    text = _toml(staff, [""] * len(staff)).splitlines()
    # Each entry is 6 lines and a blank one; the id is the third line of its block.
    text[bad * 7 + 2] = 'id = "12345"'
    try:
        parse_staff_file("\n".join(text), PATH)
    except StaffFileError as error:
        assert str(error) == (
            f"staff file {PATH}: [[staff]] number {bad + 1} (line {bad * 7 + 2}), key id: "
            "String should match pattern '^[0-9]{6}$'"
        )
    else:
        raise AssertionError("a 5-digit staff id was taken")


@given(st.text(max_size=400))
def test_any_text_is_entries_or_one_line_naming_the_file(text: str) -> None:
    try:
        parsed = parse_staff_file(text, PATH)
    except StaffFileError as error:
        message = str(error)
        assert message.startswith(f"staff file {PATH}") and "\n" not in message, message
    else:
        assert parsed and all(isinstance(entry, StaffEntry) for entry in parsed)


@given(
    st.lists(
        st.sampled_from(
            [
                "[[staff]]",
                'id = "900001"',
                "pin_hash = 'x'",
                'role = "technician"',
                "active = true",
                "",
                "# note",
                "[[staff]] # x",
                'id = "9000012"',
            ]
        )
    )
)
def test_staff_shaped_lines_in_any_order_never_break_the_parser(lines: list[str]) -> None:
    try:
        parse_staff_file("\n".join(lines), PATH)
    except StaffFileError as error:
        assert str(error).startswith(f"staff file {PATH}")
