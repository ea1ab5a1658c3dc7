"""`kiosk devices idcard read|emulate`, in process (through the `kiosk` command's own parser) against the
emulator, and as real processes of the installed `kiosk` command over a pty."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from kiosk.cli import build_parser
from kiosk.devices.idcard.card import IdCard
from kiosk.devices.idcard.cli import card_file, card_view, render_table
from kiosk.devices.idcard.emulator import SAMPLE_CARDS, SamEmulator, load_card_file

from .support import FOREIGN_2017, FOREIGN_2023, HMT_PERMIT, RESIDENT, RESIDENT_LONG_TERM_X, installed

TODAY = dt.date(2026, 1, 1)
FAST = "poll_ms=20&timeout_ms=100"
COMMON = ["card_type", "name", "gender", "birth_date", "valid_from", "valid_to", "id_number"]


def run(argv: list[str]) -> int:
    args = build_parser().parse_args(["devices", *argv])
    code: int = args.func(args)
    return code


# -- the card as printed -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("card", "expected"),
    [
        (
            RESIDENT,
            {
                "card_type": "resident",
                "name": "张测试",
                "gender": "male",
                "nation": "汉",
                "birth_date": "1990-01-01",
                "valid_from": "2015-01-01",
                "valid_to": "2035-01-01",
                "address": "天津市示例区测试路1号",
                "id_number": "120199199001010012",
                "issuing_authority": "天津市公安局示例分局",
                "expired": False,
            },
        ),
        (
            RESIDENT_LONG_TERM_X,
            {
                "card_type": "resident",
                "name": "李测试",
                "gender": "female",
                "nation": "外国血统中国籍人士",
                "birth_date": "1990-01-01",
                "valid_from": "2010-06-01",
                "valid_to": "long_term",
                "address": "天津市示例区测试路2号",
                "id_number": "12019919900101008X",
                "issuing_authority": "天津市公安局示例分局",
                "expired": False,
            },
        ),
        (
            HMT_PERMIT,
            {
                "card_type": "hmt_residence_permit",
                "name": "陈测试",
                "gender": "male",
                "birth_date": "1990-01-01",
                "valid_from": "2020-01-01",
                "valid_to": "2025-01-01",
                "address": "天津市示例区测试路3号",
                "id_number": "810000199001010019",
                "issuing_authority": "天津市公安局示例分局",
                "pass_number": "H00000001",
                "issue_count": 1,
                "expired": True,
            },
        ),
        (
            FOREIGN_2017,
            {
                "card_type": "foreign_permanent_2017",
                "name": "测试",
                "name_en": "TEST, SAMPLE ALPHA",
                "gender": "female",
                "nationality": "USA",
                "birth_date": "1990-01-01",
                "valid_from": "2017-01-01",
                "valid_to": "2027-01-01",
                "id_number": "USA120199900101",
                "issuing_authority": "1500",
                "expired": False,
            },
        ),
        (
            FOREIGN_2023,
            {
                "card_type": "foreign_permanent_2023",
                "name": "王测试",
                "name_en": "TEST SAMPLE BRAVO WITH A LONG ENGLISH NAME",
                "gender": "unspecified",
                "nationality": "CAN",
                "birth_date": "1990-01-01",
                "valid_from": "2023-12-01",
                "valid_to": "2033-12-01",
                "id_number": "912019919900101000",
                "issue_count": 0,
                "expired": False,
            },
        ),
    ],
)
def test_unmasked_view_has_the_keys_of_its_card_type(card: IdCard, expected: dict[str, object]) -> None:
    view = card_view(card, TODAY, masked=False)
    assert view == expected
    assert list(view) == list(expected)  # the documented order


def test_masked_view_masks_every_personal_field() -> None:
    assert card_view(RESIDENT, TODAY, masked=True) == {
        "card_type": "resident",
        "name": "张**",
        "gender": "male",
        "nation": "汉",
        "birth_date": "1990-**-**",
        "valid_from": "2015-01-01",
        "valid_to": "2035-01-01",
        "address": "天津市********",
        "id_number": "120***********0012",
        "issuing_authority": "天津市公安局示例分局",
        "expired": False,
    }
    permit = card_view(HMT_PERMIT, TODAY, masked=True)
    assert permit["pass_number"] == "H00**0001"
    foreign = card_view(FOREIGN_2017, TODAY, masked=True)
    assert foreign["name_en"] == "T***************"
    assert foreign["id_number"] == "USA********0101"


def test_the_table_is_bilingual_aligned_and_masked() -> None:
    table = render_table(card_view(RESIDENT_LONG_TERM_X, TODAY, masked=True))
    lines = table.splitlines()
    assert lines[0].startswith("证件类型 Card type") and lines[0].endswith("居民身份证 resident")
    assert "有效期至 Valid to    长期 long-term" in lines
    assert "性别 Gender          女 female" in lines
    assert "已过期 Expired       否 no" in lines
    for secret in ("李测试", "12019919900101008X", "测试路2号", "1990-01-01"):
        assert secret not in table
    assert "120***********008X" in table
    expired = render_table(card_view(HMT_PERMIT, TODAY, masked=True))
    assert "已过期 Expired          是 yes" in expired.splitlines()
    assert "通行证号码 Pass number  H00**0001" in expired.splitlines()


def test_card_names_a_sample_or_a_path(tmp_path: Path) -> None:
    assert card_file("resident") == SAMPLE_CARDS / "resident.toml"
    assert card_file("foreign_2023") == SAMPLE_CARDS / "foreign_2023.json"
    assert card_file("mine.toml") == Path("mine.toml")
    assert card_file("absent") == Path("absent")


# -- read, in process against the emulator -------------------------------------------------------------


@pytest.fixture
def emulator() -> Iterator[SamEmulator]:
    with SamEmulator() as sam:
        yield sam


@pytest.mark.parametrize("sample", sorted(path.name for path in SAMPLE_CARDS.iterdir()))
def test_read_prints_each_card_type_as_json(
    emulator: SamEmulator, sample: str, capsys: pytest.CaptureFixture[str]
) -> None:
    card = load_card_file(SAMPLE_CARDS / sample)
    emulator.place_card(card)
    assert (
        run(["idcard", "read", "--url", f"sam+serial://{emulator.path}?{FAST}", "--json", "--unmasked"]) == 0
    )
    out = capsys.readouterr().out
    assert json.loads(out) == card_view(card, dt.date.today(), masked=False)
    assert not any(word in out for word in ("photo", "fingerprint"))


def test_read_waits_for_the_card(emulator: SamEmulator, capsys: pytest.CaptureFixture[str]) -> None:
    # The card arrives while the command is already polling.
    placer = threading.Timer(0.3, emulator.place_card, args=(RESIDENT,))
    placer.start()
    try:
        assert run(["idcard", "read", "--url", f"sam+serial://{emulator.path}?{FAST}"]) == 0
    finally:
        placer.cancel()
    out = capsys.readouterr().out
    assert "120***********0012" in out and RESIDENT.id_number not in out and "张**" in out


@pytest.mark.parametrize(
    ("fault", "message"),
    [
        ("sam_not_authorised", "the reader answers wrongly (SAM answered SW3 0x66 to sam_status: SAM not"),
        ("silence", "the reader does not answer (no answer to sam_status)"),
        ("removed_between_select_and_read", "the card on the reader cannot be read (read_failed)"),
        ("no_card", "no card within 0.5 s"),
    ],
)
def test_read_failures_are_one_line_naming_the_url_and_the_reason(
    emulator: SamEmulator, fault: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    emulator.set_fault(fault)
    emulator.place_card(RESIDENT)
    url = f"sam+serial://{emulator.path}?{FAST}"
    assert run(["idcard", "read", "--url", url, "--timeout", "0.5"]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith(f"kiosk devices idcard read: {url}: {message}")
    assert captured.err.count("\n") == 1


@pytest.mark.parametrize(
    ("url", "code", "message"),
    [
        ("sam+serial:///dev/no-such-reader", 1, "no reader (cannot open /dev/no-such-reader: No such file"),
        ("sam+serial:///dev/ttyUSB0?buad=9600", 2, "unknown parameter 'buad'"),
        ("pcsc://?reader=ACS", 2, "no idcard driver for scheme 'pcsc'"),
    ],
)
def test_read_with_a_wrong_url(url: str, code: int, message: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["idcard", "read", "--url", url, "--timeout", "2"]) == code
    err = capsys.readouterr().err
    assert err.startswith(f"kiosk devices idcard read: {url}: ") and message in err
    assert err.count("\n") == 1


# -- as real processes ---------------------------------------------------------------------------------


def cli(*argv: str) -> list[str]:
    return [installed("kiosk"), "devices", "idcard", *argv]


def last_line(text: str) -> str:
    """The one line a failing command ends with (the device's INFO logs come before it)."""
    return text.splitlines()[-1] if text else ""


Serve = Callable[..., tuple[subprocess.Popen[str], str]]


@pytest.fixture
def serve() -> Iterator[Serve]:
    """`emulate` in a process of its own; yields it and the path it printed."""
    processes: list[subprocess.Popen[str]] = []

    def start(*argv: str) -> tuple[subprocess.Popen[str], str]:
        process = subprocess.Popen(cli("emulate", *argv), stdout=subprocess.PIPE, text=True)
        processes.append(process)
        assert process.stdout is not None
        return process, process.stdout.readline().strip()

    yield start
    for process in processes:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)
        if process.stdout is not None:
            process.stdout.close()


def test_emulate_and_read_in_two_processes(tmp_path: Path, serve: Serve) -> None:
    link = tmp_path / "ttyID0"
    emulator, path = serve("--card", "hmt_permit", "--link", str(link))
    assert path == str(link) and os.path.islink(link)  # the first line, flushed at once
    url = f"sam+serial://{path}?{FAST}"

    unmasked = subprocess.run(
        cli("read", "--url", url, "--json", "--unmasked"), capture_output=True, text=True, timeout=60
    )
    assert unmasked.returncode == 0, unmasked.stderr
    assert json.loads(unmasked.stdout) == card_view(HMT_PERMIT, dt.date.today(), masked=False)

    masked = subprocess.run(cli("read", "--url", url), capture_output=True, text=True, timeout=60)
    assert masked.returncode == 0, masked.stderr
    assert "810***********0019" in masked.stdout and "陈**" in masked.stdout
    assert HMT_PERMIT.id_number not in masked.stdout and HMT_PERMIT.name not in masked.stdout

    emulator.send_signal(signal.SIGTERM)
    assert emulator.wait(timeout=10) == 0
    assert not os.path.lexists(link)  # unplugged on the way out


def test_emulate_with_a_fault_stops_on_ctrl_c(serve: Serve) -> None:
    emulator, path = serve("--card", str(SAMPLE_CARDS / "resident.toml"), "--fault", "sam_not_authorised")
    url = f"sam+serial://{path}?{FAST}"
    read = subprocess.run(
        cli("read", "--url", url, "--timeout", "5"), capture_output=True, text=True, timeout=60
    )
    assert read.returncode == 1 and read.stdout == ""
    assert last_line(read.stderr).startswith(f"kiosk devices idcard read: {url}: the reader answers wrongly")
    assert last_line(read.stderr).endswith("SAM not authorised)")
    emulator.send_signal(signal.SIGINT)
    assert emulator.wait(timeout=10) == 0


def test_emulate_with_a_bad_card_file(tmp_path: Path) -> None:
    bad = tmp_path / "card.toml"
    text = (SAMPLE_CARDS / "resident.toml").read_text(encoding="utf-8")
    bad.write_text(text.replace('"resident"', '"passport"'), encoding="utf-8")
    result = subprocess.run(cli("emulate", "--card", str(bad)), capture_output=True, text=True, timeout=30)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.startswith(f"kiosk devices idcard emulate: {bad}: key 'card_type' must be one of")
    assert result.stderr.count("\n") == 1
